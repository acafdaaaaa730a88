//! Bringing pixels to sRGB. The renditions carry no ICC profile (no metadata at all),
//! and untagged images are shown as sRGB, so pixels described by another profile (the
//! Display P3 of most phone cameras) are converted, or they would look washed out.

use image::RgbImage;
use moxcms::{ColorProfile, DataColorSpace, Layout, TransformOptions};

/// Converts `image` in place from the colour space of `icc` to sRGB. Profiles that are
/// unreadable or not RGB (a CMYK JPEG is already RGB once decoded) leave it as it is.
pub fn to_srgb(image: &mut RgbImage, icc: &[u8]) {
    let Ok(source) = ColorProfile::new_from_slice(icc) else {
        tracing::debug!("unreadable ICC profile ignored");
        return;
    };
    if source.color_space != DataColorSpace::Rgb {
        return;
    }
    let srgb = ColorProfile::new_srgb();
    let transform = match source.create_transform_8bit(
        Layout::Rgb,
        &srgb,
        Layout::Rgb,
        TransformOptions::default(),
    ) {
        Ok(transform) => transform,
        Err(error) => {
            tracing::debug!(?error, "ICC profile without a usable transform ignored");
            return;
        }
    };
    let mut converted = vec![0; image.as_raw().len()];
    match transform.transform(image.as_raw(), &mut converted) {
        Ok(()) => image.copy_from_slice(&converted),
        Err(error) => tracing::debug!(?error, "ICC conversion failed; pixels kept as decoded"),
    }
}
