//! WebP decoding with libwebp, shrunk while decoding.
//!
//! libwebp's decoder can run its own area-averaging rescaler on each row as it comes
//! out of the lossy (VP8) decoder, so a large WebP never exists at full size in RGB.
//! Lossless (VP8L) bitstreams and alpha planes are decoded whole by libwebp whatever
//! the output size, so their full-size cost is checked against the budget first.

use super::pixels::flatten_rgba_row;
use super::{box_factor, DecodeFailure, Decoded, WORKING_BUDGET};
use image::RgbImage;
use libwebp_sys as webp;

/// Decodes to at least `min_width` × `min_height` (or the full size when smaller).
pub fn decode(bytes: &[u8], min_width: u32, min_height: u32) -> Result<Decoded, DecodeFailure> {
    let mut config = webp::WebPDecoderConfig::new()
        .map_err(|()| DecodeFailure::Corrupt("libwebp has a different ABI".into()))?;
    // SAFETY: the pointer and length describe `bytes`; `config.input` is plain data.
    let status = unsafe { webp::WebPGetFeatures(bytes.as_ptr(), bytes.len(), &mut config.input) };
    check(status)?;
    let features = config.input;
    let (width, height) = (side(features.width)?, side(features.height)?);
    if features.has_animation != 0 {
        // Refused by validate from the header already; never decoded frame by frame.
        return Err(DecodeFailure::Corrupt("an animated WebP".into()));
    }
    let pixels = u64::from(width) * u64::from(height);
    // format 2 is lossless: libwebp keeps the whole image as 32-bit ARGB.
    let internal = match (features.format, features.has_alpha != 0) {
        (2, _) => pixels * 4,
        (_, true) => pixels,
        _ => 0,
    };
    if internal > WORKING_BUDGET {
        return Err(DecodeFailure::TooLarge(format!(
            "a {width}×{height} lossless or transparent WebP needs {} MiB to decode",
            internal >> 20
        )));
    }

    let factor = box_factor(width, height, min_width, min_height);
    let (out_width, out_height) = (width.div_ceil(factor), height.div_ceil(factor));
    let channels: u32 = if features.has_alpha != 0 { 4 } else { 3 };
    let stride = out_width * channels;
    let mut output = vec![0u8; stride as usize * out_height as usize];
    if factor > 1 {
        config.options.use_scaling = 1;
        config.options.scaled_width = out_width as i32;
        config.options.scaled_height = out_height as i32;
    }
    config.options.use_threads = 0;
    config.output.colorspace = if channels == 4 {
        webp::WEBP_CSP_MODE::MODE_RGBA
    } else {
        webp::WEBP_CSP_MODE::MODE_RGB
    };
    // Decode straight into our buffer: libwebp allocates no output of its own.
    config.output.is_external_memory = 1;
    config.output.u.RGBA = webp::WebPRGBABuffer {
        rgba: output.as_mut_ptr(),
        stride: stride as i32,
        size: output.len(),
    };
    // SAFETY: `config.output` points into `output`, which is large enough for the
    // configured size and stride and outlives the call.
    let status = unsafe { webp::WebPDecode(bytes.as_ptr(), bytes.len(), &mut config) };
    // SAFETY: frees only what libwebp itself allocated (nothing, with external memory).
    unsafe { webp::WebPFreeDecBuffer(&mut config.output) };
    check(status)?;

    if channels == 4 {
        let rows = output.len() / stride as usize;
        for row in 0..rows {
            let (rgb_len, start) = (out_width as usize * 3, row * stride as usize);
            flatten_rgba_row(&mut output, start, row * rgb_len, out_width as usize);
        }
        output.truncate(out_width as usize * out_height as usize * 3);
    }
    let image = RgbImage::from_raw(out_width, out_height, output)
        .ok_or_else(|| DecodeFailure::Corrupt("libwebp returned a short image".into()))?;
    Ok(Decoded {
        image,
        icc_profile: icc_profile(bytes),
        source_width: width,
        source_height: height,
    })
}

fn side(value: i32) -> Result<u32, DecodeFailure> {
    u32::try_from(value)
        .ok()
        .filter(|&side| side > 0)
        .ok_or_else(|| DecodeFailure::Corrupt("the WebP has no pixels".into()))
}

fn check(status: webp::VP8StatusCode) -> Result<(), DecodeFailure> {
    use webp::VP8StatusCode as Status;
    match status {
        Status::VP8_STATUS_OK => Ok(()),
        Status::VP8_STATUS_OUT_OF_MEMORY => {
            Err(DecodeFailure::TooLarge("libwebp ran out of memory".into()))
        }
        other => Err(DecodeFailure::Corrupt(format!("libwebp: {other:?}"))),
    }
}

/// The ICCP chunk of an extended WebP, found by walking the RIFF chunks.
fn icc_profile(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut at = 12;
    while let Some(header) = bytes.get(at..at + 8) {
        let size = u32::from_le_bytes(header[4..8].try_into().ok()?) as usize;
        let body = bytes.get(at + 8..(at + 8).checked_add(size)?)?;
        if &header[..4] == b"ICCP" {
            return Some(body.to_vec());
        }
        at += 8 + size + (size & 1); // chunks are padded to an even length
    }
    None
}
