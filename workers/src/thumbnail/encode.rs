//! WebP encoding of the renditions.

use image::RgbImage;
use wisaw_core::StepError;

/// Lossy quality: photos look right at 80 and weigh a fraction of the original.
pub const WEBP_QUALITY: f32 = 80.0;

/// libwebp's effort (0 fastest, 6 slowest). Higher methods mostly buy smaller files
/// through a costlier rate-distortion search; at the same quality the pixels barely
/// differ, and the renditions are encoded once per upload on one core.
pub const WEBP_METHOD: i32 = 2;

/// Encodes pixels alone. libwebp writes the bitstream and nothing else: no EXIF (GPS,
/// device), no XMP, no ICC profile ever reach a served image.
pub fn webp(image: &RgbImage) -> Result<Vec<u8>, StepError> {
    let failed = |why: String| StepError::permanent(format!("webp encoding failed: {why}"));
    let mut config = webp::WebPConfig::new().map_err(|()| failed("no config".into()))?;
    config.quality = WEBP_QUALITY;
    config.method = WEBP_METHOD;
    // One core per photo: the pipeline scales by running photos side by side.
    config.thread_level = 0;
    let encoder = webp::Encoder::from_rgb(image.as_raw(), image.width(), image.height());
    let encoded = encoder
        .encode_advanced(&config)
        .map_err(|error| failed(format!("{error:?}")))?;
    Ok(encoded.to_vec())
}
