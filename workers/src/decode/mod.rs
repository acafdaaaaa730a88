//! Decoding under a memory budget, shared by validate (which proves that a file decodes
//! completely) and thumbnail (which needs the pixels).

use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};
use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wisaw_core::contracts::ImageFormat;

/// The most pixels a photo may have: 100 megapixels.
pub const MAX_PIXELS: u64 = 100_000_000;

/// The longest side accepted. JPEG cannot go beyond it, and longer sides only come
/// from strips that make no sense as photos.
pub const MAX_SIDE: u32 = 65_535;

/// The most memory one decode may hold. A 100-megapixel 16-bit RGBA PNG needs 800 MB,
/// so every image under [`MAX_PIXELS`] fits; nothing crafted can ask for more.
pub const MAX_DECODE_BYTES: u64 = 1 << 30;

/// Why a decode did not produce pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeFailure {
    /// Decoding would need more memory than [`MAX_DECODE_BYTES`] or a side over [`MAX_SIDE`].
    TooLarge(String),
    /// The bytes are not a complete, valid image of that format.
    Corrupt(String),
}

impl std::fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLarge(detail) => write!(f, "too large to decode: {detail}"),
            Self::Corrupt(detail) => write!(f, "cannot be decoded: {detail}"),
        }
    }
}

/// Decodes the whole image in its own colour type, within the limits above.
pub fn decode(bytes: &[u8], format: ImageFormat) -> Result<DynamicImage, DecodeFailure> {
    decode_with_profile(bytes, format).map(|(image, _)| image)
}

/// Like [`decode`], with the embedded ICC profile if there is one (unreadable ones are
/// ignored: a profile is never a reason to refuse a photo).
pub fn decode_with_profile(
    bytes: &[u8],
    format: ImageFormat,
) -> Result<(DynamicImage, Option<Vec<u8>>), DecodeFailure> {
    // A decoder bug on hostile bytes must cost one photo, never the process.
    match catch_unwind(AssertUnwindSafe(|| decode_unguarded(bytes, format))) {
        Ok(Ok(decoded)) => Ok(decoded),
        Ok(Err(ImageError::Limits(error))) => Err(DecodeFailure::TooLarge(error.to_string())),
        Ok(Err(error)) => Err(DecodeFailure::Corrupt(error.to_string())),
        Err(_) => Err(DecodeFailure::Corrupt(
            "the decoder gave up on this file".into(),
        )),
    }
}

fn decode_unguarded(
    bytes: &[u8],
    format: ImageFormat,
) -> Result<(DynamicImage, Option<Vec<u8>>), ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), to_image_format(format));
    reader.limits(limits());
    let mut decoder = reader.into_decoder()?;
    // The pixel buffer is the big allocation; refuse it before it is made.
    let needed = decoder.total_bytes();
    if needed > MAX_DECODE_BYTES {
        return Err(ImageError::Limits(image::error::LimitError::from_kind(
            image::error::LimitErrorKind::InsufficientMemory,
        )));
    }
    let profile = decoder.icc_profile().ok().flatten();
    Ok((DynamicImage::from_decoder(decoder)?, profile))
}

fn limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

fn to_image_format(format: ImageFormat) -> image::ImageFormat {
    match format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::Webp => image::ImageFormat::WebP,
    }
}
