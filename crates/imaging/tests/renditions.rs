//! The renditions: upright, the right sizes, the right colours, and nothing but pixels.

use wisaw_testkit::pictures as common;

use common::{assert_colour_near, decode_webp, jpeg, png, quadrants, stored_for_orientation, webp};
use common::{BLUE, GREEN, RED, WHITE};
use image::{DynamicImage, ImageBuffer, LumaA, Rgb, Rgba, RgbaImage};
use wisaw_domain::contracts::ImageInfo;
use wisaw_imaging::validate::inspect;
use wisaw_imaging::{render, Renditions};

fn accepted(bytes: &[u8]) -> ImageInfo {
    let output = inspect(bytes);
    output
        .image
        .unwrap_or_else(|| panic!("refused: {:?}", output.rejection))
}

fn render_bytes(bytes: &[u8]) -> Renditions {
    render(bytes, &accepted(bytes)).expect("renders")
}

/// The colour at the centre of each quadrant: top-left, top-right, bottom-left, bottom-right.
fn quadrant_colours(image: &image::RgbImage) -> [[u8; 3]; 4] {
    let (w, h) = image.dimensions();
    [
        (w / 4, h / 4),
        (3 * w / 4, h / 4),
        (w / 4, 3 * h / 4),
        (3 * w / 4, 3 * h / 4),
    ]
    .map(|(x, y)| image.get_pixel(x, y).0)
}

#[test]
fn every_exif_orientation_comes_out_upright() {
    let upright = quadrants(400, 200);
    for orientation in 1..=8u8 {
        let stored = stored_for_orientation(&upright, orientation);
        let file = jpeg::with_orientation(&jpeg::encode(&stored, 95), orientation);
        let renditions = render_bytes(&file);
        for (name, rendition) in [
            ("display", &renditions.display),
            ("thumb", &renditions.thumb),
        ] {
            let pixels = decode_webp(&rendition.bytes);
            assert_eq!(
                pixels.dimensions(),
                (400, 200),
                "{name}, orientation {orientation}"
            );
            assert_eq!((rendition.width, rendition.height), (400, 200));
            let [top_left, top_right, bottom_left, bottom_right] = quadrant_colours(&pixels);
            let what = format!("{name}, orientation {orientation}");
            assert_colour_near(top_left, RED, &format!("{what}, top left"));
            assert_colour_near(top_right, GREEN, &format!("{what}, top right"));
            assert_colour_near(bottom_left, BLUE, &format!("{what}, bottom left"));
            assert_colour_near(bottom_right, WHITE, &format!("{what}, bottom right"));
        }
    }
}

#[test]
fn orientation_from_png_and_webp_is_applied_too() {
    let upright = quadrants(60, 30);
    let stored = stored_for_orientation(&upright, 6);
    let file = png::with_orientation(&png::encode(&DynamicImage::ImageRgb8(stored.clone())), 6);
    let display = decode_webp(&render_bytes(&file).display.bytes);
    assert_eq!(display.dimensions(), (60, 30));
    assert_eq!(
        quadrant_colours(&display).map(|c| c.map(|v| v / 128)),
        [RED, GREEN, BLUE, WHITE].map(|c| c.map(|v| v / 128))
    );

    let rgba = DynamicImage::ImageRgb8(stored).into_rgba8();
    let file = webp::with_orientation(&webp::encode(&rgba), 30, 60, 6);
    let display = decode_webp(&render_bytes(&file).display.bytes);
    assert_eq!(display.dimensions(), (60, 30));
    let [top_left, _, _, bottom_right] = quadrant_colours(&display);
    assert_colour_near(top_left, RED, "webp top left");
    assert_colour_near(bottom_right, WHITE, "webp bottom right");
}

/// The renditions of `file` are `display` and `thumb` pixels (width, height), as
/// declared and as decoded.
fn assert_rendition_sizes(file: &[u8], display: (u32, u32), thumb: (u32, u32)) -> Renditions {
    let renditions = render_bytes(file);
    for (name, rendition, size) in [
        ("display", &renditions.display, display),
        ("thumb", &renditions.thumb, thumb),
    ] {
        assert_eq!((rendition.width, rendition.height), size, "{name}");
        assert_eq!(decode_webp(&rendition.bytes).dimensions(), size, "{name}");
    }
    renditions
}

#[test]
fn large_photos_shrink_to_the_two_rendition_sizes() {
    let landscape = jpeg::encode(&quadrants(3000, 1000), 85);
    let renditions = assert_rendition_sizes(&landscape, (2048, 683), (900, 300));
    assert!(renditions.thumb.bytes.len() < renditions.display.bytes.len());

    // Upright portrait (stored landscape, turned by EXIF 6): the limits apply upright.
    let portrait = jpeg::with_orientation(&jpeg::encode(&quadrants(2400, 1600), 85), 6);
    assert_rendition_sizes(&portrait, (1365, 2048), (200, 300));
}

#[test]
fn small_photos_are_never_upscaled() {
    let small = jpeg::encode(&quadrants(120, 80), 90);
    assert_rendition_sizes(&small, (120, 80), (120, 80));

    // Taller than the thumb, smaller than the display: only the thumb shrinks.
    let medium = jpeg::encode(&quadrants(600, 450), 90);
    assert_rendition_sizes(&medium, (600, 450), (400, 300));
}

#[test]
fn renditions_carry_no_metadata_at_all() {
    // The original has EXIF (orientation standing in for GPS and the device).
    let file = jpeg::with_orientation(&jpeg::encode(&quadrants(800, 600), 90), 3);
    let renditions = render_bytes(&file);
    for bytes in [&renditions.thumb.bytes, &renditions.display.bytes] {
        let chunks = webp::chunks(bytes);
        let kinds: Vec<&[u8; 4]> = chunks.iter().map(|(kind, _)| kind).collect();
        for forbidden in [b"EXIF", b"XMP ", b"ICCP"] {
            assert!(
                !kinds.contains(&forbidden),
                "found {forbidden:?} in {kinds:?}"
            );
        }
        assert_eq!(kinds, [b"VP8 "], "a plain lossy WebP: one bitstream chunk");
    }
}

#[test]
fn rendering_twice_gives_the_same_bytes() {
    let file = jpeg::encode(&quadrants(900, 700), 90);
    assert_eq!(render_bytes(&file), render_bytes(&file));
}

#[test]
fn greyscale_png_stays_grey() {
    let grey =
        image::GrayImage::from_fn(64, 64, |x, _| image::Luma([if x < 32 { 40 } else { 200 }]));
    let display = decode_webp(
        &render_bytes(&png::encode(&DynamicImage::ImageLuma8(grey)))
            .display
            .bytes,
    );
    assert_colour_near(display.get_pixel(8, 32).0, [40, 40, 40], "dark half");
    assert_colour_near(display.get_pixel(56, 32).0, [200, 200, 200], "light half");
}

#[test]
fn sixteen_bit_png_keeps_its_colours() {
    let deep: ImageBuffer<Rgb<u16>, Vec<u16>> =
        ImageBuffer::from_pixel(64, 64, Rgb([0xFFFF, 0x8080, 0x0000]));
    let display = decode_webp(
        &render_bytes(&png::encode(&DynamicImage::ImageRgb16(deep)))
            .display
            .bytes,
    );
    assert_colour_near(display.get_pixel(32, 32).0, [255, 128, 0], "orange");

    let deep_alpha: ImageBuffer<Rgba<u16>, Vec<u16>> =
        ImageBuffer::from_pixel(64, 64, Rgba([0x0000, 0x0000, 0xFFFF, 0xFFFF]));
    let display = decode_webp(
        &render_bytes(&png::encode(&DynamicImage::ImageRgba16(deep_alpha)))
            .display
            .bytes,
    );
    assert_colour_near(display.get_pixel(32, 32).0, BLUE, "opaque blue");
}

#[test]
fn palette_png_with_transparency_is_flattened_onto_white() {
    let entries = [[255, 0, 0, 255], [0, 0, 255, 0], [0, 255, 0, 128]];
    // Three vertical bands of 16 pixels: opaque red, invisible blue, half-transparent green.
    let indices: Vec<u8> = (0..48 * 16).map(|i| ((i % 48) / 16) as u8).collect();
    let file = png::palette(48, 16, &entries, &indices);
    let display = decode_webp(&render_bytes(&file).display.bytes);
    assert_colour_near(display.get_pixel(8, 8).0, RED, "opaque red");
    assert_colour_near(display.get_pixel(24, 8).0, WHITE, "transparent");
    assert_colour_near(
        display.get_pixel(40, 8).0,
        [127, 255, 127],
        "half green over white",
    );
}

#[test]
fn grey_with_alpha_is_flattened_onto_white() {
    let image = ImageBuffer::from_fn(32, 32, |x, _| LumaA([0u8, if x < 16 { 255 } else { 0 }]));
    let display = decode_webp(
        &render_bytes(&png::encode(&DynamicImage::ImageLumaA8(image)))
            .display
            .bytes,
    );
    assert_colour_near(display.get_pixel(4, 16).0, [0, 0, 0], "opaque black");
    assert_colour_near(display.get_pixel(28, 16).0, WHITE, "transparent");
}

#[test]
fn cmyk_jpeg_comes_out_in_rgb() {
    // Ink amounts: cyan, magenta + yellow (red), black, none (white paper).
    let file = jpeg::cmyk(&[
        [255, 0, 0, 0],
        [0, 255, 255, 0],
        [0, 0, 0, 255],
        [0, 0, 0, 0],
    ]);
    let info = accepted(&file);
    assert_eq!((info.width, info.height), (32, 8));
    let display = decode_webp(&render(&file, &info).expect("renders").display.bytes);
    assert_colour_near(display.get_pixel(3, 4).0, [0, 255, 255], "cyan");
    assert_colour_near(display.get_pixel(11, 4).0, RED, "magenta and yellow");
    assert_colour_near(display.get_pixel(19, 4).0, [0, 0, 0], "black");
    assert_colour_near(display.get_pixel(28, 4).0, WHITE, "paper");
}

#[test]
fn a_lossless_webp_with_alpha_renders_opaque() {
    let image = RgbaImage::from_fn(50, 50, |x, _| {
        if x < 25 {
            Rgba([0, 0, 255, 255])
        } else {
            Rgba([0, 0, 0, 0])
        }
    });
    let display = decode_webp(&render_bytes(&webp::encode(&image)).display.bytes);
    assert_colour_near(display.get_pixel(5, 25).0, BLUE, "opaque");
    assert_colour_near(display.get_pixel(45, 25).0, WHITE, "transparent");
}

#[test]
fn an_original_that_changed_since_validation_is_a_permanent_error() {
    let first = jpeg::encode(&quadrants(100, 50), 90);
    let info = accepted(&first);
    let other = jpeg::encode(&quadrants(50, 100), 90);
    let error = render(&other, &info).expect_err("sizes disagree");
    assert_eq!(error.kind, wisaw_domain::StepErrorKind::Permanent);
    let error = render(&first[..first.len() / 3], &info).expect_err("cut short");
    assert_eq!(error.kind, wisaw_domain::StepErrorKind::Permanent);
}

/// The colour at the centre of a 64 by 64 photo's display rendition.
fn display_centre(file: &[u8]) -> [u8; 3] {
    decode_webp(&render_bytes(file).display.bytes)
        .get_pixel(32, 32)
        .0
}

#[test]
fn display_p3_photos_are_converted_to_srgb() {
    let flat = jpeg::encode(
        &image::RgbImage::from_pixel(64, 64, Rgb([200, 100, 100])),
        100,
    );
    let untagged = display_centre(&flat);
    assert_colour_near(untagged, [200, 100, 100], "untagged stays as it is");

    let srgb = moxcms::ColorProfile::new_srgb().encode().unwrap();
    let tagged = display_centre(&jpeg::with_icc_profile(&flat, &srgb));
    for channel in 0..3 {
        assert!(
            tagged[channel].abs_diff(untagged[channel]) <= 3,
            "sRGB stays: {tagged:?}"
        );
    }

    // The same numbers meant in Display P3 are a more saturated red than in sRGB.
    let p3 = moxcms::ColorProfile::new_display_p3().encode().unwrap();
    let converted = display_centre(&jpeg::with_icc_profile(&flat, &p3));
    assert!(
        converted[0] >= untagged[0] + 8,
        "red rises: {untagged:?} -> {converted:?}"
    );
    assert!(
        converted[1] + 5 <= untagged[1],
        "green falls: {untagged:?} -> {converted:?}"
    );
}
