//! Images built in the tests: encoded by the `image` crate, then given the headers,
//! chunks and quirks real phones produce, byte by byte.

pub mod jpeg;
pub mod png;
pub mod webp;

use image::{Rgb, RgbImage};

pub const RED: [u8; 3] = [255, 0, 0];
pub const GREEN: [u8; 3] = [0, 255, 0];
pub const BLUE: [u8; 3] = [0, 0, 255];
pub const WHITE: [u8; 3] = [255, 255, 255];

/// A picture whose four quadrants tell every turn and mirror apart:
/// red top-left, green top-right, blue bottom-left, white bottom-right.
pub fn quadrants(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb(match (x < width / 2, y < height / 2) {
            (true, true) => RED,
            (false, true) => GREEN,
            (true, false) => BLUE,
            (false, false) => WHITE,
        })
    })
}

/// How a camera stores an `upright` picture under EXIF orientation `orientation`,
/// written from the EXIF definition of where the stored row 0 and column 0 go.
pub fn stored_for_orientation(upright: &RgbImage, orientation: u8) -> RgbImage {
    let (uw, uh) = upright.dimensions();
    let quarter = (5..=8).contains(&orientation);
    let (sw, sh) = if quarter { (uh, uw) } else { (uw, uh) };
    RgbImage::from_fn(sw, sh, |sx, sy| {
        let (ux, uy) = match orientation {
            1 => (sx, sy),
            2 => (uw - 1 - sx, sy),
            3 => (uw - 1 - sx, uh - 1 - sy),
            4 => (sx, uh - 1 - sy),
            // Stored row 0 is the upright left column, column 0 the top row.
            5 => (sy, sx),
            // Row 0 is the right column, column 0 the top row.
            6 => (uw - 1 - sy, sx),
            // Row 0 is the right column, column 0 the bottom row.
            7 => (uw - 1 - sy, uh - 1 - sx),
            // Row 0 is the left column, column 0 the bottom row.
            8 => (sy, uh - 1 - sx),
            _ => unreachable!("orientations are 1 to 8"),
        };
        *upright.get_pixel(ux, uy)
    })
}

/// A TIFF-structured EXIF block holding one tag, Orientation, in big-endian order.
pub fn exif_tiff_with_orientation(orientation: u8) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a".to_vec();
    tiff.extend_from_slice(&8u32.to_be_bytes()); // IFD0 right after the header
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&u16::from(orientation).to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // value padded to four bytes
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff
}

/// The closest of `expected` colours is the right one, within a lossy-codec tolerance.
pub fn assert_colour_near(actual: [u8; 3], expected: [u8; 3], what: &str) {
    let distance = actual
        .iter()
        .zip(expected)
        .map(|(a, e)| (i32::from(*a) - i32::from(e)).abs())
        .max();
    assert!(
        distance.unwrap() <= 40,
        "{what}: expected about {expected:?}, found {actual:?}"
    );
}

/// Decodes a WebP rendition back to RGB to look at its pixels.
pub fn decode_webp(bytes: &[u8]) -> RgbImage {
    image::load_from_memory_with_format(bytes, image::ImageFormat::WebP)
        .expect("a rendition decodes")
        .into_rgb8()
}
