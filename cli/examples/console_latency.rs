//! How fast the operator console answers on a history of many executions, against a
//! running `wisaw serve`: uploads `--photos` tiny photos (16 at a time) through the
//! real pipeline, waits until every one is settled, then times the executions list
//! (first page, a status filter, a photo id), an execution's page and a photo's page,
//! each `--rounds` times, one request at a time.
//!
//! The anchor, in the same run: the mobile API's `GET /v1/photos/{id}`, the cheapest
//! read of the same stores; the ratio says what a console page costs beside it.
//!
//! cargo build --release -p wisaw --bin wisaw --example console_latency
//! target/release/wisaw serve --addr 127.0.0.1:3200 --data-dir /tmp/console-bench &
//! target/release/examples/console_latency --url http://127.0.0.1:3200 --photos 1000

#[path = "support/mod.rs"]
mod support;

use futures::stream::{self, StreamExt};
use std::time::{Duration, Instant};
use support::{ms, parse_flags, percentile};
use wisaw_testkit::images::{jpeg, two_tone};
use wisaw_testkit::{ask_ticket, put_as_ticket_says, wait_final};

fn options() -> (String, usize, usize) {
    let (mut url, mut photos, mut rounds) = ("http://127.0.0.1:3000".to_string(), 1000, 50);
    parse_flags(|flag, value| {
        match flag {
            "--url" => url = value,
            "--photos" => photos = value.parse().expect("--photos N"),
            "--rounds" => rounds = value.parse().expect("--rounds N"),
            _ => return false,
        }
        true
    });
    (url.trim_end_matches('/').to_string(), photos, rounds)
}

/// Times `rounds` GETs of `url` (each must answer 200 with a body); returns p50 and p95.
async fn time(client: &reqwest::Client, url: &str, rounds: usize) -> (Duration, Duration) {
    let mut took = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        let response = client.get(url).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "GET {url}: {}",
            response.status()
        );
        let body = response.bytes().await.unwrap();
        took.push(start.elapsed());
        assert!(!body.is_empty());
    }
    took.sort();
    (percentile(&took, 50.0), percentile(&took, 95.0))
}

#[tokio::main]
async fn main() {
    let (base, photos, rounds) = options();
    let client = reqwest::Client::new();
    let bytes = jpeg(&two_tone(32, 24));
    let started = Instant::now();
    let ids: Vec<String> = stream::iter(0..photos)
        .map(|_| {
            let (client, base, bytes) = (client.clone(), base.clone(), bytes.clone());
            async move {
                let device = uuid::Uuid::new_v4();
                let ticket =
                    ask_ticket(&client, &base, device, "image/jpeg", bytes.len(), 1.0, 2.0).await;
                put_as_ticket_says(&client, &ticket, bytes).await;
                let id = ticket.photo_id.to_string();
                wait_final(&client, &base, &id, Duration::from_secs(600)).await;
                id
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    println!(
        "{photos} photos through the pipeline in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // Notify comes after the status settles: let the last executions end.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let photo = &ids[ids.len() / 2];
    let cases = [
        (
            "anchor: GET /v1/photos/{id}",
            format!("{base}/v1/photos/{photo}"),
        ),
        (
            "executions list, first page",
            format!("{base}/console/executions"),
        ),
        (
            "executions list, status SUCCEEDED",
            format!("{base}/console/executions?status=SUCCEEDED"),
        ),
        (
            "executions list, by photo id",
            format!("{base}/console/executions?q={photo}"),
        ),
        (
            "an execution's page",
            format!("{base}/console/executions/{photo}"),
        ),
        ("a photo's page", format!("{base}/console/photos/{photo}")),
    ];
    let mut anchor = None;
    println!(
        "{:<38} {:>10} {:>10} {:>8}",
        "request", "p50", "p95", "p50 / anchor"
    );
    for (name, url) in cases {
        let (p50, p95) = time(&client, &url, rounds).await;
        let anchor_p50 = *anchor.get_or_insert(p50);
        println!(
            "{name:<38} {:>10} {:>10} {:>7.1}×",
            ms(p50),
            ms(p95),
            p50.as_secs_f64() / anchor_p50.as_secs_f64()
        );
    }
}
