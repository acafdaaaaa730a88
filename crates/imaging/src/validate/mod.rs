//! Is this upload an image the pipeline accepts? Judged from its bytes alone.
//!
//! The answer is a business outcome ([`ValidateOutput`]), never an error: a bad image
//! is rejected with a stable code and a sentence for the person who sent it.

pub mod header;
pub mod orientation;
pub mod sniff;

use crate::decode::{check, DecodeFailure, MAX_PIXELS, MAX_SIDE};
use sniff::Sniffed;
use wisaw_domain::contracts::{ImageFormat, ImageInfo, ValidateOutput};

/// Stable rejection codes (see [`wisaw_domain::contracts::Rejection`]).
pub mod codes {
    pub const EMPTY: &str = "empty";
    pub const NOT_AN_IMAGE: &str = "not_an_image";
    pub const UNSUPPORTED_FORMAT: &str = "unsupported_format";
    pub const TOO_MANY_PIXELS: &str = "too_many_pixels";
    pub const TOO_LARGE: &str = "too_large";
    pub const CORRUPT: &str = "corrupt";
}

/// Judges an upload from its bytes alone. The order matters: everything that can be
/// decided from the header (format, size) is decided before any pixel is decoded.
pub fn inspect(bytes: &[u8]) -> ValidateOutput {
    let info = match inspect_header(bytes) {
        Ok(info) => info,
        Err(rejected) => return rejected,
    };
    // A bounded full decode: the only way to know the compressed data is sound, and the
    // state machine can only reject here, not in thumbnail. Every byte is decoded, but
    // to a tiny image (a JPEG at 1/8 scale), so it costs little time and memory.
    match check(bytes, info.format) {
        Ok(size) if size == (info.width, info.height) => ValidateOutput::accepted(info),
        Ok(_) => damaged(format_name(info.format)),
        Err(failure) => decode_rejection(&failure, info.format),
    }
}

/// Every check that needs no pixel: emptiness, format, size, structure. Returns what
/// validate will say about an image that also decodes, or the rejection.
pub fn inspect_header(bytes: &[u8]) -> Result<ImageInfo, ValidateOutput> {
    if bytes.is_empty() {
        return Err(ValidateOutput::rejected(
            codes::EMPTY,
            "The upload is empty: no data arrived.",
        ));
    }
    let format = match sniff::sniff(bytes) {
        Sniffed::Accepted(format) => format,
        Sniffed::UnsupportedImage(kind) => {
            return Err(ValidateOutput::rejected(
                codes::UNSUPPORTED_FORMAT,
                format!("This photo is {kind}; only JPEG, PNG and WebP photos are accepted."),
            ));
        }
        Sniffed::NotAnImage(kind) => {
            return Err(ValidateOutput::rejected(
                codes::NOT_AN_IMAGE,
                format!("This file is not a photo: it looks like {kind}."),
            ));
        }
        Sniffed::Unknown => {
            return Err(ValidateOutput::rejected(
                codes::NOT_AN_IMAGE,
                "This file is not a photo: its content is not a JPEG, PNG or WebP image.",
            ));
        }
    };
    let name = format_name(format);
    let (width, height) = match header::dimensions(bytes, format) {
        Ok(size) => size,
        Err(header::HeaderProblem::Truncated) => return Err(incomplete(name)),
        Err(header::HeaderProblem::Invalid(why)) => {
            tracing::debug!(why, "unreadable header");
            return Err(damaged(name));
        }
    };
    let pixels = u64::from(width) * u64::from(height);
    if pixels > MAX_PIXELS {
        return Err(ValidateOutput::rejected(
            codes::TOO_MANY_PIXELS,
            format!(
                "This photo is {width} × {height} pixels ({} megapixels); \
                 the most accepted is {} megapixels.",
                pixels / 1_000_000,
                MAX_PIXELS / 1_000_000
            ),
        ));
    }
    if width.max(height) > MAX_SIDE {
        return Err(ValidateOutput::rejected(
            codes::TOO_LARGE,
            format!(
                "This image is {width} × {height} pixels; no side may be longer than {MAX_SIDE} pixels."
            ),
        ));
    }
    if !header::is_complete(bytes, format) {
        return Err(incomplete(name));
    }
    let orientation = orientation::orientation(bytes);
    Ok(image_info(format, width, height, orientation))
}

/// The verdict for an image whose header passed but whose decoding failed.
pub fn decode_rejection(failure: &DecodeFailure, format: ImageFormat) -> ValidateOutput {
    let name = format_name(format);
    match failure {
        DecodeFailure::TooLarge(detail) => {
            tracing::info!(%detail, "decode over budget");
            ValidateOutput::rejected(
                codes::TOO_LARGE,
                format!("This {name} needs more memory to open than a photo may use."),
            )
        }
        DecodeFailure::Corrupt(detail) => {
            tracing::info!(%detail, "undecodable image");
            damaged(name)
        }
    }
}

/// The [`ImageInfo`] of a stored image, its upright size derived from the orientation.
pub fn image_info(format: ImageFormat, width: u32, height: u32, orientation: u8) -> ImageInfo {
    let (upright_width, upright_height) = if orientation::swaps_sides(orientation) {
        (height, width)
    } else {
        (width, height)
    };
    ImageInfo {
        format,
        width,
        height,
        orientation,
        upright_width,
        upright_height,
    }
}

fn format_name(format: ImageFormat) -> &'static str {
    match format {
        ImageFormat::Jpeg => "JPEG photo",
        ImageFormat::Png => "PNG image",
        ImageFormat::Webp => "WebP image",
    }
}

fn incomplete(name: &str) -> ValidateOutput {
    ValidateOutput::rejected(
        codes::CORRUPT,
        format!("This {name} is incomplete: the file ends too early. Try sending it again."),
    )
}

fn damaged(name: &str) -> ValidateOutput {
    ValidateOutput::rejected(
        codes::CORRUPT,
        format!("This {name} is damaged and cannot be opened."),
    )
}
