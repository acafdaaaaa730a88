//! Integer box shrinking of rows as they come out of a decoder.
//!
//! Decoders that produce rows (PNG) feed them here, and only the shrunk image is kept:
//! a large PNG never exists at full size. Each output pixel is the mean of a
//! `factor` × `factor` block (smaller at the right and bottom edges); the Lanczos
//! resampler afterwards takes the image the rest of the way, as libvips does.

use image::RgbImage;

pub struct BoxShrink {
    factor: usize,
    width: usize,
    out_width: usize,
    /// Per output pixel and channel, the sum over the rows of the current band.
    sums: Vec<u32>,
    rows_in_band: usize,
    pixels: Vec<u8>,
}

impl BoxShrink {
    pub fn new(width: u32, height: u32, factor: u32) -> Self {
        let factor = factor.max(1) as usize;
        let (width, height) = (width as usize, height as usize);
        let out_width = width.div_ceil(factor);
        let sums = if factor > 1 {
            vec![0; out_width * 3]
        } else {
            Vec::new()
        };
        Self {
            factor,
            width,
            out_width,
            sums,
            rows_in_band: 0,
            pixels: Vec::with_capacity(out_width * height.div_ceil(factor) * 3),
        }
    }

    /// Takes one RGB row of the full-size image, top to bottom.
    pub fn push(&mut self, row: &[u8]) {
        let row = &row[..self.width * 3];
        if self.factor == 1 {
            self.pixels.extend_from_slice(row);
            return;
        }
        for (block, sum) in row
            .chunks(self.factor * 3)
            .zip(self.sums.chunks_exact_mut(3))
        {
            for pixel in block.chunks_exact(3) {
                for channel in 0..3 {
                    sum[channel] += u32::from(pixel[channel]);
                }
            }
        }
        self.rows_in_band += 1;
        if self.rows_in_band == self.factor {
            self.emit_band();
        }
    }

    fn emit_band(&mut self) {
        for (x, sum) in self.sums.chunks_exact_mut(3).enumerate() {
            let columns = self.factor.min(self.width - x * self.factor);
            let count = (columns * self.rows_in_band) as u32;
            for value in sum.iter_mut() {
                self.pixels.push(((*value + count / 2) / count) as u8);
                *value = 0;
            }
        }
        self.rows_in_band = 0;
    }

    /// Rows pushed so far, in output rows (a partial last band counts once finished).
    pub fn finish(mut self) -> Option<RgbImage> {
        if self.rows_in_band > 0 {
            self.emit_band();
        }
        let height = self.pixels.len() / (self.out_width * 3);
        RgbImage::from_raw(self.out_width as u32, height as u32, self.pixels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_averaged_and_edges_keep_their_own_count() {
        // 3 × 3 grey ramp shrunk by 2: blocks of 4, 2, 2 and 1 pixels.
        let rows: [[u8; 3]; 3] = [[0, 10, 20], [30, 40, 50], [60, 70, 80]];
        let mut shrink = BoxShrink::new(3, 3, 2);
        for row in rows {
            let rgb: Vec<u8> = row.iter().flat_map(|&v| [v, v, v]).collect();
            shrink.push(&rgb);
        }
        let image = shrink.finish().unwrap();
        assert_eq!(image.dimensions(), (2, 2));
        let grey: Vec<u8> = image.pixels().map(|p| p.0[0]).collect();
        assert_eq!(grey, vec![20, 35, 65, 80]);
    }

    #[test]
    fn factor_one_keeps_the_rows() {
        let mut shrink = BoxShrink::new(2, 1, 1);
        shrink.push(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(shrink.finish().unwrap().into_raw(), vec![1, 2, 3, 4, 5, 6]);
    }
}
