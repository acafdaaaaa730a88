//! What a file really is, from its first bytes. The file name and the declared content
//! type come from the phone and prove nothing; the magic numbers do.

use wisaw_domain::contracts::ImageFormat;

/// The verdict of [`sniff`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// A format the pipeline accepts.
    Accepted(ImageFormat),
    /// An image, but in a format the pipeline does not take (named for people).
    UnsupportedImage(&'static str),
    /// Something recognisable that is not an image at all (named for people).
    NotAnImage(&'static str),
    /// Nothing recognisable.
    Unknown,
}

pub fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Sniffed::Accepted(ImageFormat::Jpeg);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Sniffed::Accepted(ImageFormat::Png);
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" {
        return match &bytes[8..12] {
            // VP8X flag 0x02: frames of an animation, not a photo.
            b"WEBP"
                if bytes.get(12..16) == Some(b"VP8X")
                    && bytes.get(20).is_some_and(|flags| flags & 0x02 != 0) =>
            {
                Sniffed::UnsupportedImage("an animated WebP")
            }
            b"WEBP" => Sniffed::Accepted(ImageFormat::Webp),
            b"AVI " => Sniffed::NotAnImage("an AVI video"),
            b"WAVE" => Sniffed::NotAnImage("a WAV sound file"),
            _ => Sniffed::Unknown,
        };
    }
    if let Some(kind) = iso_media(bytes) {
        return kind;
    }
    const SIGNATURES: &[(&[u8], Sniffed)] = &[
        (b"GIF87a", Sniffed::UnsupportedImage("a GIF image")),
        (b"GIF89a", Sniffed::UnsupportedImage("a GIF image")),
        (
            b"II*\0",
            Sniffed::UnsupportedImage("a TIFF or camera RAW image"),
        ),
        (
            b"MM\0*",
            Sniffed::UnsupportedImage("a TIFF or camera RAW image"),
        ),
        (b"BM", Sniffed::UnsupportedImage("a BMP image")),
        (b"8BPS", Sniffed::UnsupportedImage("a Photoshop document")),
        (b"\0\0\x01\0", Sniffed::UnsupportedImage("an icon file")),
        (
            b"\0\0\0\x0cjP  ",
            Sniffed::UnsupportedImage("a JPEG 2000 image"),
        ),
        (b"\xff\x0a", Sniffed::UnsupportedImage("a JPEG XL image")),
        (
            b"\0\0\0\x0cJXL ",
            Sniffed::UnsupportedImage("a JPEG XL image"),
        ),
        (b"%PDF", Sniffed::NotAnImage("a PDF document")),
        (
            b"PK\x03\x04",
            Sniffed::NotAnImage("a ZIP archive or office document"),
        ),
        (b"\x1f\x8b", Sniffed::NotAnImage("a compressed (gzip) file")),
        (
            b"7z\xbc\xaf\x27\x1c",
            Sniffed::NotAnImage("a 7-Zip archive"),
        ),
        (b"Rar!", Sniffed::NotAnImage("a RAR archive")),
        (b"\x7fELF", Sniffed::NotAnImage("a program")),
        (b"MZ", Sniffed::NotAnImage("a program")),
        (b"ID3", Sniffed::NotAnImage("an MP3 sound file")),
        (b"OggS", Sniffed::NotAnImage("an Ogg audio or video file")),
        (b"fLaC", Sniffed::NotAnImage("a FLAC sound file")),
        (
            b"\x1a\x45\xdf\xa3",
            Sniffed::NotAnImage("a Matroska or WebM video"),
        ),
        (b"<svg", Sniffed::NotAnImage("an SVG drawing")),
    ];
    if let Some((_, kind)) = SIGNATURES
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
    {
        return *kind;
    }
    if looks_like_text(bytes) {
        return Sniffed::NotAnImage("a text file");
    }
    Sniffed::Unknown
}

/// ISO base media files (`....ftyp` + brand): HEIC/AVIF photos or MP4/MOV videos.
fn iso_media(bytes: &[u8]) -> Option<Sniffed> {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    Some(match &bytes[8..12] {
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"mif1" | b"msf1" => {
            Sniffed::UnsupportedImage("a HEIC photo")
        }
        b"avif" | b"avis" => Sniffed::UnsupportedImage("an AVIF image"),
        b"qt  " => Sniffed::NotAnImage("a QuickTime video"),
        _ => Sniffed::NotAnImage("a video or audio file"),
    })
}

/// Mostly printable ASCII/UTF-8 in the first bytes: HTML, JSON, CSV, a form post...
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(512)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // The cut may split a character; what comes before it decides.
        Err(error) if error.error_len().is_none() => {
            std::str::from_utf8(&head[..error.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !text.is_empty() && text.chars().all(|c| !c.is_control() || c.is_whitespace())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_formats_are_recognised_by_their_magic() {
        assert_eq!(
            sniff(b"\xff\xd8\xff\xe0rest"),
            Sniffed::Accepted(ImageFormat::Jpeg)
        );
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\nrest"),
            Sniffed::Accepted(ImageFormat::Png)
        );
        assert_eq!(
            sniff(b"RIFF\x10\0\0\0WEBPVP8 "),
            Sniffed::Accepted(ImageFormat::Webp)
        );
    }

    #[test]
    fn other_files_are_named_for_people() {
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0"),
            Sniffed::UnsupportedImage("a HEIC photo")
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypisom\0\0\0\0"),
            Sniffed::NotAnImage("a video or audio file")
        );
        assert_eq!(sniff(b"%PDF-1.7\n"), Sniffed::NotAnImage("a PDF document"));
        assert_eq!(
            sniff(b"<html><body>hi</body></html>"),
            Sniffed::NotAnImage("a text file")
        );
        assert_eq!(sniff(&[0x00, 0x13, 0x37, 0x42, 0x99]), Sniffed::Unknown);
    }
}
