//! JPEG inputs: encoded by the `image` crate, with an EXIF segment added by hand; and a
//! CMYK JPEG written from scratch, since no encoder at hand writes CMYK.

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, RgbImage};

pub fn encode(image: &RgbImage, quality: u8) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode(
            image.as_raw(),
            image.width(),
            image.height(),
            ExtendedColorType::Rgb8,
        )
        .expect("jpeg encodes");
    out
}

/// Puts an APP1 `Exif` segment with this orientation right after SOI.
pub fn with_orientation(jpeg: &[u8], orientation: u8) -> Vec<u8> {
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&super::exif_tiff_with_orientation(orientation));
    with_segment_after_soi(jpeg, 0xE1, &payload)
}

/// Puts a marker segment (`FF marker`, its length, `payload`) right after SOI.
fn with_segment_after_soi(jpeg: &[u8], marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// A baseline Adobe CMYK JPEG, `8 * colours.len()` wide and 8 high, one flat 8×8 block
/// per colour. Colours are ink amounts (0 = none, 255 = full), stored inverted as
/// Photoshop does. Flat blocks need only DC coefficients, so tiny Huffman tables do.
pub fn cmyk(colours: &[[u8; 4]]) -> Vec<u8> {
    let mut out = vec![0xFF, 0xD8];
    let mut segment = |marker: u8, body: &[u8]| {
        out.extend_from_slice(&[0xFF, marker]);
        out.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(body);
    };
    // Adobe APP14, transform 0: the four channels are CMYK, not YCCK.
    segment(0xEE, b"Adobe\0\x64\0\0\0\0\0");
    // One quantisation table of ones: coefficients are stored as they are.
    let mut dqt = vec![0u8];
    dqt.extend_from_slice(&[1; 64]);
    segment(0xDB, &dqt);
    let width = (8 * colours.len()) as u16;
    let mut sof = vec![8];
    sof.extend_from_slice(&8u16.to_be_bytes());
    sof.extend_from_slice(&width.to_be_bytes());
    sof.push(4);
    for id in 1..=4 {
        sof.extend_from_slice(&[id, 0x11, 0]);
    }
    segment(0xC0, &sof);
    // DC table 0: categories 0 to 11, each a 4-bit code. AC table 0: end-of-block only.
    let mut dht = vec![0x00, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    dht.extend(0..12u8);
    segment(0xC4, &dht);
    segment(
        0xC4,
        &[0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00],
    );
    let mut sos = vec![4];
    for id in 1..=4 {
        sos.extend_from_slice(&[id, 0x00]);
    }
    sos.extend_from_slice(&[0, 63, 0]);
    segment(0xDA, &sos);

    let mut bits = BitWriter::default();
    let mut previous_dc = [0i32; 4];
    for ink in colours {
        for channel in 0..4 {
            let stored = 255 - i32::from(ink[channel]);
            let dc = 8 * (stored - 128); // the DC of a flat block after the level shift
            let diff = dc - previous_dc[channel];
            previous_dc[channel] = dc;
            let category = 32 - diff.unsigned_abs().leading_zeros();
            bits.put(category, 4);
            let magnitude = if diff >= 0 {
                diff
            } else {
                diff + (1 << category) - 1
            };
            bits.put(magnitude as u32, category);
            bits.put(0, 1); // end of block
        }
    }
    out.extend_from_slice(&bits.finish());
    out.extend_from_slice(&[0xFF, 0xD9]);
    out
}

#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    current: u32,
    filled: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, count: u32) {
        for i in (0..count).rev() {
            self.current = (self.current << 1) | ((value >> i) & 1);
            self.filled += 1;
            if self.filled == 8 {
                self.flush_byte();
            }
        }
    }

    fn flush_byte(&mut self) {
        let byte = self.current as u8;
        self.bytes.push(byte);
        if byte == 0xFF {
            self.bytes.push(0x00); // byte stuffing
        }
        self.current = 0;
        self.filled = 0;
    }

    fn finish(mut self) -> Vec<u8> {
        while self.filled != 0 {
            self.put(1, 1); // pad with ones
        }
        self.bytes
    }
}

/// Embeds an ICC profile as a single APP2 `ICC_PROFILE` segment right after SOI.
pub fn with_icc_profile(jpeg: &[u8], icc: &[u8]) -> Vec<u8> {
    let mut payload = b"ICC_PROFILE\0\x01\x01".to_vec();
    payload.extend_from_slice(icc);
    with_segment_after_soi(jpeg, 0xE2, &payload)
}
