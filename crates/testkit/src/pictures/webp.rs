//! WebP inputs and a reader of the RIFF chunks of outputs.

use image::codecs::webp::WebPEncoder;
use image::{ExtendedColorType, RgbaImage};

/// A lossless WebP (the only kind the `image` crate writes).
pub fn encode(image: &RgbaImage) -> Vec<u8> {
    let mut out = Vec::new();
    WebPEncoder::new_lossless(&mut out)
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgba8,
        )
        .expect("webp encodes");
    out
}

/// The RIFF chunks of a WebP file: four-character code and payload.
pub fn chunks(webp: &[u8]) -> Vec<([u8; 4], Vec<u8>)> {
    assert_eq!(&webp[0..4], b"RIFF");
    assert_eq!(&webp[8..12], b"WEBP");
    let riff_size = u32::from_le_bytes(webp[4..8].try_into().unwrap()) as usize;
    assert_eq!(
        riff_size + 8,
        webp.len(),
        "the RIFF size covers the whole file"
    );
    let mut chunks = Vec::new();
    let mut at = 12;
    while at < webp.len() {
        let kind: [u8; 4] = webp[at..at + 4].try_into().unwrap();
        let size = u32::from_le_bytes(webp[at + 4..at + 8].try_into().unwrap()) as usize;
        chunks.push((kind, webp[at + 8..at + 8 + size].to_vec()));
        at += 8 + size + size % 2;
    }
    chunks
}

/// Rewraps a simple WebP into the extended format with an EXIF chunk carrying this
/// orientation, as phones and editors write it.
pub fn with_orientation(webp: &[u8], width: u32, height: u32, orientation: u8) -> Vec<u8> {
    let image_chunks = chunks(webp);
    let mut body = b"WEBP".to_vec();
    let mut vp8x = vec![0x08, 0, 0, 0]; // flags: EXIF present
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    push_chunk(&mut body, b"VP8X", &vp8x);
    for (kind, payload) in &image_chunks {
        push_chunk(&mut body, kind, payload);
    }
    push_chunk(
        &mut body,
        b"EXIF",
        &super::exif_tiff_with_orientation(orientation),
    );
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(&body);
    out
}

fn push_chunk(out: &mut Vec<u8>, kind: &[u8; 4], payload: &[u8]) {
    out.extend_from_slice(kind);
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    if payload.len() % 2 == 1 {
        out.push(0);
    }
}
