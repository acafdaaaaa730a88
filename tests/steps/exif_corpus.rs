//! The EXIF layout corpus (`tests/fixtures/exif/`, written by its `make_corpus.py`):
//! every file through the validate and thumbnail handlers, against what Pillow's
//! `ImageOps.exif_transpose` shows for it (`references.json`). Validate must report
//! Pillow's upright size and orientation; the renditions must be that size (or fit it
//! into the display limits) and show the same colour at every sample point.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use wisaw_adapters::blobs_fs::LocalBlobStore;
use wisaw_domain::contracts::ThumbnailInput;
use wisaw_domain::ports::BlobStore;
use wisaw_domain::PhotoId;
use wisaw_imaging::thumbnail::rendition_sizes;
use wisaw_thumbnail as thumbnail;
use wisaw_validate as validate;

/// Lossy WebP and JPEG round the flat quadrants a little; a wrong turn is off by 255.
const COLOUR_TOLERANCE: i32 = 40;

#[derive(Deserialize)]
struct Reference {
    width: u32,
    height: u32,
    orientation: u8,
    samples: Vec<Sample>,
}

#[derive(Deserialize)]
struct Sample {
    /// Where, as fractions of the upright width and height.
    at: [f64; 2],
    rgb: [u8; 3],
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/imaging/tests/fixtures/exif")
}

fn references() -> BTreeMap<String, Reference> {
    let text = std::fs::read_to_string(corpus().join("references.json")).expect("references");
    serde_json::from_str(&text).expect("references.json parses")
}

/// Every image file beside the generator, so a file without a reference is noticed.
fn corpus_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .filter(|name| {
            [".jpg", ".png", ".webp"]
                .iter()
                .any(|ext| name.ends_with(ext))
        })
        .collect();
    names.sort();
    names
}

/// What the handlers made of one file that disagrees with Pillow, one line a problem.
async fn disagreements(blobs: &LocalBlobStore, name: &str, reference: &Reference) -> Vec<String> {
    let mut problems = Vec::new();
    let id = PhotoId::new_random();
    let bytes = std::fs::read(corpus().join(name)).unwrap();
    let source = super::uploaded(blobs, id, "image/jpeg", bytes).await;
    let verdict = validate::handle(blobs, source)
        .await
        .expect("validate runs");
    let Some(image) = verdict.image else {
        return vec![format!("{name}: rejected: {:?}", verdict.rejection)];
    };
    let upright = (reference.width, reference.height);
    if (image.upright_width, image.upright_height) != upright {
        problems.push(format!(
            "{name}: validate reports {}×{}, Pillow shows {}×{}",
            image.upright_width, image.upright_height, upright.0, upright.1
        ));
    }
    if image.orientation != reference.orientation {
        problems.push(format!(
            "{name}: validate read orientation {}, Pillow applied {}",
            image.orientation, reference.orientation
        ));
    }

    let input = ThumbnailInput {
        photo_id: id,
        image,
    };
    let output = thumbnail::handle(blobs, input)
        .await
        .expect("thumbnail runs");
    let (thumb_size, display_size) = rendition_sizes(reference.width, reference.height);
    for (kind, rendition, expected) in [
        ("display", &output.display, display_size),
        ("thumb", &output.thumb, thumb_size),
    ] {
        let webp = blobs.get(&rendition.key).await.unwrap();
        let pixels = image::load_from_memory_with_format(&webp, image::ImageFormat::WebP)
            .expect("a rendition decodes")
            .into_rgb8();
        let (width, height) = pixels.dimensions();
        if (width, height) != expected || (rendition.width, rendition.height) != expected {
            problems.push(format!(
                "{name}: {kind} is {width}×{height} (said {}×{}), expected {}×{}",
                rendition.width, rendition.height, expected.0, expected.1
            ));
            continue;
        }
        for sample in &reference.samples {
            let x = (sample.at[0] * f64::from(width)) as u32;
            let y = (sample.at[1] * f64::from(height)) as u32;
            let found = pixels.get_pixel(x, y).0;
            let off = found
                .iter()
                .zip(sample.rgb)
                .map(|(a, e)| (i32::from(*a) - i32::from(e)).abs())
                .max()
                .unwrap();
            if off > COLOUR_TOLERANCE {
                problems.push(format!(
                    "{name}: {kind} at {:?} is {found:?}, Pillow shows {:?}",
                    sample.at, sample.rgb
                ));
            }
        }
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_exif_layout_is_oriented_as_pillow_orients_it() {
    let references = references();
    let listed: Vec<String> = references.keys().cloned().collect();
    assert_eq!(
        corpus_files(),
        listed,
        "every corpus file has a reference, and every reference a file"
    );
    assert!(listed.len() >= 50, "only {} corpus files", listed.len());

    let dir = tempfile::tempdir().unwrap();
    let blobs = LocalBlobStore::new(dir.path(), "http://127.0.0.1:9/blobs", b"secret").unwrap();
    let mut problems = Vec::new();
    for (name, reference) in &references {
        problems.extend(disagreements(&blobs, name, reference).await);
    }
    assert!(
        problems.is_empty(),
        "{} disagreement(s) with Pillow:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
