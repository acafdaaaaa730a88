//! From whatever the decoder produced to plain 8-bit RGB.

use image::{DynamicImage, RgbImage};

/// Converts any colour type to 8-bit RGB: 16-bit samples are scaled, grey is
/// replicated, palettes are already expanded by the decoder and CMYK JPEGs already
/// converted to RGB by it.
///
/// Renditions are opaque: transparent pixels are flattened onto white. The app shows
/// photos on cards of either theme, and a see-through "photo" would take the card's
/// colour; white is what a transparent picture looks like in most viewers.
pub fn into_opaque_rgb8(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let rgba = image.into_rgba8();
    let (width, height) = rgba.dimensions();
    let mut samples = rgba.into_raw();
    let pixels = samples.len() / 4;
    // Compacted in place: pixel i moves from 4i to 3i, never past what is still unread,
    // so a second full-size buffer is never needed.
    for i in 0..pixels {
        let alpha = u32::from(samples[4 * i + 3]);
        for channel in 0..3 {
            let value = u32::from(samples[4 * i + channel]);
            let over_white = (value * alpha + 255 * (255 - alpha) + 127) / 255;
            samples[3 * i + channel] = over_white as u8;
        }
    }
    samples.truncate(pixels * 3);
    RgbImage::from_raw(width, height, samples).expect("three samples per pixel remain")
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{Rgba, RgbaImage};

    #[test]
    fn alpha_is_flattened_onto_white() {
        let mut image = RgbaImage::new(3, 1);
        image.put_pixel(0, 0, Rgba([255, 0, 0, 255]));
        image.put_pixel(1, 0, Rgba([0, 0, 0, 0]));
        image.put_pixel(2, 0, Rgba([0, 0, 0, 128]));
        let rgb = into_opaque_rgb8(DynamicImage::ImageRgba8(image));
        assert_eq!(rgb.get_pixel(0, 0).0, [255, 0, 0]);
        assert_eq!(rgb.get_pixel(1, 0).0, [255, 255, 255]);
        assert_eq!(rgb.get_pixel(2, 0).0, [127, 127, 127]);
    }
}
