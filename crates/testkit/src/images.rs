//! Photo-like test files: JPEGs with an EXIF orientation and GPS position,
//! hostile files, and a look inside WebP containers.

use image::{ImageEncoder, Rgb, RgbImage};

/// A `width`×`height` picture, red on the left half and blue on the right, with
/// some texture so the encoders have real work.
pub fn two_tone(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let grain = ((x * 7 + y * 13) % 16) as u8;
        if x < width / 2 {
            Rgb([220 + grain / 2, 20 + grain, 20])
        } else {
            Rgb([20, 20 + grain, 220 + grain / 2])
        }
    })
}

pub fn jpeg(image: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .unwrap();
    out
}

/// A JPEG carrying an EXIF APP1 segment with this orientation and a GPS position,
/// as phones write them.
pub fn jpeg_with_exif(image: &RgbImage, orientation: u16) -> Vec<u8> {
    let plain = jpeg(image);
    let app1 = exif_app1(orientation);
    let mut out = Vec::with_capacity(plain.len() + app1.len());
    out.extend_from_slice(&plain[..2]); // SOI
    out.extend_from_slice(&app1);
    out.extend_from_slice(&plain[2..]);
    out
}

/// EXIF (little-endian TIFF): IFD0 with Orientation and a GPS IFD pointer; the GPS IFD
/// with a latitude reference. Enough for a reader to find both.
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut tiff = Vec::new();
    tiff.extend_from_slice(b"II*\0");
    tiff.extend_from_slice(&8u32.to_le_bytes());
    // IFD0 at 8: 2 entries.
    tiff.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut tiff, 0x0112, 3, 1, u32::from(orientation));
    let gps_ifd_offset = 8 + 2 + 2 * 12 + 4;
    entry(&mut tiff, 0x8825, 4, 1, gps_ifd_offset);
    tiff.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD: GPSLatitudeRef = "N".
    tiff.extend_from_slice(&1u16.to_le_bytes());
    entry(&mut tiff, 0x0001, 2, 2, u32::from_le_bytes([b'N', 0, 0, 0]));
    tiff.extend_from_slice(&0u32.to_le_bytes());

    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
    out.extend_from_slice(&tag.to_le_bytes());
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    if kind == 3 {
        out.extend_from_slice(&(value as u16).to_le_bytes());
        out.extend_from_slice(&[0, 0]);
    } else {
        out.extend_from_slice(&value.to_le_bytes());
    }
}

/// A PNG whose header claims `width`×`height` pixels, with a valid CRC and nothing
/// behind it: a decompression bomb's calling card.
pub fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    out.extend_from_slice(&13u32.to_be_bytes());
    out.extend_from_slice(&ihdr);
    out.extend_from_slice(&crc32fast::hash(&ihdr).to_be_bytes());
    out
}

/// The FourCCs of a WebP file's chunks (`VP8 `, `VP8L`, `VP8X`, `EXIF`, `XMP `, `ICCP`...).
pub fn webp_chunks(bytes: &[u8]) -> Vec<String> {
    assert!(
        bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP",
        "not a WebP file"
    );
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= bytes.len() {
        chunks.push(String::from_utf8_lossy(&bytes[at..at + 4]).into_owned());
        let size = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        at += 8 + size + (size & 1);
    }
    chunks
}
