//! From whatever the decoder produced to plain 8-bit RGB, one row at a time.
//!
//! Renditions are opaque: transparent pixels are flattened onto white. The app shows
//! photos on cards of either theme, and a see-through "photo" would take the card's
//! colour; white is what a transparent picture looks like in most viewers.

/// The samples a decoder hands over for one pixel, before they become RGB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Samples {
    Grey,
    GreyAlpha,
    Rgb,
    Rgba,
}

impl Samples {
    pub fn channels(self) -> usize {
        match self {
            Self::Grey => 1,
            Self::GreyAlpha => 2,
            Self::Rgb => 3,
            Self::Rgba => 4,
        }
    }
}

/// `value` seen through `alpha` in front of white.
fn over_white(value: u8, alpha: u8) -> u8 {
    let (value, alpha) = (u32::from(value), u32::from(alpha));
    ((value * alpha + 255 * (255 - alpha) + 127) / 255) as u8
}

/// Writes `row` (8-bit samples of the given kind) into `rgb` as opaque RGB.
pub fn row_to_rgb(samples: Samples, row: &[u8], rgb: &mut [u8]) {
    let pixels = row
        .chunks_exact(samples.channels())
        .zip(rgb.chunks_exact_mut(3));
    match samples {
        Samples::Rgb => rgb.copy_from_slice(&row[..rgb.len()]),
        Samples::Grey => pixels.for_each(|(from, to)| to.fill(from[0])),
        Samples::GreyAlpha => pixels.for_each(|(from, to)| to.fill(over_white(from[0], from[1]))),
        Samples::Rgba => pixels.for_each(|(from, to)| {
            for channel in 0..3 {
                to[channel] = over_white(from[channel], from[3]);
            }
        }),
    }
}

/// Flattens `pixels` RGBA pixels starting at `from` into RGB starting at `to`, within
/// one buffer. `to <= from`, and pixel i moves from `from + 4i` to `to + 3i`, never
/// past what is still unread, so no second buffer is needed.
pub fn flatten_rgba_row(buffer: &mut [u8], from: usize, to: usize, pixels: usize) {
    debug_assert!(to <= from);
    for i in 0..pixels {
        let alpha = buffer[from + 4 * i + 3];
        for channel in 0..3 {
            buffer[to + 3 * i + channel] = over_white(buffer[from + 4 * i + channel], alpha);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alpha_is_flattened_onto_white() {
        let rgba = [255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 128];
        let mut rgb = [0; 9];
        row_to_rgb(Samples::Rgba, &rgba, &mut rgb);
        assert_eq!(rgb, [255, 0, 0, 255, 255, 255, 127, 127, 127]);

        let mut in_place = rgba.to_vec();
        flatten_rgba_row(&mut in_place, 0, 0, 3);
        assert_eq!(in_place[..9], rgb);
    }

    #[test]
    fn grey_is_replicated() {
        let mut rgb = [0; 6];
        row_to_rgb(Samples::GreyAlpha, &[10, 255, 0, 0], &mut rgb);
        assert_eq!(rgb, [10, 10, 10, 255, 255, 255]);
    }
}
