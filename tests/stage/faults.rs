//! Faults on the stage: a function's process killed (SIGKILL) while it renders. Every
//! photo still ends ready, or failed in the dead-letter queue and then replayed to ready:
//! nothing is stuck, nothing is lost.

use super::harness::{self, becomes, operator_environment, phone, wisaw, Fixture};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wisaw::commands::upload::upload;
use wisaw_domain::PhotoStatus;
use wisaw_testkit::images::{jpeg, two_tone};

const WITHIN: Duration = Duration::from_secs(240);
const PHOTOS: usize = 4;

/// Kills, with SIGKILL, every process running `program`; how many it killed.
fn kill_every(program: &Path) -> usize {
    let mut killed = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_link(entry.path().join("exe")).ok().as_deref() == Some(program) {
            let status = std::process::Command::new("kill")
                .args(["-9", &pid.to_string()])
                .status()
                .unwrap();
            killed += usize::from(status.success());
        }
    }
    killed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_function_killed_mid_invocation_loses_no_photo() {
    let Some(fixture) = Fixture::new("the stage's faults").await else {
        return;
    };
    let stage = fixture.stage(None).await;

    // The thumbnail function's processes killed again and again while photos arrive.
    let thumbnail = harness::functions_dir().join("thumbnail");
    let storm = Arc::new(AtomicBool::new(true));
    let kills = Arc::new(AtomicUsize::new(0));
    let killer = {
        let (storm, kills) = (storm.clone(), kills.clone());
        tokio::spawn(async move {
            while storm.load(Ordering::SeqCst) {
                kills.fetch_add(kill_every(&thumbnail), Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(150)).await;
            }
        })
    };
    let mut uploads = Vec::new();
    for i in 0..PHOTOS {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), jpeg(&two_tone(1600 + 8 * i as u32, 1200))).unwrap();
        let options = phone(&stage, false, WITHIN);
        uploads.push(tokio::spawn(async move {
            let followed = upload(file.path(), &options).await.unwrap();
            (followed.status.photo_id.to_string(), followed.status.status)
        }));
    }
    let mut outcomes = Vec::new();
    for upload in uploads {
        outcomes.push(upload.await.unwrap());
    }
    storm.store(false, Ordering::SeqCst);
    killer.await.unwrap();
    assert!(
        kills.load(Ordering::SeqCst) > 0,
        "no thumbnail process was killed"
    );

    // Each photo ended: ready, or failed and waiting in the dead-letter queue.
    let failed: Vec<&String> = outcomes
        .iter()
        .filter(|(_, status)| *status == PhotoStatus::Failed)
        .map(|(photo, _)| photo)
        .collect();
    for (photo, status) in &outcomes {
        assert!(
            matches!(status, PhotoStatus::Ready | PhotoStatus::Failed),
            "{photo} ended {status:?}"
        );
    }
    if !failed.is_empty() {
        // A photo reads `failed` before its dead letter is sent: every execution ends first.
        let runner = &stage.runners[0];
        for execution in runner.list(None, 100).await.unwrap() {
            runner.wait_for(&execution.name, WITHIN).await.unwrap();
        }
        let operator = operator_environment(&stage, &fixture.database);
        let listed = wisaw(&operator, &["dlq", "list", "--aws"]);
        let mut replay = vec!["dlq", "replay", "--aws", "--operator", "stage-test"];
        for photo in &failed {
            assert!(
                listed.contains(photo.as_str()),
                "{photo} is not in {listed}"
            );
            replay.extend(["--photo", photo.as_str()]);
        }
        wisaw(&operator, &replay);
        for photo in failed {
            assert_eq!(
                becomes(&stage, photo, PhotoStatus::Ready, WITHIN).await,
                PhotoStatus::Ready,
                "{photo}"
            );
        }
    }
    fixture.finish(stage).await;
}
