//! Faults on the stage: a function's process killed (SIGKILL) while it renders. Every
//! photo still ends ready, or failed in the dead-letter queue and then replayed to ready:
//! nothing is stuck, nothing is lost.

use super::harness::{self, operator_environment, output, wisaw, Database};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wisaw::commands::upload::{upload, UploadOptions};
use wisaw_domain::PhotoStatus;
use wisaw_local::tls::ClientTrust;
use wisaw_stage::compose::Stage;
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
    let Some(endpoint) = wisaw_testkit::aws_emulator::endpoint("the stage's faults") else {
        return;
    };
    let _alone = harness::one_stage_at_a_time().await;
    let Some(database) = Database::create().await else {
        return;
    };
    let data = tempfile::tempdir().unwrap();
    let stage = Stage::start(harness::options(None, &endpoint, &database, data.path()))
        .await
        .unwrap();
    let trust = ClientTrust::with_ca_file(stage.outputs.ca_file.as_ref()).unwrap();
    let api = output(&stage, "ApiUrl");

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
        let options = UploadOptions {
            api_url: api.clone(),
            lat: 1.0,
            lon: 2.0,
            device_id: uuid::Uuid::new_v4(),
            wait: WITHIN,
            progress: false,
            events_api_key: None,
            trust: trust.clone(),
        };
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
        let operator = operator_environment(&stage, &database);
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
        let client = reqwest::Client::new();
        for photo in failed {
            let deadline = tokio::time::Instant::now() + WITHIN;
            loop {
                let status = wisaw_testkit::photo_status(&client, &api, photo)
                    .await
                    .status;
                if status == PhotoStatus::Ready {
                    break;
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "{photo} is still {status:?}"
                );
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    }
    stage.stop().await;
    database.drop_now().await;
}
