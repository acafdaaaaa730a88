//! Turning stored pixels upright according to the EXIF orientation.

use image::metadata::Orientation;
use image::{DynamicImage, RgbImage};

/// Applies EXIF orientation `1..=8` to the pixels; anything else leaves them as stored.
/// Mirrors and half turns happen in place; quarter turns need a copy, which is why the
/// pipeline orients the display rendition, not the full-size original.
pub fn upright(image: RgbImage, orientation: u8) -> RgbImage {
    let Some(orientation) = Orientation::from_exif(orientation) else {
        return image;
    };
    let mut image = DynamicImage::ImageRgb8(image);
    image.apply_orientation(orientation);
    image.into_rgb8()
}
