//! The hostile and awkward fixture corpus (`tests/fixtures/hostile/`, written by its
//! `generate.py`): every file ends accepted and rendered, or rejected with the reason
//! code its manifest names; never a panic, an error or a hang.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;
use wisaw_imaging::thumbnail::render;
use wisaw_imaging::validate::inspect;

/// Far above what any fixture takes, far below a hang.
const PER_FILE: Duration = Duration::from_secs(120);

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/hostile")
}

/// What happened to one file, in the manifest's words.
fn outcome(bytes: &[u8]) -> String {
    let verdict = inspect(bytes);
    match (verdict.image, verdict.rejection) {
        (Some(image), None) if verdict.accepted => match render(bytes, &image) {
            Ok(renditions) => {
                let (display, thumb) = (&renditions.display, &renditions.thumb);
                assert_eq!(thumb.height, image.upright_height.min(300));
                assert!(thumb.bytes.starts_with(b"RIFF") && display.bytes.starts_with(b"RIFF"));
                format!("ready {}x{}", display.width, display.height)
            }
            Err(error) => format!("accepted but not rendered: {error:?}"),
        },
        (None, Some(rejection)) if !verdict.accepted => format!("rejected {}", rejection.code),
        other => format!("an inconsistent verdict: {other:?}"),
    }
}

#[test]
fn every_hostile_file_ends_ready_or_rejected_with_its_reason() {
    let manifest = std::fs::read_to_string(corpus().join("manifest.txt")).expect("manifest");
    let mut checked = 0;
    for line in manifest.lines().filter(|line| !line.trim().is_empty()) {
        let (name, expected) = line.split_once(' ').expect("`file expectation`");
        let bytes = std::fs::read(corpus().join(name)).expect("fixture");
        // In a thread, so that a hang is a failure with the file's name, not a stuck run.
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || sender.send(outcome(&bytes)));
        let got = receiver
            .recv_timeout(PER_FILE)
            .unwrap_or_else(|error| panic!("{name}: no outcome ({error})"));
        assert_eq!(got, expected, "{name}");
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} fixtures listed");
}
