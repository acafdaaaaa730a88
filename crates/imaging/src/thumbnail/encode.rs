//! Lossy WebP encoding of the renditions, straight through libwebp.
//!
//! RGB goes directly to the encoder's YUV 4:2:0 planes (1.5 bytes a pixel): asking
//! libwebp for an ARGB picture first, as the `webp` crate does, would cost a 4-byte
//! copy of every pixel and the time to make it.

use image::RgbImage;
use libwebp_sys as webp;
use wisaw_domain::StepError;

/// Where a rendition sits on libwebp's rate–distortion curve: its knobs that change the
/// bytes, the pixels or the time. The values in use are [`THUMB`] and [`DISPLAY`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WebpSettings {
    /// Lossy quality, 0 to 100.
    pub quality: f32,
    /// Effort, 0 (fastest) to 6. From 3 on, libwebp chooses each macroblock's
    /// prediction by rate and distortion together, which is what makes files small.
    pub method: i32,
    /// Spatial noise shaping, 0 to 100: how far bits move from busy areas to flat ones.
    pub sns_strength: i32,
    /// Macroblock segments with their own quantiser, 1 to 4.
    pub segments: i32,
}

/// The thumb, the image every feed scroll downloads. At 0.1 megapixel even libwebp's
/// slowest search (effort 6, trellis quantisation everywhere) costs 13 to 20 ms, and it is
/// the effort that brings the file under sharp's: at efforts 4 and 5 the thumbs of the
/// benchmark photos were 2 to 5 % larger. Noise shaping at 40 rather than the default 50
/// keeps the 12 MP WebP's thumb under sharp's bytes (13,126 against 13,194) and every SSIM
/// above sharp's.
pub const THUMB: WebpSettings = WebpSettings {
    quality: 80.0,
    method: 6,
    sns_strength: 40,
    segments: 4,
};

/// The display rendition, downloaded at every tap. Effort 4 is the lowest that runs the
/// rate–distortion search: at effort 2 the 12 MP JPEG's display was 134 KB at SSIM 0.958,
/// against 127 KB at 0.961 at effort 4 (quality 80 both). One segment instead of four is
/// both smaller and faster on photos (124.2 KB against 126.7 KB, same SSIM), and quality
/// 79 instead of 80 takes it to 115.6 KB at SSIM 0.9605, sharp's being 125.3 KB at 0.9615.
/// The price is time: this encode takes about 165 ms of a core against 43 ms at effort 0,
/// most of a render (`render_phases` example, `bench/thumbnails.sh`, `docs/benchmarks.md`).
pub const DISPLAY: WebpSettings = WebpSettings {
    quality: 79.0,
    method: 4,
    sns_strength: 50,
    segments: 1,
};

/// Encodes pixels alone. libwebp writes the bitstream and nothing else: no EXIF (GPS,
/// device), no XMP, no ICC profile ever reach a served image.
pub fn webp(image: &RgbImage, settings: &WebpSettings) -> Result<Vec<u8>, StepError> {
    let failed = |why: String| StepError::permanent(format!("webp encoding failed: {why}"));
    let mut config = webp::WebPConfig::new().map_err(|()| failed("libwebp ABI".into()))?;
    config.quality = settings.quality;
    config.method = settings.method;
    config.sns_strength = settings.sns_strength;
    config.segments = settings.segments;
    // One core per photo: the pipeline scales by running photos side by side.
    config.thread_level = 0;
    let mut picture = Picture::new(image).map_err(failed)?;
    let mut writer = Writer::new();
    picture.0.writer = Some(webp::WebPMemoryWrite);
    picture.0.custom_ptr = (&mut writer.0 as *mut webp::WebPMemoryWriter).cast();
    // SAFETY: the config was initialised by libwebp; the picture holds its own planes;
    // the writer outlives the call.
    let done = unsafe { webp::WebPEncode(&config, &mut picture.0) };
    if done == 0 {
        return Err(failed(format!("{:?}", picture.0.error_code)));
    }
    Ok(writer.bytes())
}

/// A libwebp picture in YUV, freed on drop.
struct Picture(webp::WebPPicture);

impl Picture {
    fn new(image: &RgbImage) -> Result<Self, String> {
        let mut picture = webp::WebPPicture::new().map_err(|()| "libwebp ABI".to_string())?;
        picture.use_argb = 0;
        picture.width = image.width() as i32;
        picture.height = image.height() as i32;
        let mut picture = Self(picture);
        // SAFETY: the samples hold width × height RGB pixels, `3 × width` bytes a row.
        let imported = unsafe {
            webp::WebPPictureImportRGB(
                &mut picture.0,
                image.as_raw().as_ptr(),
                image.width() as i32 * 3,
            )
        };
        if imported == 0 {
            return Err(format!("{:?}", picture.0.error_code));
        }
        Ok(picture)
    }
}

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: frees the planes libwebp allocated for this picture, once.
        unsafe { webp::WebPPictureFree(&mut self.0) }
    }
}

/// libwebp's growable output buffer, freed on drop.
struct Writer(webp::WebPMemoryWriter);

impl Writer {
    fn new() -> Self {
        let mut writer = std::mem::MaybeUninit::uninit();
        // SAFETY: WebPMemoryWriterInit fully initialises the writer.
        unsafe {
            webp::WebPMemoryWriterInit(writer.as_mut_ptr());
            Self(writer.assume_init())
        }
    }

    fn bytes(&self) -> Vec<u8> {
        if self.0.mem.is_null() {
            return Vec::new();
        }
        // SAFETY: libwebp wrote `size` bytes at `mem`.
        unsafe { std::slice::from_raw_parts(self.0.mem, self.0.size) }.to_vec()
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // SAFETY: frees the buffer libwebp grew for this writer, once.
        unsafe { webp::WebPMemoryWriterClear(&mut self.0) }
    }
}
