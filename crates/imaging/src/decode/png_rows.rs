//! PNG decoding row by row into a [`BoxShrink`], so memory follows the shrunk size.
//!
//! Interlaced (Adam7) PNGs spread every row over seven passes; they are decoded whole,
//! and only if the whole frame fits the working budget.

use super::pixels::{row_to_rgb, Samples};
use super::shrink::BoxShrink;
use super::{box_factor, DecodeFailure, Decoded, WORKING_BUDGET};
use png::{ColorType, DecodingError, Transformations};
use std::io::Cursor;

/// Decodes to at least `min_width` × `min_height` (or the full size when smaller).
pub fn decode(bytes: &[u8], min_width: u32, min_height: u32) -> Result<Decoded, DecodeFailure> {
    if has_ragged_palette(bytes) {
        return Err(DecodeFailure::Corrupt(
            "the PNG palette is not whole RGB entries".into(),
        ));
    }
    let limits = png::Limits {
        bytes: WORKING_BUDGET as usize,
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(bytes), limits);
    // Palettes and low bit depths expanded, 16-bit samples cut to their high byte.
    decoder.set_transformations(Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(failure)?;
    let info = reader.info();
    let (width, height, interlaced) = (info.width, info.height, info.interlaced);
    let icc_profile = info.icc_profile.as_ref().map(|profile| profile.to_vec());
    let samples = match reader.output_color_type().0 {
        ColorType::Grayscale => Samples::Grey,
        ColorType::GrayscaleAlpha => Samples::GreyAlpha,
        ColorType::Rgb => Samples::Rgb,
        ColorType::Rgba => Samples::Rgba,
        ColorType::Indexed => {
            return Err(DecodeFailure::Corrupt(
                "the palette was not expanded".into(),
            ))
        }
    };
    let channels = samples.channels();
    let mut shrink = BoxShrink::new(
        width,
        height,
        box_factor(width, height, min_width, min_height),
    );
    let mut rgb = vec![0u8; width as usize * 3];
    let mut push = |row: &[u8]| {
        if samples == Samples::Rgb {
            shrink.push(row);
        } else {
            row_to_rgb(samples, row, &mut rgb);
            shrink.push(&rgb);
        }
    };

    let line = width as usize * channels;
    let mut rows = 0u32;
    if interlaced {
        let size = reader
            .output_buffer_size()
            .filter(|&size| size as u64 <= WORKING_BUDGET)
            .ok_or_else(|| {
                DecodeFailure::TooLarge(format!("an interlaced {width}×{height} PNG"))
            })?;
        let mut frame = vec![0u8; size];
        reader.next_frame(&mut frame).map_err(failure)?;
        for row in frame.chunks_exact(line).take(height as usize) {
            push(row);
            rows += 1;
        }
    } else {
        while let Some(row) = reader.next_row().map_err(failure)? {
            push(row.data());
            rows += 1;
        }
    }
    if rows != height {
        return Err(DecodeFailure::Corrupt(format!(
            "{rows} of {height} rows decoded"
        )));
    }
    let image = shrink
        .finish()
        .ok_or_else(|| DecodeFailure::Corrupt("the PNG decoded to nothing".into()))?;
    Ok(Decoded {
        image,
        icc_profile,
        source_width: width,
        source_height: height,
    })
}

fn failure(error: DecodingError) -> DecodeFailure {
    match error {
        DecodingError::LimitsExceeded => DecodeFailure::TooLarge(error.to_string()),
        other => DecodeFailure::Corrupt(other.to_string()),
    }
}

/// A PLTE chunk whose length is not a multiple of three (or over 256 entries) is
/// invalid, and the `png` crate 0.18 panics expanding one (found by fuzzing); such
/// files are refused before it sees them.
fn has_ragged_palette(bytes: &[u8]) -> bool {
    let mut at = 8;
    while let Some(header) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        match &header[4..8] {
            b"PLTE" => return !length.is_multiple_of(3) || length > 768,
            b"IDAT" | b"IEND" => return false, // the palette comes before the image data
            _ => {}
        }
        at = match at.checked_add(12 + length) {
            Some(next) => next,
            None => return false,
        };
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_palette_of_partial_entries_is_refused() {
        let chunk = |kind: &[u8], length: u32| {
            let mut chunk = length.to_be_bytes().to_vec();
            chunk.extend_from_slice(kind);
            chunk.extend(std::iter::repeat_n(0, length as usize + 4));
            chunk
        };
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(chunk(b"IHDR", 13));
        let mut ragged = png.clone();
        ragged.extend(chunk(b"PLTE", 49));
        assert!(has_ragged_palette(&ragged));
        png.extend(chunk(b"PLTE", 48));
        assert!(!has_ragged_palette(&png));
    }
}
