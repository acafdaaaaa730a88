//! Where a render's time goes, phase by phase, on one core: header, decode at a reduced
//! scale, resize, orientation, the thumb's resample and each WebP encoding. With
//! `--display` (and `--thumb`) it encodes at other settings instead, and `--out` keeps
//! the files, so points of the rate–distortion curve can be compared with
//! `bench/ssim.py` on the very pixels the pipeline encodes.
//!
//! cargo run --release -p wisaw-imaging --example render_phases -- FILE \
//!     [--display QUALITY,METHOD,SNS,SEGMENTS] [--thumb ...] [--out DIR] [--rounds N]

use std::time::{Duration, Instant};
use wisaw_imaging::decode::decode_at_least;
use wisaw_imaging::thumbnail::encode::{self, WebpSettings};
use wisaw_imaging::thumbnail::{orient, rendition_sizes, resize};
use wisaw_imaging::validate::inspect_header;
use wisaw_imaging::validate::orientation::swaps_sides;

fn settings(text: &str) -> WebpSettings {
    let parts: Vec<&str> = text.split(',').collect();
    let [quality, method, sns_strength, segments] = parts[..] else {
        panic!("settings are QUALITY,METHOD,SNS,SEGMENTS, not {text}");
    };
    WebpSettings {
        quality: quality.parse().expect("quality"),
        method: method.parse().expect("method"),
        sns_strength: sns_strength.parse().expect("sns"),
        segments: segments.parse().expect("segments"),
    }
}

/// The fastest of `rounds` runs of `phase`, and its last result.
fn timed<T>(rounds: u32, mut phase: impl FnMut() -> T) -> (Duration, T) {
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..rounds {
        let started = Instant::now();
        result = Some(phase());
        best = best.min(started.elapsed());
    }
    (best, result.expect("at least one round"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args.next().expect("FILE");
    let (mut display, mut thumb) = (encode::DISPLAY, encode::THUMB);
    let (mut out, mut rounds) = (None, 5);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--display" => display = settings(&value),
            "--thumb" => thumb = settings(&value),
            "--out" => out = Some(std::path::PathBuf::from(value)),
            "--rounds" => rounds = value.parse().expect("--rounds N"),
            other => panic!("unknown flag {other}"),
        }
    }
    let bytes = std::fs::read(&file).expect("reading FILE");
    let (header_time, info) = timed(rounds, || {
        inspect_header(&bytes).expect("an accepted image")
    });
    let ((thumb_w, thumb_h), (display_w, display_h)) =
        rendition_sizes(info.upright_width, info.upright_height);
    let stored = if swaps_sides(info.orientation) {
        (display_h, display_w)
    } else {
        (display_w, display_h)
    };
    let (decode_time, decoded) = timed(rounds, || {
        decode_at_least(&bytes, info.format, stored.0, stored.1).expect("it decodes")
    });
    let decoded_size = decoded.image.dimensions();
    let (resize_time, resized) = timed(rounds, || {
        resize::resize(decoded.image.clone(), stored.0, stored.1).expect("it resizes")
    });
    let (orient_time, upright) = timed(rounds, || {
        orient::upright(resized.clone(), info.orientation)
    });
    let (thumb_resize_time, small) = timed(rounds, || {
        resize::resample(&upright, thumb_w, thumb_h).expect("it resamples")
    });
    let (thumb_time, thumb_bytes) = timed(rounds, || encode::webp(&small, &thumb).expect("webp"));
    let (display_time, display_bytes) =
        timed(rounds, || encode::webp(&upright, &display).expect("webp"));

    let ms = |d: Duration| format!("{:7.1} ms", d.as_secs_f64() * 1000.0);
    println!(
        "{file}: {}x{} {:?}, decoded at {}x{}",
        info.width, info.height, info.format, decoded_size.0, decoded_size.1
    );
    println!("header          {}", ms(header_time));
    println!("decode          {}", ms(decode_time));
    println!(
        "resize          {}  to {}x{}",
        ms(resize_time),
        stored.0,
        stored.1
    );
    println!("orient          {}", ms(orient_time));
    println!(
        "thumb resample  {}  to {thumb_w}x{thumb_h}",
        ms(thumb_resize_time)
    );
    println!(
        "thumb webp      {}  {} bytes  {thumb:?}",
        ms(thumb_time),
        thumb_bytes.len()
    );
    println!(
        "display webp    {}  {} bytes  {display:?}",
        ms(display_time),
        display_bytes.len()
    );
    let total = header_time
        + decode_time
        + resize_time
        + orient_time
        + thumb_resize_time
        + thumb_time
        + display_time;
    println!("total           {}", ms(total));
    if let Some(out) = out {
        std::fs::create_dir_all(&out).expect("--out");
        std::fs::write(out.join("thumb.webp"), thumb_bytes).expect("writing");
        std::fs::write(out.join("display.webp"), display_bytes).expect("writing");
    }
}
