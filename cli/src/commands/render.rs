//! `wisaw render FILE --out DIR`: validate and thumbnail one local file, the
//! same code the pipeline runs, without any store. Used by the benchmarks.

use anyhow::{bail, Context, Result};
use std::path::Path;

/// Writes `thumb.webp` and `display.webp` into `out_dir`; returns a one-line summary.
pub fn render(file: &Path, out_dir: &Path) -> Result<String> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    // Validate's checks and thumbnail's renditions with a single decode: the pipeline's
    // two steps, minus the second pass over the pixels a file on disk does not need.
    let (image, renditions) = match wisaw_imaging::thumbnail::inspect_and_render(bytes)? {
        Ok(rendered) => rendered,
        Err(verdict) => {
            let rejection = verdict.rejection.context("a refusal without a reason")?;
            bail!("rejected ({}): {}", rejection.code, rejection.reason);
        }
    };
    std::fs::create_dir_all(out_dir)?;
    std::fs::write(out_dir.join("thumb.webp"), &renditions.thumb.bytes)?;
    std::fs::write(out_dir.join("display.webp"), &renditions.display.bytes)?;
    Ok(format!(
        "{}x{} {:?} orientation {} -> thumb {}x{} ({} bytes), display {}x{} ({} bytes)",
        image.width,
        image.height,
        image.format,
        image.orientation,
        renditions.thumb.width,
        renditions.thumb.height,
        renditions.thumb.bytes.len(),
        renditions.display.width,
        renditions.display.height,
        renditions.display.bytes.len()
    ))
}
