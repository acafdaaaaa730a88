//! PNG inputs: from the `image` crate's encoder, or written chunk by chunk.

use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageEncoder};

pub fn encode(image: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    PngEncoder::new(&mut out)
        .write_image(
            image.as_bytes(),
            image.width(),
            image.height(),
            image.color().into(),
        )
        .expect("png encodes");
    out
}

pub fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut covered = kind.to_vec();
    covered.extend_from_slice(data);
    out.extend_from_slice(&covered);
    out.extend_from_slice(&crc32fast::hash(&covered).to_be_bytes());
    out
}

pub fn ihdr(width: u32, height: u32, bit_depth: u8, colour_type: u8) -> Vec<u8> {
    let mut data = width.to_be_bytes().to_vec();
    data.extend_from_slice(&height.to_be_bytes());
    data.extend_from_slice(&[bit_depth, colour_type, 0, 0, 0]);
    chunk(b"IHDR", &data)
}

pub const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// A PNG that is a signature and a header claiming `width` × `height`, and nothing else.
pub fn header_only(width: u32, height: u32) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&ihdr(width, height, 8, 2));
    out
}

/// An indexed 8-bit PNG with a palette and per-entry alpha (tRNS); `indices` holds one
/// palette index per pixel, row by row.
pub fn palette(width: u32, height: u32, entries: &[[u8; 4]], indices: &[u8]) -> Vec<u8> {
    let mut out = SIGNATURE.to_vec();
    out.extend_from_slice(&ihdr(width, height, 8, 3));
    let rgb: Vec<u8> = entries.iter().flat_map(|e| [e[0], e[1], e[2]]).collect();
    out.extend_from_slice(&chunk(b"PLTE", &rgb));
    let alpha: Vec<u8> = entries.iter().map(|e| e[3]).collect();
    out.extend_from_slice(&chunk(b"tRNS", &alpha));
    let mut raw = Vec::new();
    for row in indices.chunks(width as usize) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    out.extend_from_slice(&chunk(b"IDAT", &zlib_stored(&raw)));
    out.extend_from_slice(&chunk(b"IEND", &[]));
    out
}

/// Adds an `eXIf` chunk with this orientation after the header chunk.
pub fn with_orientation(png: &[u8], orientation: u8) -> Vec<u8> {
    let after_ihdr = 8 + 25;
    let mut out = png[..after_ihdr].to_vec();
    out.extend_from_slice(&chunk(
        b"eXIf",
        &super::exif_tiff_with_orientation(orientation),
    ));
    out.extend_from_slice(&png[after_ihdr..]);
    out
}

/// A zlib stream of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = data.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        out.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in data {
        a = (a + u32::from(byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    out.extend_from_slice(&((b << 16) | a).to_be_bytes());
    out
}
