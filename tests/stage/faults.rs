//! Faults on the stage, while photos are in the pipeline: a function's process killed
//! (SIGKILL) while it renders, Postgres restarted, the AWS services cut off and back.
//! Every photo still ends ready with its event heard, or failed in the dead-letter queue
//! and then replayed to ready: nothing is stuck, nothing is lost.

use super::harness::{self, becomes, operator_environment, phone, wisaw, Fixture};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use wisaw::commands::upload::{follow, send, upload, Followed, Sent};
use wisaw_domain::PhotoStatus;
use wisaw_stage::compose::Stage;
use wisaw_testkit::images::{jpeg, two_tone};
use wisaw_testkit::outage_proxy::OutageProxy;
use wisaw_testkit::own_postgres::OwnPostgres;

const WITHIN: Duration = Duration::from_secs(240);
const PHOTOS: usize = 4;

/// How long the AWS services are away: about what a restart of a service takes.
const AWS_OUTAGE: Duration = Duration::from_secs(5);

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

/// A JPEG of its own for each photo `i`.
fn photo_file(i: usize) -> tempfile::NamedTempFile {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), jpeg(&two_tone(1600 + 8 * i as u32, 1200))).unwrap();
    file
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
        let file = photo_file(i);
        let options = phone(&stage, true, WITHIN);
        uploads.push(tokio::spawn(async move {
            upload(file.path(), &options).await.unwrap()
        }));
    }
    let mut followed = Vec::new();
    for upload in uploads {
        followed.push(upload.await.unwrap());
    }
    storm.store(false, Ordering::SeqCst);
    killer.await.unwrap();
    assert!(
        kills.load(Ordering::SeqCst) > 0,
        "no thumbnail process was killed"
    );
    every_photo_ends_ready(&fixture, &stage, &followed).await;
    fixture.finish(stage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_restarted_mid_pipeline_loses_no_photo() {
    let Some(postgres) = OwnPostgres::start("the stage with Postgres restarted") else {
        return;
    };
    let Some(fixture) = Fixture::with_database_on(
        "the stage with Postgres restarted",
        Some(postgres.url("postgres")),
    )
    .await
    else {
        return;
    };
    let stage = fixture.stage(None).await;

    let sent = send_photos(&stage).await;
    // Restarted as soon as the photos are the pipeline's, and once more while they are in
    // their steps.
    let postgres = Arc::new(postgres);
    for pause in [Duration::ZERO, Duration::from_millis(1500)] {
        tokio::time::sleep(pause).await;
        let postgres = postgres.clone();
        tokio::task::spawn_blocking(move || postgres.restart())
            .await
            .unwrap();
    }
    let followed = follow_photos(&stage, sent).await;
    every_photo_ends_ready(&fixture, &stage, &followed).await;
    fixture.finish(stage).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_aws_services_cut_off_mid_pipeline_lose_no_photo() {
    let Some(mut fixture) = Fixture::new("the stage with the AWS services cut off").await else {
        return;
    };
    // Every call of the stage to the emulator goes through a proxy the test can cut.
    let proxy = OutageProxy::for_url(&fixture.endpoint).await;
    fixture.endpoint = proxy.url();
    let stage = fixture.stage(None).await;

    let sent = send_photos(&stage).await;
    proxy.outage(AWS_OUTAGE).await;
    let followed = follow_photos(&stage, sent).await;
    every_photo_ends_ready(&fixture, &stage, &followed).await;
    fixture.finish(stage).await;
}

/// Each of `PHOTOS` phones sends a photo: tickets, channels and uploads done, the photos
/// now the pipeline's.
async fn send_photos(stage: &Stage) -> Vec<Sent> {
    let mut sent = Vec::new();
    for i in 0..PHOTOS {
        let file = photo_file(i);
        sent.push(
            send(file.path(), &phone(stage, true, WITHIN))
                .await
                .unwrap(),
        );
    }
    sent
}

/// Each phone follows its photo to its end.
async fn follow_photos(stage: &Stage, sent: Vec<Sent>) -> Vec<Followed> {
    let mut following = Vec::new();
    for sent in sent {
        let options = phone(stage, true, WITHIN);
        following.push(tokio::spawn(async move {
            follow(sent, &options).await.unwrap()
        }));
    }
    let mut followed = Vec::new();
    for photo in following {
        followed.push(photo.await.unwrap());
    }
    followed
}

/// Every photo ended ready with its event heard on its channel, or failed and waiting in
/// the dead-letter queue, from which the operator's replay makes it ready.
async fn every_photo_ends_ready(fixture: &Fixture, stage: &Stage, followed: &[Followed]) {
    let mut failed = Vec::new();
    for photo in followed {
        let id = photo.status.photo_id.to_string();
        match photo.status.status {
            PhotoStatus::Ready => {
                let (event, _) = photo
                    .event
                    .as_ref()
                    .unwrap_or_else(|| panic!("{id} is ready and no event was heard"));
                assert_eq!(event["eventType"], "photo.ready", "{id}");
            }
            PhotoStatus::Failed => failed.push(id),
            status => panic!("{id} ended {status:?}"),
        }
    }
    if failed.is_empty() {
        return;
    }
    // A photo reads `failed` before its dead letter is sent: every execution ends first.
    let runner = &stage.runners[0];
    for execution in runner.list(None, 100).await.unwrap() {
        runner.wait_for(&execution.name, WITHIN).await.unwrap();
    }
    let operator = operator_environment(stage, &fixture.database);
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
    for photo in &failed {
        assert_eq!(
            becomes(stage, photo, PhotoStatus::Ready, WITHIN).await,
            PhotoStatus::Ready,
            "{photo}"
        );
    }
}
