//! Sizes of the renditions, and the resampling that makes them.

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::RgbImage;
use wisaw_domain::StepError;

/// The largest size with the same proportions that fits in `max_width` × `max_height`,
/// never larger than the source and never less than one pixel a side.
pub fn fit_within(width: u32, height: u32, max_width: u32, max_height: u32) -> (u32, u32) {
    let scale = (f64::from(max_width) / f64::from(width))
        .min(f64::from(max_height) / f64::from(height))
        .min(1.0);
    let side = |length: u32, max: u32| ((f64::from(length) * scale).round() as u32).clamp(1, max);
    (side(width, max_width), side(height, max_height))
}

/// Resamples with Lanczos3, which keeps downscaled photos sharp without ringing much.
/// An image already at the size is handed back as it is, without a copy.
pub fn resize(source: RgbImage, width: u32, height: u32) -> Result<RgbImage, StepError> {
    if source.dimensions() == (width, height) {
        return Ok(source);
    }
    resample(&source, width, height)
}

/// Like [`resize`], keeping the source.
pub fn resample(source: &RgbImage, width: u32, height: u32) -> Result<RgbImage, StepError> {
    let failed = |error: &dyn std::fmt::Display| StepError::permanent(format!("resize: {error}"));
    let from = ImageRef::new(
        source.width(),
        source.height(),
        source.as_raw(),
        PixelType::U8x3,
    )
    .map_err(|e| failed(&e))?;
    let mut to = Image::new(width, height, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&from, &mut to, &options)
        .map_err(|e| failed(&e))?;
    RgbImage::from_raw(width, height, to.into_vec())
        .ok_or_else(|| StepError::permanent("resize: the output buffer has the wrong size"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fitting_keeps_proportions_and_never_upscales() {
        assert_eq!(fit_within(4000, 3000, 2048, 2048), (2048, 1536));
        assert_eq!(fit_within(3000, 4000, 2048, 2048), (1536, 2048));
        assert_eq!(fit_within(640, 480, 2048, 2048), (640, 480));
        assert_eq!(fit_within(4000, 3000, u32::MAX, 300), (400, 300));
        assert_eq!(fit_within(60000, 10, 2048, 2048), (2048, 1));
    }
}
