//! `wisaw serve` killed with SIGKILL while photos are in flight, then restarted:
//! every accepted photo ends ready, and every recorded outcome's event reaches its
//! phone. Nothing accepted is lost.

use wisaw::events::client::EventsConnection;
use wisaw_domain::PhotoStatus;
use wisaw_local::events::DEFAULT_API_KEY;
use wisaw_local::tls::ClientTrust;
use wisaw_testkit as support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::images::{jpeg_with_exif, two_tone};
use support::Store;

on_every_store!(
    a_killed_server_finishes_every_accepted_photo_after_restart,
    a_server_killed_between_outcome_and_event_delivers_every_event_after_restart,
);

fn spawn_serve(addr: &str, data_dir: &std::path::Path, store: &Store) -> Child {
    spawn_serve_gated(addr, data_dir, store, None)
}

/// `wisaw serve`, its event publishes held until `gate` exists (when given).
fn spawn_serve_gated(
    addr: &str,
    data_dir: &std::path::Path,
    store: &Store,
    gate: Option<&std::path::Path>,
) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wisaw"));
    command
        .args(["serve", "--addr", addr, "--data-dir"])
        .arg(data_dir);
    if let Some(url) = store.database_url() {
        command.args(["--database-url", &url]);
    }
    if let Some(gate) = gate {
        command.arg("--publish-gate").arg(gate);
    }
    command
        .env("WISAW_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("starting wisaw serve")
}

async fn wait_until_serving(client: &reqwest::Client, base_url: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while client
        .get(format!("{base_url}/v1/feed?lat=0&lon=0"))
        .send()
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "wisaw serve did not come up"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn a_killed_server_finishes_every_accepted_photo_after_restart(store: Store) {
    let data = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", support::free_port());
    let base_url = format!("http://{addr}");
    let client = reqwest::Client::new();

    let mut server = spawn_serve(&addr, data.path(), &store);
    wait_until_serving(&client, &base_url).await;

    // Big enough that some are still being processed when the server dies.
    let photo = jpeg_with_exif(&two_tone(3000, 2000), 6);
    let mut ids = Vec::new();
    for _ in 0..8 {
        let device = uuid::Uuid::new_v4();
        let ticket = support::upload_as_phone(
            &client,
            &base_url,
            device,
            "image/jpeg",
            photo.clone(),
            (1.0, 2.0),
        )
        .await;
        ids.push(ticket.photo_id.to_string());
    }
    let mut unfinished = 0;
    for id in &ids {
        let status = support::photo_status(&client, &base_url, id).await;
        if status.status != PhotoStatus::Ready {
            unfinished += 1;
        }
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();
    eprintln!(
        "{unfinished} of {} photos were in flight at the kill",
        ids.len()
    );
    assert!(unfinished > 0, "the kill came too late to test anything");

    let mut server = spawn_serve(&addr, data.path(), &store);
    wait_until_serving(&client, &base_url).await;
    for id in &ids {
        let status = support::wait_final(&client, &base_url, id, Duration::from_secs(120)).await;
        assert_eq!(status.status, PhotoStatus::Ready, "{status:?}");
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Every photo's outcome is recorded and every publish is held at the gate when the
/// server is killed: no event has gone out. (As many photos as the server runs
/// executions at once: each held publish holds its execution.) After the restart (subscribed first, then the
/// gate opened) every outcome's event arrives, each `eventId` once after dedupe.
async fn a_server_killed_between_outcome_and_event_delivers_every_event_after_restart(
    store: Store,
) {
    let photos = wisaw_local::dispatcher::execution_capacity().clamp(2, 6);
    let data = tempfile::tempdir().unwrap();
    let gate = data.path().join("publish-gate");
    let addr = format!("127.0.0.1:{}", support::free_port());
    let base_url = format!("http://{addr}");
    let client = reqwest::Client::new();

    let mut server = spawn_serve_gated(&addr, data.path(), &store, Some(&gate));
    wait_until_serving(&client, &base_url).await;
    let photo = jpeg_with_exif(&two_tone(64, 48), 1);
    // Two phones; the last photo is rejected.
    let devices = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()];
    let mut expected = std::collections::BTreeMap::new();
    let mut channels = std::collections::BTreeMap::new();
    let mut before_the_kill = Vec::new();
    for i in 0..photos {
        let device = devices[i % 2];
        let (bytes, event_type) = if i == photos - 1 {
            (b"%PDF-1.7 not a photo".to_vec(), "photo.rejected")
        } else {
            (photo.clone(), "photo.ready")
        };
        let ticket = support::ask_ticket(
            &client,
            &base_url,
            device,
            "image/jpeg",
            bytes.len(),
            1.0,
            2.0,
        )
        .await;
        if !channels.contains_key(&device) {
            let listening = EventsConnection::subscribed_to(
                &ticket.events,
                DEFAULT_API_KEY,
                "before",
                &ClientTrust::public(),
            )
            .await
            .unwrap();
            before_the_kill.push(listening);
        }
        channels.insert(device, ticket.events.clone());
        support::put_as_ticket_says(&client, &ticket, bytes).await;
        expected.insert(
            format!("{}:{event_type}:0", ticket.photo_id),
            (device, ticket.photo_id.to_string()),
        );
    }
    // Every outcome recorded (the status is settled), every event held at the gate.
    for (_, id) in expected.values() {
        let status = support::wait_final(&client, &base_url, id, Duration::from_secs(120)).await;
        assert!(status.status.is_final(), "{status:?}");
    }
    // Recorded, and not published: the gate holds every publish.
    for listening in &mut before_the_kill {
        let heard = listening
            .next_event_within(Duration::from_millis(300))
            .await;
        assert!(
            heard.is_err(),
            "an event went out before the kill: {heard:?}"
        );
    }
    server.kill().unwrap(); // SIGKILL
    server.wait().unwrap();

    let mut server = spawn_serve_gated(&addr, data.path(), &store, Some(&gate));
    wait_until_serving(&client, &base_url).await;
    let mut phones = Vec::new();
    for (device, channel) in &channels {
        let connection = EventsConnection::subscribed_to(
            channel,
            DEFAULT_API_KEY,
            "phone",
            &ClientTrust::public(),
        )
        .await
        .unwrap();
        phones.push((*device, connection));
    }
    std::fs::write(&gate, b"open").unwrap();

    for (device, connection) in &mut phones {
        let mine: std::collections::BTreeSet<&String> = expected
            .iter()
            .filter(|(_, (owner, _))| owner == device)
            .map(|(event_id, _)| event_id)
            .collect();
        // A repeat is allowed (the resumed step and the start-up sweep may both
        // publish); the subscriber drops it by its id.
        let heard = connection
            .distinct_events(mine.len(), Duration::from_secs(60))
            .await
            .unwrap();
        let seen: std::collections::BTreeSet<String> = heard
            .iter()
            .map(|event| event["eventId"].as_str().unwrap().to_string())
            .collect();
        for event_id in &seen {
            assert!(
                mine.contains(event_id),
                "{event_id} is not an event of this device's photos"
            );
        }
        assert_eq!(seen.len(), mine.len(), "heard {heard:?} of {mine:?}");
    }
    server.kill().unwrap();
    server.wait().unwrap();
}
