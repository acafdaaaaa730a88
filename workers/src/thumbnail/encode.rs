//! WebP encoding of the renditions.

use image::RgbImage;
use wisaw_core::StepError;

/// Lossy quality: photos look right at 80 and weigh a fraction of the original.
pub const WEBP_QUALITY: f32 = 80.0;

/// Encodes pixels alone. libwebp's simple encoder writes the bitstream and nothing else:
/// no EXIF (GPS, device), no XMP, no ICC profile ever reach a served image.
pub fn webp(image: &RgbImage) -> Result<Vec<u8>, StepError> {
    let encoder = webp::Encoder::from_rgb(image.as_raw(), image.width(), image.height());
    let encoded = encoder
        .encode_simple(false, WEBP_QUALITY)
        .map_err(|error| StepError::permanent(format!("webp encoding failed: {error:?}")))?;
    Ok(encoded.to_vec())
}
