//! The EXIF orientation of an image. Validate reads it here to report the upright size,
//! and thumbnail turns the pixels by the orientation validate reported, so both steps
//! always agree on which way is up.

use std::io::Cursor;

/// The EXIF orientation (1 to 8) in IFD0, or 1 when there is none or it is out of range:
/// a broken EXIF block is no reason to refuse a photo.
///
/// Read as libvips, sharp, Pillow and exiftool read it: a flaw elsewhere in the EXIF
/// must not lose IFD0's tag. Common writers leave such flaws: piexif writes the Exif
/// IFD without its next-IFD link, so a strict parser reads the bytes after it as a link
/// and gives up ("Unexpected next IFD"); editors leave sub-IFD pointers past the end of
/// the block. kamadak-exif carries on past those when asked to and returns what it
/// could read, which is all this needs.
pub fn orientation(bytes: &[u8]) -> u8 {
    let parsed = exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut Cursor::new(bytes))
        .or_else(|error| {
            error.distill_partial_result(|flaws| {
                tracing::debug!(?flaws, "EXIF read in part");
            })
        });
    let Ok(exif) = parsed else {
        return 1;
    };
    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|field| field.value.get_uint(0))
        .and_then(|value| u8::try_from(value).ok())
        .filter(|value| (1..=8).contains(value))
        .unwrap_or(1)
}

/// Orientations 5 to 8 turn the picture a quarter: width and height trade places.
pub fn swaps_sides(orientation: u8) -> bool {
    (5..=8).contains(&orientation)
}
