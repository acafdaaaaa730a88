//! `wisaw serve` killed with SIGKILL while photos are in flight, then restarted:
//! every accepted photo ends ready. Nothing accepted is lost.

use wisaw_domain::PhotoStatus;
use wisaw_testkit as support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;
use support::images::{jpeg_with_exif, two_tone};
use support::Store;

on_every_store!(a_killed_server_finishes_every_accepted_photo_after_restart);

fn spawn_serve(addr: &str, data_dir: &std::path::Path, store: &Store) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wisaw"));
    command
        .args(["serve", "--addr", addr, "--data-dir"])
        .arg(data_dir);
    if let Some(url) = store.database_url() {
        command.args(["--database-url", &url]);
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn a_killed_server_finishes_every_accepted_photo_after_restart(store: Store) {
    let data = tempfile::tempdir().unwrap();
    let addr = format!("127.0.0.1:{}", free_port());
    let base_url = format!("http://{addr}");
    let client = reqwest::Client::new();

    let mut server = spawn_serve(&addr, data.path(), &store);
    wait_until_serving(&client, &base_url).await;

    // Big enough that some are still being processed when the server dies.
    let photo = jpeg_with_exif(&two_tone(3000, 2000), 6);
    let mut ids = Vec::new();
    for _ in 0..8 {
        let device = uuid::Uuid::new_v4();
        let ticket = support::ask_ticket(
            &client,
            &base_url,
            device,
            "image/jpeg",
            photo.len(),
            1.0,
            2.0,
        )
        .await;
        support::put_as_ticket_says(&client, &ticket, photo.clone()).await;
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
