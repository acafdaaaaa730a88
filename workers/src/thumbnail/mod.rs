//! The thumbnail step: the two renditions the app shows, as metadata-free WebP.
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
pub mod pixels;
pub mod resize;

use crate::decode::decode_at_least;
use crate::validate::header::swaps_sides;
use bytes::Bytes;
use wisaw_core::contracts::{ImageInfo, Rendition, ThumbnailInput, ThumbnailOutput};
use wisaw_core::ports::BlobStore;
use wisaw_core::StepError;

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
    let quarter_turn = swaps_sides(info.orientation);
    let (upright_width, upright_height) = if quarter_turn {
        (info.height, info.width)
    } else {
        (info.width, info.height)
    };
    let ((thumb_width, thumb_height), (display_width, display_height)) =
        rendition_sizes(upright_width, upright_height);

    // Resize before turning: resizing commutes with the orientation, and turning the
    // small image instead of the original saves a full-size copy.
    let (stored_width, stored_height) = if quarter_turn {
        (display_height, display_width)
    } else {
        (display_width, display_height)
    };
    // The decoder shrinks as far as it cheaply can while still covering the display
    // size (a JPEG at a reduced DCT scale, a PNG by boxes as its rows arrive).
    let decoded = decode_at_least(bytes, info.format, stored_width, stored_height)
        .map_err(|failure| StepError::permanent(format!("the original {failure}")))?;
    if (decoded.source_width, decoded.source_height) != (info.width, info.height) {
        return Err(StepError::permanent(format!(
            "the original is {}×{}, validate saw {}×{}",
            decoded.source_width, decoded.source_height, info.width, info.height
        )));
    }
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

    Ok(Renditions {
        thumb: EncodedImage {
            width: thumb_width,
            height: thumb_height,
            bytes: encode::webp(&thumb)?,
        },
        display: EncodedImage {
            width: display_width,
            height: display_height,
            bytes: encode::webp(&display)?,
        },
    })
}

/// Reads the original, renders, and writes `photos/{photoId}/thumb.webp` and
/// `photos/{photoId}/display.webp`. A rerun overwrites the same keys with the same images.
pub async fn handle(
    blobs: &dyn BlobStore,
    input: ThumbnailInput,
) -> Result<ThumbnailOutput, StepError> {
    let bytes = blobs.get(&input.source_key).await?;
    let info = input.image.clone();
    let renditions = tokio::task::spawn_blocking(move || render(&bytes, &info))
        .await
        .map_err(|error| crate::blocking_failed("thumbnail", error))??;
    let large = store(blobs, input.photo_id.display_key(), renditions.display).await?;
    let small = store(blobs, input.photo_id.thumb_key(), renditions.thumb).await?;
    tracing::info!(
        photo_id = %input.photo_id,
        thumb_bytes = small.bytes,
        display_bytes = large.bytes,
        "renditions written"
    );
    Ok(ThumbnailOutput {
        thumb: small,
        display: large,
    })
}

async fn store(
    blobs: &dyn BlobStore,
    key: String,
    image: EncodedImage,
) -> Result<Rendition, StepError> {
    let bytes = image.bytes.len() as u64;
    blobs
        .put(&key, WEBP_CONTENT_TYPE, Bytes::from(image.bytes))
        .await?;
    Ok(Rendition {
        key,
        width: image.width,
        height: image.height,
        bytes,
    })
}
