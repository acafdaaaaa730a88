//! Hostile input: orientation. A phone photo whose EXIF a strict parser rejects still
//! comes out the way every other reader shows it.

use crate::support::{Store, TestStack, SF};
use image::{GenericImageView, Rgb};
use wisaw_domain::PhotoStatus;

on_every_store!(a_piexif_photo_turned_by_orientation_6_ends_ready_and_portrait);

/// Stored 4032×3024 landscape with EXIF orientation 6, written by piexif into a JFIF
/// JPEG (its Exif IFD has no next-IFD link). Upright it shows red top-left, green
/// top-right, blue bottom-left, white bottom-right. From the workers' EXIF corpus.
const PIEXIF_PHOTO: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../crates/imaging/tests/fixtures/exif/piexif-4032x3024-o6.jpg"
));

fn assert_near(found: Rgb<u8>, expected: [u8; 3], what: &str) {
    let off = found
        .0
        .iter()
        .zip(expected)
        .map(|(a, e)| (i32::from(*a) - i32::from(e)).abs())
        .max()
        .unwrap();
    assert!(off <= 40, "{what}: {found:?}, expected about {expected:?}");
}

async fn a_piexif_photo_turned_by_orientation_6_ends_ready_and_portrait(store: Store) {
    let stack = TestStack::start(store).await;
    let id = stack.upload(PIEXIF_PHOTO, "image/jpeg", SF.0, SF.1).await;

    let status = stack.wait_final(&id).await;
    assert_eq!(status.status, PhotoStatus::Ready, "{status:?}");
    assert_eq!(
        (status.width.map(u64::from), status.height.map(u64::from)),
        (Some(3024), Some(4032)),
        "reported upright, portrait"
    );

    let display = stack.get_bytes(status.image_url.as_deref().unwrap()).await;
    let display = image::load_from_memory_with_format(&display, image::ImageFormat::WebP)
        .unwrap()
        .into_rgb8();
    let (width, height) = display.dimensions();
    assert_eq!((width, height), (1536, 2048), "display rendition portrait");
    for ((fx, fy), colour, what) in [
        ((1, 1), [255, 0, 0], "top left red"),
        ((3, 1), [0, 255, 0], "top right green"),
        ((1, 3), [0, 0, 255], "bottom left blue"),
        ((3, 3), [255, 255, 255], "bottom right white"),
    ] {
        assert_near(
            *display.get_pixel(width * fx / 4, height * fy / 4),
            colour,
            what,
        );
    }

    let thumb = stack.get_bytes(status.thumb_url.as_deref().unwrap()).await;
    let thumb = image::load_from_memory_with_format(&thumb, image::ImageFormat::WebP).unwrap();
    assert_eq!(thumb.dimensions(), (225, 300), "thumb portrait");
    stack.finish().await;
}
