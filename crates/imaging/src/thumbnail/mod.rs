//! The two renditions the app shows, as metadata-free WebP, from an original's bytes.
//!
//! * `thumb`: 300 pixels high, width in proportion (capped at 2048 for panoramas);
//! * `display`: fits inside 2048 × 2048.
//!
//! Neither is ever larger than the original. Both are upright (the EXIF orientation is
//! applied to the pixels), in sRGB (see [`colour::to_srgb`]) and opaque (transparent
//! pixels flattened onto white, see [`pixels`]).
//!
//! Memory: the original is decoded already shrunk to just over the display size
//! (see [`crate::decode::decode_at_least`], within [`crate::decode::WORKING_BUDGET`]) and
//! lives only until the display rendition is made; orientation is applied to that
//! smaller image and the thumb is made from it.

pub mod colour;
pub mod encode;
pub mod orient;
pub mod resize;

use crate::decode::{decode_at_least, DecodeFailure, Decoded};
use crate::validate;
use crate::validate::orientation::swaps_sides;
use wisaw_domain::contracts::{ImageInfo, ValidateOutput};
use wisaw_domain::StepError;

pub const THUMB_HEIGHT: u32 = 300;
pub const DISPLAY_MAX_SIDE: u32 = 2048;
pub const WEBP_CONTENT_TYPE: &str = "image/webp";

/// One encoded rendition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodedImage {
    pub width: u32,
    pub height: u32,
    /// The WebP file.
    pub bytes: Vec<u8>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Renditions {
    pub thumb: EncodedImage,
    pub display: EncodedImage,
}

/// Upright sizes of the renditions of an image whose upright size is `width` × `height`.
pub fn rendition_sizes(width: u32, height: u32) -> ((u32, u32), (u32, u32)) {
    let thumb = resize::fit_within(width, height, DISPLAY_MAX_SIDE, THUMB_HEIGHT);
    let display = resize::fit_within(width, height, DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE);
    (thumb, display)
}

/// Makes both renditions from the original's bytes, as validate described them.
/// An image that passed validate decodes; if it does not, the error is permanent.
pub fn render(bytes: &[u8], info: &ImageInfo) -> Result<Renditions, StepError> {
    let decoded = decode_for_display(bytes, info)
        .map_err(|failure| StepError::permanent(format!("the original {failure}")))?;
    renditions(decoded, info)
}

/// Validate and thumbnail with one decode, for tools that hold a file rather than
/// run the state machine (`wisaw render`). Validate's header checks run first; then
/// thumbnail's decode reads every byte of the image, as validate's own check does,
/// and a file it cannot decode gets the verdict validate would have given. The
/// original's bytes are released as soon as they are decoded.
pub fn inspect_and_render(
    bytes: Vec<u8>,
) -> Result<Result<(ImageInfo, Renditions), ValidateOutput>, StepError> {
    let info = match validate::inspect_header(&bytes) {
        Ok(info) => info,
        Err(rejected) => return Ok(Err(rejected)),
    };
    let decoded = match decode_for_display(&bytes, &info) {
        Ok(decoded) => decoded,
        Err(failure) => return Ok(Err(validate::decode_rejection(&failure, info.format))),
    };
    drop(bytes);
    Ok(Ok((info.clone(), renditions(decoded, &info)?)))
}

/// Upright size and, as stored (before the orientation is applied), the display size.
fn stored_display_size(info: &ImageInfo) -> (u32, u32) {
    let (_, (width, height)) = rendition_sizes(info.upright_width, info.upright_height);
    if swaps_sides(info.orientation) {
        (height, width)
    } else {
        (width, height)
    }
}

/// The original decoded just large enough for the display rendition: the decoder
/// shrinks as far as it cheaply can while still covering that size (a JPEG at a
/// reduced DCT scale, a PNG by boxes as its rows arrive, a WebP inside libwebp).
fn decode_for_display(bytes: &[u8], info: &ImageInfo) -> Result<Decoded, DecodeFailure> {
    let (width, height) = stored_display_size(info);
    let decoded = decode_at_least(bytes, info.format, width, height)?;
    if (decoded.source_width, decoded.source_height) != (info.width, info.height) {
        return Err(DecodeFailure::Corrupt(format!(
            "the original is {}×{}, validate saw {}×{}",
            decoded.source_width, decoded.source_height, info.width, info.height
        )));
    }
    Ok(decoded)
}

/// Resize, colour, orientation and encoding, from the decoded original.
fn renditions(decoded: Decoded, info: &ImageInfo) -> Result<Renditions, StepError> {
    let ((thumb_width, thumb_height), (display_width, display_height)) =
        rendition_sizes(info.upright_width, info.upright_height);
    // Resize before turning: resizing commutes with the orientation, and turning the
    // small image instead of the original saves a large copy.
    let (stored_width, stored_height) = stored_display_size(info);
    let mut display = resize::resize(decoded.image, stored_width, stored_height)?;
    if let Some(icc) = &decoded.icc_profile {
        colour::to_srgb(&mut display, icc);
    }
    let display = orient::upright(display, info.orientation);
    let thumb = if display.dimensions() == (thumb_width, thumb_height) {
        display.clone() // a small photo: both renditions are the photo itself
    } else {
        resize::resample(&display, thumb_width, thumb_height)?
    };
    let thumb = EncodedImage {
        width: thumb_width,
        height: thumb_height,
        bytes: encode::webp(&thumb, &encode::THUMB)?,
    };
    let display_bytes = encode::webp(&display, &encode::DISPLAY)?;
    drop(display);
    Ok(Renditions {
        thumb,
        display: EncodedImage {
            width: display_width,
            height: display_height,
            bytes: display_bytes,
        },
    })
}
