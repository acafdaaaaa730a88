//! JPEG decoding with libjpeg-turbo at a reduced DCT scale.
//!
//! libjpeg-turbo can run its inverse DCT at M/8 of the size (M = 1..8), so a 48 MP
//! photo that only has to become 2048 pixels wide is decoded at 3/8 straight from its
//! coefficients: the full-size pixels never exist, and most of the IDCT and colour
//! conversion work is skipped. The smallest scale that still covers the wanted size
//! is chosen, so the resampler after it always shrinks and never enlarges.

use super::{DecodeFailure, Decoded, MAX_PIXELS, WORKING_BUDGET};
use image::RgbImage;
use std::ffi::{c_int, c_ulong, CStr};
use turbojpeg_sys as tj;

/// What the header says, before any pixel is decoded.
struct Header {
    width: u32,
    height: u32,
    colourspace: tj::TJCS,
    subsampling: tj::TJSAMP,
    progressive: bool,
    lossless: bool,
}

/// Decodes to at least `min_width` × `min_height` (or the full size when smaller).
pub fn decode(bytes: &[u8], min_width: u32, min_height: u32) -> Result<Decoded, DecodeFailure> {
    let mut handle = Handle::new()?;
    // Warnings are libjpeg's word for corrupt data it papered over (grey blocks,
    // a missing end of file): for validation that is a damaged file.
    handle.set(tj::TJPARAM_TJPARAM_STOPONWARNING, 1)?;
    handle.set(tj::TJPARAM_TJPARAM_MAXPIXELS, MAX_PIXELS as c_int)?;
    handle.set(
        tj::TJPARAM_TJPARAM_MAXMEMORY,
        (WORKING_BUDGET >> 20) as c_int,
    )?;
    handle.set(tj::TJPARAM_TJPARAM_SAVEMARKERS, 2)?; // ICC profile (APP2) only
    let header = handle.header(bytes)?;
    // Progressive and lossless JPEGs keep every coefficient of the whole image; refuse
    // the ones whose coefficients would not fit the budget before allocating anything.
    if header.progressive || header.lossless {
        let coefficients = coefficient_bytes(&header);
        if coefficients > WORKING_BUDGET {
            return Err(DecodeFailure::TooLarge(format!(
                "a progressive or lossless JPEG of {}×{} needs {} MiB of coefficients",
                header.width,
                header.height,
                coefficients >> 20
            )));
        }
    }
    let eighths = if header.lossless {
        8 // lossless JPEGs cannot be scaled
    } else {
        eighths_to_cover(&header, min_width, min_height)
    };
    handle.scale(eighths)?;
    let (width, height) = (
        scaled(header.width, eighths),
        scaled(header.height, eighths),
    );
    let cmyk = matches!(header.colourspace, tj::TJCS_TJCS_CMYK | tj::TJCS_TJCS_YCCK);
    let channels: u64 = if cmyk { 4 } else { 3 };
    let output = u64::from(width) * u64::from(height) * channels;
    if output > WORKING_BUDGET {
        return Err(DecodeFailure::TooLarge(format!(
            "{width}×{height} decoded pixels exceed the working budget"
        )));
    }
    let icc_profile = handle.icc_profile();
    let mut pixels = vec![0u8; output as usize];
    let format = if cmyk {
        tj::TJPF_TJPF_CMYK
    } else {
        tj::TJPF_TJPF_RGB
    };
    handle.decompress(bytes, &mut pixels, width * channels as u32, format)?;
    if cmyk {
        pixels = cmyk_to_rgb(pixels);
    }
    let image = RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| DecodeFailure::Corrupt("the JPEG decoder returned a short image".into()))?;
    Ok(Decoded {
        image,
        icc_profile,
        source_width: header.width,
        source_height: header.height,
    })
}

/// Side length at a scale of `eighths`/8, rounded up as libjpeg does.
fn scaled(length: u32, eighths: u32) -> u32 {
    (length * eighths).div_ceil(8)
}

/// The smallest M/8 whose output still covers the wanted size on both sides.
fn eighths_to_cover(header: &Header, min_width: u32, min_height: u32) -> u32 {
    (1..=8)
        .find(|&m| scaled(header.width, m) >= min_width && scaled(header.height, m) >= min_height)
        .unwrap_or(8)
}

/// Memory libjpeg holds for a whole-image coefficient buffer: 2 bytes per coefficient,
/// one full-resolution plane for luma and smaller ones for subsampled chroma (so a
/// 12 MP 4:2:0 progressive photo needs about 37 MB). Unknown layouts count every
/// component at full resolution.
fn coefficient_bytes(header: &Header) -> u64 {
    // Planes of coefficients, in quarters of a full-resolution plane.
    let quarters: u64 = match (header.colourspace, header.subsampling) {
        (tj::TJCS_TJCS_GRAY, _) | (_, tj::TJSAMP_TJSAMP_GRAY) => 4,
        (tj::TJCS_TJCS_CMYK | tj::TJCS_TJCS_YCCK, _) => 16,
        (_, tj::TJSAMP_TJSAMP_420 | tj::TJSAMP_TJSAMP_411 | tj::TJSAMP_TJSAMP_441) => 6,
        (_, tj::TJSAMP_TJSAMP_422 | tj::TJSAMP_TJSAMP_440) => 8,
        _ => 12,
    };
    // Planes are padded to whole 16-pixel MCUs at most.
    let padded = |side: u32| u64::from(side.div_ceil(16) * 16);
    padded(header.width) * padded(header.height) * quarters / 4 * 2
}

/// Adobe CMYK JPEGs store ink inverted (255 = no ink), which libjpeg hands over as is;
/// white paper times the light each ink lets through gives RGB. Compacted in place.
fn cmyk_to_rgb(mut samples: Vec<u8>) -> Vec<u8> {
    let pixels = samples.len() / 4;
    for i in 0..pixels {
        let k = u32::from(samples[4 * i + 3]);
        for channel in 0..3 {
            let ink = u32::from(samples[4 * i + channel]);
            samples[3 * i + channel] = ((ink * k + 127) / 255) as u8;
        }
    }
    samples.truncate(pixels * 3);
    samples
}

/// A TurboJPEG decompressor, destroyed on drop.
struct Handle(tj::tjhandle);

impl Handle {
    fn new() -> Result<Self, DecodeFailure> {
        // SAFETY: tj3Init has no preconditions; a null result is handled.
        let raw = unsafe { tj::tj3Init(tj::TJINIT_TJINIT_DECOMPRESS as c_int) };
        if raw.is_null() {
            return Err(DecodeFailure::Corrupt(
                "the JPEG decoder could not start".into(),
            ));
        }
        Ok(Self(raw))
    }

    fn set(&mut self, parameter: tj::TJPARAM, value: c_int) -> Result<(), DecodeFailure> {
        // SAFETY: the handle is live for as long as `self`.
        let status = unsafe { tj::tj3Set(self.0, parameter as c_int, value) };
        self.check(status)
    }

    fn get(&self, parameter: tj::TJPARAM) -> c_int {
        // SAFETY: the handle is live for as long as `self`.
        unsafe { tj::tj3Get(self.0, parameter as c_int) }
    }

    fn header(&mut self, bytes: &[u8]) -> Result<Header, DecodeFailure> {
        // SAFETY: the pointer and length describe `bytes`, which outlives the call.
        let status =
            unsafe { tj::tj3DecompressHeader(self.0, bytes.as_ptr(), bytes.len() as c_ulong) };
        self.check(status)?;
        let side = |parameter| u32::try_from(self.get(parameter)).unwrap_or(0);
        let header = Header {
            width: side(tj::TJPARAM_TJPARAM_JPEGWIDTH),
            height: side(tj::TJPARAM_TJPARAM_JPEGHEIGHT),
            colourspace: self.get(tj::TJPARAM_TJPARAM_COLORSPACE) as tj::TJCS,
            subsampling: self.get(tj::TJPARAM_TJPARAM_SUBSAMP),
            progressive: self.get(tj::TJPARAM_TJPARAM_PROGRESSIVE) == 1,
            lossless: self.get(tj::TJPARAM_TJPARAM_LOSSLESS) == 1,
        };
        if header.width == 0 || header.height == 0 {
            return Err(DecodeFailure::Corrupt("the JPEG has no pixels".into()));
        }
        Ok(header)
    }

    fn scale(&mut self, eighths: u32) -> Result<(), DecodeFailure> {
        // TurboJPEG knows its factors in lowest terms only (1/2, not 4/8).
        let common = [8, 4, 2, 1]
            .into_iter()
            .find(|d| eighths.is_multiple_of(*d))
            .unwrap_or(1);
        let factor = tj::tjscalingfactor {
            num: (eighths / common) as c_int,
            denom: (8 / common) as c_int,
        };
        // SAFETY: the handle is live for as long as `self`.
        let status = unsafe { tj::tj3SetScalingFactor(self.0, factor) };
        self.check(status)
    }

    /// The embedded ICC profile, copied out of libjpeg's buffer.
    fn icc_profile(&mut self) -> Option<Vec<u8>> {
        let mut buffer: *mut u8 = std::ptr::null_mut();
        let mut size: c_ulong = 0;
        // SAFETY: both out-pointers are valid; a returned buffer is freed with tj3Free.
        unsafe {
            let status = tj::tj3GetICCProfile(self.0, &mut buffer, &mut size);
            if status != 0 || buffer.is_null() {
                return None;
            }
            let profile = std::slice::from_raw_parts(buffer, size as usize).to_vec();
            tj::tj3Free(buffer.cast());
            Some(profile)
        }
    }

    fn decompress(
        &mut self,
        bytes: &[u8],
        pixels: &mut [u8],
        pitch: u32,
        format: tj::TJPF,
    ) -> Result<(), DecodeFailure> {
        // SAFETY: `pixels` holds pitch × scaled height bytes, checked by the caller
        // against the scaled size libjpeg-turbo computes the same way.
        let status = unsafe {
            tj::tj3Decompress8(
                self.0,
                bytes.as_ptr(),
                bytes.len() as c_ulong,
                pixels.as_mut_ptr(),
                pitch as c_int,
                format,
            )
        };
        self.check(status)
    }

    fn check(&self, status: c_int) -> Result<(), DecodeFailure> {
        if status == 0 {
            return Ok(());
        }
        // SAFETY: tj3GetErrorStr returns a NUL-terminated string owned by the handle.
        let message = unsafe { CStr::from_ptr(tj::tj3GetErrorStr(self.0)) }
            .to_string_lossy()
            .into_owned();
        if message.contains("memory") || message.contains("exceeds") {
            Err(DecodeFailure::TooLarge(message))
        } else {
            Err(DecodeFailure::Corrupt(message))
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from tj3Init and is destroyed once.
        unsafe { tj::tj3Destroy(self.0) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(width: u32, height: u32) -> Header {
        Header {
            width,
            height,
            colourspace: tj::TJCS_TJCS_YCbCr,
            subsampling: tj::TJSAMP_TJSAMP_420,
            progressive: false,
            lossless: false,
        }
    }

    #[test]
    fn the_smallest_scale_that_covers_the_display_is_chosen() {
        // 12 MP: 4/8 would give 2016 < 2048.
        assert_eq!(eighths_to_cover(&header(4032, 3024), 2048, 1536), 5);
        // 48 MP: 3/8 gives 3024 × 2268.
        assert_eq!(eighths_to_cover(&header(8064, 6048), 2048, 1536), 3);
        // Smaller than the display: full size.
        assert_eq!(eighths_to_cover(&header(1600, 1200), 1600, 1200), 8);
        assert_eq!(scaled(4032, 5), 2520);
    }

    #[test]
    fn a_progressive_phone_photo_fits_the_budget_and_a_huge_one_does_not() {
        assert!(coefficient_bytes(&header(4032, 3024)) < WORKING_BUDGET);
        assert!(coefficient_bytes(&header(8064, 6048)) > WORKING_BUDGET);
        let grey = Header {
            colourspace: tj::TJCS_TJCS_GRAY,
            ..header(8000, 6000)
        };
        assert_eq!(coefficient_bytes(&grey), 8000 * 6000 * 2);
    }

    #[test]
    fn inverted_cmyk_becomes_rgb() {
        let rgb = cmyk_to_rgb(vec![0, 255, 255, 255, 255, 255, 255, 0]);
        assert_eq!(rgb, vec![0, 255, 255, 0, 0, 0]);
    }
}
