//! What the first bytes of a file say about it, read without decoding any pixel:
//! its dimensions and whether it is complete. (Its orientation is in [`super::orientation`].)

use wisaw_domain::contracts::ImageFormat;

/// Why a header could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderProblem {
    /// The file stops before the header does.
    Truncated,
    /// The header is there but does not make sense.
    Invalid(&'static str),
}

/// Width and height as stored in the file.
pub fn dimensions(bytes: &[u8], format: ImageFormat) -> Result<(u32, u32), HeaderProblem> {
    let (width, height) = match format {
        ImageFormat::Jpeg => jpeg_dimensions(bytes)?,
        ImageFormat::Png => png_dimensions(bytes)?,
        ImageFormat::Webp => webp_dimensions(bytes)?,
    };
    if width == 0 || height == 0 {
        return Err(HeaderProblem::Invalid(
            "the header declares an image with no pixels",
        ));
    }
    Ok((width, height))
}

/// Whether the file carries its end marker, which a cut-off upload lacks.
/// Decoders are lenient with missing data (a JPEG decoder paints it grey), so this
/// is checked on the structure itself.
pub fn is_complete(bytes: &[u8], format: ImageFormat) -> bool {
    match format {
        ImageFormat::Jpeg => jpeg_has_end_of_image(bytes),
        ImageFormat::Png => png_has_end_chunk(bytes),
        ImageFormat::Webp => {
            let declared = u32_le(bytes, 4).map(|size| size as usize + 8);
            declared.is_some_and(|declared| declared <= bytes.len())
        }
    }
}

fn u16_be(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_be(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u32_le(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn u24_le(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at + 3)?;
    Some(u32::from(b[0]) | u32::from(b[1]) << 8 | u32::from(b[2]) << 16)
}

/// Start-of-frame markers carry the size; C4 (DHT), C8 (reserved) and CC (DAC) share the range.
fn is_start_of_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Walks the JPEG segments up to the frame header. Returns the offset just past it too.
fn jpeg_frame(bytes: &[u8]) -> Result<(u32, u32, usize), HeaderProblem> {
    let mut at = 2;
    loop {
        match bytes.get(at) {
            None => return Err(HeaderProblem::Truncated),
            Some(0xFF) => {}
            Some(_) => return Err(HeaderProblem::Invalid("a JPEG segment is out of place")),
        }
        while bytes.get(at) == Some(&0xFF) {
            at += 1; // fill bytes before a marker
        }
        let Some(&marker) = bytes.get(at) else {
            return Err(HeaderProblem::Truncated);
        };
        at += 1;
        match marker {
            0x01 | 0xD0..=0xD8 => continue, // markers without a length
            0xD9 | 0xDA => {
                return Err(HeaderProblem::Invalid("the JPEG has no frame header"));
            }
            _ => {}
        }
        let length = usize::from(u16_be(bytes, at).ok_or(HeaderProblem::Truncated)?);
        if length < 2 {
            return Err(HeaderProblem::Invalid(
                "a JPEG segment has an impossible length",
            ));
        }
        if is_start_of_frame(marker) {
            let height = u16_be(bytes, at + 3).ok_or(HeaderProblem::Truncated)?;
            let width = u16_be(bytes, at + 5).ok_or(HeaderProblem::Truncated)?;
            return Ok((u32::from(width), u32::from(height), at + length));
        }
        at += length;
    }
}

fn jpeg_dimensions(bytes: &[u8]) -> Result<(u32, u32), HeaderProblem> {
    jpeg_frame(bytes).map(|(width, height, _)| (width, height))
}

/// An end-of-image marker after the frame header. Compressed data escapes every 0xFF,
/// so FF D9 there is the real marker; data a phone appends after it (motion photos) is fine.
fn jpeg_has_end_of_image(bytes: &[u8]) -> bool {
    let Ok((_, _, after_frame)) = jpeg_frame(bytes) else {
        return false;
    };
    bytes
        .get(after_frame..)
        .is_some_and(|rest| rest.windows(2).any(|pair| pair == [0xFF, 0xD9]))
}

fn png_dimensions(bytes: &[u8]) -> Result<(u32, u32), HeaderProblem> {
    // Signature (8), then the first chunk: length (4), type (4), width (4), height (4).
    if bytes.len() < 24 {
        return Err(HeaderProblem::Truncated);
    }
    if &bytes[12..16] != b"IHDR" {
        return Err(HeaderProblem::Invalid(
            "the PNG does not start with its header chunk",
        ));
    }
    let width = u32_be(bytes, 16).ok_or(HeaderProblem::Truncated)?;
    let height = u32_be(bytes, 20).ok_or(HeaderProblem::Truncated)?;
    Ok((width, height))
}

/// Hops from chunk to chunk (length + type + data + CRC) to the closing IEND.
fn png_has_end_chunk(bytes: &[u8]) -> bool {
    let mut at = 8;
    while let Some(length) = u32_be(bytes, at) {
        let Some(kind) = bytes.get(at + 4..at + 8) else {
            return false;
        };
        let Some(next) = (at + 12).checked_add(length as usize) else {
            return false;
        };
        if next > bytes.len() {
            return false;
        }
        if kind == b"IEND" {
            return true;
        }
        at = next;
    }
    false
}

fn webp_dimensions(bytes: &[u8]) -> Result<(u32, u32), HeaderProblem> {
    let chunk = bytes.get(12..16).ok_or(HeaderProblem::Truncated)?;
    let payload = 20;
    match chunk {
        b"VP8 " => {
            // Frame tag (3 bytes), start code 9D 01 2A, then 14-bit width and height.
            let start = bytes
                .get(payload + 3..payload + 6)
                .ok_or(HeaderProblem::Truncated)?;
            if start != [0x9D, 0x01, 0x2A] {
                return Err(HeaderProblem::Invalid("the WebP frame has no start code"));
            }
            let size = u32_le(bytes, payload + 6).ok_or(HeaderProblem::Truncated)?;
            Ok((size & 0x3FFF, (size >> 16) & 0x3FFF))
        }
        b"VP8L" => {
            if bytes.get(payload) != Some(&0x2F) {
                return Err(HeaderProblem::Invalid("the lossless WebP has no signature"));
            }
            let bits = u32_le(bytes, payload + 1).ok_or(HeaderProblem::Truncated)?;
            Ok(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        b"VP8X" => {
            let width = u24_le(bytes, payload + 4).ok_or(HeaderProblem::Truncated)?;
            let height = u24_le(bytes, payload + 7).ok_or(HeaderProblem::Truncated)?;
            Ok((width + 1, height + 1))
        }
        _ => Err(HeaderProblem::Invalid(
            "the WebP has no image chunk where expected",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_chunk_walk_needs_iend_within_the_file() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&[0, 0, 0, 13]);
        png.extend_from_slice(b"IHDR");
        png.extend_from_slice(&[0; 13 + 4]);
        assert!(!png_has_end_chunk(&png));
        png.extend_from_slice(&[0, 0, 0, 0]);
        png.extend_from_slice(b"IEND");
        png.extend_from_slice(&[0; 4]);
        assert!(png_has_end_chunk(&png));
        assert!(!png_has_end_chunk(&png[..png.len() - 1]));
    }

    #[test]
    fn jpeg_walk_skips_segments_and_reads_the_frame() {
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE1, 0x00, 0x04, 0xAA, 0xBB];
        jpeg.extend_from_slice(&[
            0xFF, 0xC2, 0x00, 0x0B, 8, 0x01, 0x2C, 0x02, 0x58, 1, 1, 0x11, 0,
        ]);
        assert_eq!(jpeg_dimensions(&jpeg), Ok((600, 300)));
        assert_eq!(jpeg_dimensions(&jpeg[..10]), Err(HeaderProblem::Truncated));
        assert!(!jpeg_has_end_of_image(&jpeg));
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x12, 0xFF, 0x00, 0xFF, 0xD9, b'M', b'P', b'4']);
        assert!(jpeg_has_end_of_image(&jpeg));
    }

    #[test]
    fn webp_sizes_come_from_each_chunk_kind() {
        let mut lossy = b"RIFF\0\0\0\0WEBPVP8 \0\0\0\0".to_vec();
        lossy.extend_from_slice(&[0, 0, 0, 0x9D, 0x01, 0x2A, 0x90, 0x01, 0xC8, 0x00]);
        assert_eq!(webp_dimensions(&lossy), Ok((400, 200)));
        let mut extended = b"RIFF\0\0\0\0WEBPVP8X\0\0\0\0".to_vec();
        extended.extend_from_slice(&[0, 0, 0, 0, 0x8F, 0x01, 0x00, 0xC7, 0x00, 0x00]);
        assert_eq!(webp_dimensions(&extended), Ok((400, 200)));
    }
}
