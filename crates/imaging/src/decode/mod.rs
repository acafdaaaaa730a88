//! Decoding under a memory budget, shared by validate (which proves that a file decodes
//! completely) and thumbnail (which needs the pixels).
//!
//! Nothing here decodes an image at its full size unless it has to: each format is
//! decoded straight to the smallest size that still covers what is asked for
//! ([`decode_at_least`]), and validation asks for almost nothing ([`check`]). Every
//! allocation that grows with the pixel count is checked against [`WORKING_BUDGET`]
//! from the header, before it is made.

mod jpeg_scaled;
mod pixels;
mod png_rows;
mod shrink;
mod webp_scaled;

use image::RgbImage;
use std::panic::{catch_unwind, AssertUnwindSafe};
use wisaw_domain::contracts::ImageFormat;

/// The most pixels a photo may have: 100 megapixels.
pub const MAX_PIXELS: u64 = 100_000_000;

/// The longest side accepted. JPEG cannot go beyond it, and longer sides only come
/// from strips that make no sense as photos.
pub const MAX_SIDE: u32 = 65_535;

/// The most one decode may hold in buffers that grow with the image: the decoded
/// (already shrunk) pixels, and what a decoder must keep whole (the coefficients of a
/// progressive JPEG, an interlaced PNG frame, a lossless WebP). With the original's
/// bytes and the renditions, a decode stays well inside a 128 MB Lambda.
pub const WORKING_BUDGET: u64 = 64 << 20;

/// Why a decode did not produce pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeFailure {
    /// Decoding would need more memory than [`WORKING_BUDGET`].
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

/// Opaque 8-bit RGB pixels as stored (not yet turned upright), possibly shrunk.
#[derive(Debug)]
pub struct Decoded {
    pub image: RgbImage,
    /// The embedded ICC profile, if any.
    pub icc_profile: Option<Vec<u8>>,
    /// The size the decoder read from the file, before any shrinking.
    pub source_width: u32,
    pub source_height: u32,
}

/// Decodes every byte of the image (a damaged file fails) at the least cost, and
/// returns the size the decoder saw.
pub fn check(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32), DecodeFailure> {
    decode_at_least(bytes, format, 1, 1)
        .map(|decoded| (decoded.source_width, decoded.source_height))
}

/// Decodes to opaque RGB at least `min_width` × `min_height` in stored orientation
/// (or the full size, when the image is smaller), as close to that size as the format
/// allows cheaply. Transparent pixels are flattened onto white.
pub fn decode_at_least(
    bytes: &[u8],
    format: ImageFormat,
    min_width: u32,
    min_height: u32,
) -> Result<Decoded, DecodeFailure> {
    let (min_width, min_height) = (min_width.max(1), min_height.max(1));
    // A decoder bug on hostile bytes must cost one photo, never the process.
    let decoded = catch_unwind(AssertUnwindSafe(|| match format {
        ImageFormat::Jpeg => jpeg_scaled::decode(bytes, min_width, min_height),
        ImageFormat::Png => png_rows::decode(bytes, min_width, min_height),
        ImageFormat::Webp => webp_scaled::decode(bytes, min_width, min_height),
    }));
    decoded.unwrap_or_else(|_| {
        Err(DecodeFailure::Corrupt(
            "the decoder gave up on this file".into(),
        ))
    })
}

/// The largest integer factor that shrinks `width` × `height` while keeping both sides
/// at least the wanted ones: decoders that shrink while decoding use it, and the
/// resampler after them never has more than a factor of two left to do.
pub(crate) fn box_factor(width: u32, height: u32, min_width: u32, min_height: u32) -> u32 {
    (width / min_width.max(1))
        .min(height / min_height.max(1))
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn box_factor_keeps_both_sides_covered() {
        assert_eq!(box_factor(4032, 3024, 2048, 1536), 1);
        assert_eq!(box_factor(8064, 6048, 2048, 1536), 3);
        assert_eq!(box_factor(100, 50, 1, 1), 50);
        assert_eq!(box_factor(10, 10, 20, 20), 1);
    }
}
