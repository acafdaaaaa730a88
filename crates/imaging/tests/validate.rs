//! The validate step's verdicts, from bytes.

use wisaw_testkit::pictures as common;

use common::{jpeg, png, quadrants, webp};
use image::{DynamicImage, RgbaImage};
use wisaw_domain::contracts::{ImageFormat, ValidateOutput};
use wisaw_imaging::validate::inspect;

fn rejection_code(output: &ValidateOutput) -> &str {
    assert!(!output.accepted, "expected a rejection, got {output:?}");
    assert!(output.image.is_none());
    &output
        .rejection
        .as_ref()
        .expect("a rejection carries its reason")
        .code
}

fn reason(output: &ValidateOutput) -> &str {
    &output
        .rejection
        .as_ref()
        .expect("a rejection carries its reason")
        .reason
}

/// Refused with `code`, for a reason that names `mentions`.
fn assert_refused(verdict: &ValidateOutput, code: &str, mentions: &str) {
    assert_eq!(rejection_code(verdict), code);
    let why = reason(verdict);
    assert!(why.contains(mentions), "{why}");
}

#[test]
fn the_bytes_decide_the_format_not_the_name_or_content_type() {
    // What the phone would call "photo.png, image/png" is really a JPEG, and so on:
    // the step never sees those claims, and does not need them.
    let as_jpeg = jpeg::encode(&quadrants(64, 32), 90);
    let as_png = png::encode(&DynamicImage::ImageRgb8(quadrants(64, 32)));
    let as_webp = webp::encode(&RgbaImage::from_pixel(64, 32, image::Rgba([9, 9, 9, 255])));
    for (bytes, format) in [
        (as_jpeg, ImageFormat::Jpeg),
        (as_png, ImageFormat::Png),
        (as_webp, ImageFormat::Webp),
    ] {
        let output = inspect(&bytes);
        assert!(output.accepted, "{format:?} refused: {output:?}");
        let image = output.image.unwrap();
        assert_eq!(image.format, format);
        assert_eq!((image.width, image.height), (64, 32));
        assert_eq!(image.orientation, 1);
        assert_eq!((image.upright_width, image.upright_height), (64, 32));
        assert!(output.rejection.is_none());
    }
}

#[test]
fn empty_uploads_are_refused_as_empty() {
    assert_eq!(rejection_code(&inspect(&[])), "empty");
}

#[test]
fn documents_and_noise_are_not_images() {
    assert_refused(
        &inspect(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n"),
        "not_an_image",
        "PDF document",
    );

    let html = inspect(b"<!doctype html><html><body>not a photo</body></html>");
    assert_eq!(rejection_code(&html), "not_an_image");

    let noise: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    assert_eq!(rejection_code(&inspect(&noise)), "not_an_image");
}

#[test]
fn images_in_other_formats_are_unsupported() {
    assert_refused(&inspect(b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"), "unsupported_format", "GIF");

    assert_refused(
        &inspect(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
        "unsupported_format",
        "HEIC",
    );

    assert_eq!(
        rejection_code(&inspect(b"II*\0\x08\0\0\0")),
        "unsupported_format"
    );
    assert_eq!(
        rejection_code(&inspect(b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0")),
        "unsupported_format"
    );
}

#[test]
fn a_huge_header_is_refused_before_anything_is_decoded() {
    // 30000 × 30000 RGB would need 2.7 GB; the file is 33 bytes and holds no pixels at
    // all, so only the header can have been read to reach this verdict.
    let bomb = png::header_only(30_000, 30_000);
    let output = inspect(&bomb);
    assert_eq!(rejection_code(&output), "too_many_pixels");
    assert!(
        reason(&output).contains("900 megapixels"),
        "{}",
        reason(&output)
    );

    // Just over the limit is refused too; the check is on pixels, not on a side.
    assert_eq!(
        rejection_code(&inspect(&png::header_only(10_001, 10_000))),
        "too_many_pixels"
    );
}

#[test]
fn a_header_at_the_limit_goes_on_to_the_structure_checks() {
    // 10000 × 10000 is exactly 100 megapixels: allowed by the count, then refused because
    // the file holds no image data, without the decoder allocating 300 MB for it.
    assert_eq!(
        rejection_code(&inspect(&png::header_only(10_000, 10_000))),
        "corrupt"
    );
}

#[test]
fn truncated_files_are_corrupt() {
    let full = jpeg::encode(&quadrants(320, 240), 90);
    for cut in [full.len() / 2, full.len() - 2, 20, 3] {
        let output = inspect(&full[..cut]);
        assert_eq!(
            rejection_code(&output),
            "corrupt",
            "cut at {cut} of {}",
            full.len()
        );
    }
    assert!(reason(&inspect(&full[..full.len() / 2])).contains("incomplete"));

    let noisy = image::RgbImage::from_fn(200, 100, |x, y| {
        image::Rgb([(x * 7) as u8, (y * 13) as u8, (x ^ y) as u8])
    });
    let png_full = png::encode(&DynamicImage::ImageRgb8(noisy));
    assert!(inspect(&png_full).accepted);
    assert_eq!(
        rejection_code(&inspect(&png_full[..png_full.len() / 2])),
        "corrupt"
    );

    let webp_full = webp::encode(&RgbaImage::from_fn(200, 100, |x, y| {
        image::Rgba([x as u8, y as u8, 7, 255])
    }));
    assert!(inspect(&webp_full).accepted);
    assert_eq!(
        rejection_code(&inspect(&webp_full[..webp_full.len() / 2])),
        "corrupt"
    );
}

#[test]
fn damaged_data_behind_a_good_header_is_corrupt() {
    // A frame that points at quantisation tables the file never defines.
    let mut broken = jpeg::encode(&quadrants(320, 240), 90);
    let frame = broken.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
    for component in 0..3 {
        broken[frame + 12 + 3 * component] = 3;
    }
    assert_eq!(rejection_code(&inspect(&broken)), "corrupt");

    let mut png_broken = png::encode(&DynamicImage::ImageRgb8(quadrants(64, 64)));
    let idat = png_broken.windows(4).position(|w| w == b"IDAT").unwrap();
    for byte in &mut png_broken[idat + 4..idat + 12] {
        *byte ^= 0x5A;
    }
    assert_eq!(rejection_code(&inspect(&png_broken)), "corrupt");
}

#[test]
fn orientations_five_to_eight_swap_the_upright_sides() {
    let stored = jpeg::encode(&quadrants(400, 200), 90);
    for orientation in 1..=8u8 {
        let output = inspect(&jpeg::with_orientation(&stored, orientation));
        let image = output.image.expect("accepted");
        assert_eq!(image.orientation, orientation);
        assert_eq!((image.width, image.height), (400, 200));
        let expected = if orientation >= 5 {
            (200, 400)
        } else {
            (400, 200)
        };
        assert_eq!(
            (image.upright_width, image.upright_height),
            expected,
            "orientation {orientation}"
        );
    }
}

#[test]
fn orientation_is_read_from_png_and_webp_too() {
    let picture = png::encode(&DynamicImage::ImageRgb8(quadrants(40, 20)));
    let image = inspect(&png::with_orientation(&picture, 6))
        .image
        .expect("png accepted");
    assert_eq!(
        (image.orientation, image.upright_width, image.upright_height),
        (6, 20, 40)
    );

    let lossless = webp::encode(&RgbaImage::from_pixel(40, 20, image::Rgba([1, 2, 3, 255])));
    let extended = webp::with_orientation(&lossless, 40, 20, 8);
    let image = inspect(&extended).image.expect("webp accepted");
    assert_eq!((image.format, image.orientation), (ImageFormat::Webp, 8));
    assert_eq!((image.upright_width, image.upright_height), (20, 40));
}

#[test]
fn an_unreadable_exif_block_means_upright_not_rejected() {
    let stored = jpeg::encode(&quadrants(40, 20), 90);
    let mut broken = jpeg::with_orientation(&stored, 6);
    broken[12] = b'X'; // spoil the TIFF byte order mark inside the EXIF segment
    let image = inspect(&broken).image.expect("still a photo");
    assert_eq!(image.orientation, 1);
}
