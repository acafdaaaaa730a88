//! Lossy WebP encoding of the renditions, straight through libwebp.
//!
//! RGB goes directly to the encoder's YUV 4:2:0 planes (1.5 bytes a pixel): asking
//! libwebp for an ARGB picture first, as the `webp` crate does, would cost a 4-byte
//! copy of every pixel and the time to make it.

use image::RgbImage;
use libwebp_sys as webp;
use wisaw_domain::StepError;

/// Lossy quality. With [`WEBP_METHOD`] 0 this scores an SSIM at least as high as
/// sharp's quality 80 at its default effort 4 (see `bench/thumbnails.sh`), for files
/// about half as large again.
pub const WEBP_QUALITY: f32 = 85.0;

/// libwebp's effort (0 fastest, 6 slowest). Efforts above 0 run a rate-distortion
/// search that buys smaller files, not better pixels: at effort 4 the display
/// rendition takes about five times longer to encode, the largest single cost of a
/// render. One more step of quality keeps the pixels as good as sharp's instead.
pub const WEBP_METHOD: i32 = 0;

/// Encodes pixels alone. libwebp writes the bitstream and nothing else: no EXIF (GPS,
/// device), no XMP, no ICC profile ever reach a served image.
pub fn webp(image: &RgbImage) -> Result<Vec<u8>, StepError> {
    let failed = |why: String| StepError::permanent(format!("webp encoding failed: {why}"));
    let mut config = webp::WebPConfig::new().map_err(|()| failed("libwebp ABI".into()))?;
    config.quality = WEBP_QUALITY;
    config.method = WEBP_METHOD;
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
