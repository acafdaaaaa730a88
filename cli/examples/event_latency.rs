//! Upload acknowledged → event received, as a phone sees it, against a running
//! `wisaw serve`: subscribe to the device's channel, then for each photo ask a ticket,
//! PUT the bytes, and time from the PUT's answer to the photo's event on the channel.
//! One photo at a time, so each figure is one photo's way through the whole pipeline.
//!
//! The anchor, in the same run: the same photo's status polled every 10 ms until it is
//! settled, as a phone without the channel would have to (and harder than one should).
//! Notify is the last step, so the event can only come after the status settles; the
//! ratio says what the channel costs over the pipeline itself.
//!
//! cargo run --release -p wisaw --example event_latency -- --url http://127.0.0.1:3000 \
//!     --photos 200 --megapixels 0
//!
//! `--megapixels 0` sends a 32×24 JPEG (the pipeline's own cost); `--megapixels 12` a
//! 4000×3000 one.
//!
//! `--url` may be given more than once, e.g. a plain `wisaw serve` and a `--tls` one: the
//! photos then take turns between them in one run, and each server's figures come with
//! their ratio to the first's. `--tls-ca FILE` trusts a `--tls` server's authority.

#[path = "support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};
use support::{ms, parse_flags, percentile};
use wisaw::events::client::EventsConnection;
use wisaw_api::tickets::TicketResponse;
use wisaw_local::events::DEFAULT_API_KEY;
use wisaw_local::tls::ClientTrust;
use wisaw_testkit::images::{jpeg, two_tone};
use wisaw_testkit::{ask_ticket, put_as_ticket_says};

struct Options {
    urls: Vec<String>,
    photos: usize,
    megapixels: u32,
    api_key: String,
    tls_ca: Option<PathBuf>,
}

fn options() -> Options {
    let mut options = Options {
        urls: Vec::new(),
        photos: 200,
        megapixels: 0,
        api_key: DEFAULT_API_KEY.into(),
        tls_ca: None,
    };
    parse_flags(|flag, value| {
        match flag {
            "--url" => options.urls.push(value),
            "--photos" => options.photos = value.parse().expect("--photos N"),
            "--megapixels" => options.megapixels = value.parse().expect("--megapixels N"),
            "--events-api-key" => options.api_key = value,
            "--tls-ca" => options.tls_ca = Some(value.into()),
            _ => return false,
        }
        true
    });
    if options.urls.is_empty() {
        options.urls.push("http://127.0.0.1:3000".into());
    }
    options
}

/// One server under test: a device subscribed to its channel, and what was measured.
struct Server {
    base: String,
    device: uuid::Uuid,
    first: Option<TicketResponse>,
    connection: EventsConnection,
    latencies: Vec<Duration>,
    polled: Vec<Duration>,
}

#[tokio::main]
async fn main() {
    let options = options();
    let (width, height) = match options.megapixels {
        0 => (32, 24),
        12 => (4000, 3000),
        n => {
            let width = ((n as f64 * 1e6 * 4.0 / 3.0).sqrt()) as u32;
            (width, width * 3 / 4)
        }
    };
    let bytes = jpeg(&two_tone(width, height));
    let trust = match &options.tls_ca {
        Some(ca) => ClientTrust::with_ca_file(ca).expect("--tls-ca"),
        None => ClientTrust::public(),
    };
    let client = trust.http_client().expect("an HTTP client");

    // The channel is the device's: one connection and subscription per server, for every photo.
    let mut servers = Vec::new();
    for url in &options.urls {
        let base = url.trim_end_matches('/').to_string();
        let device = uuid::Uuid::new_v4();
        let first = ask_ticket(&client, &base, device, "image/jpeg", bytes.len(), 1.0, 2.0).await;
        let connection =
            EventsConnection::subscribed_to(&first.events, &options.api_key, "bench", &trust)
                .await
                .expect("subscribing to the device's channel");
        servers.push(Server {
            base,
            device,
            first: Some(first),
            connection,
            latencies: Vec::with_capacity(options.photos),
            polled: Vec::with_capacity(options.photos),
        });
    }

    let started = Instant::now();
    for i in 0..options.photos {
        // The servers take turns, so a drift of the machine weighs on each alike.
        let server = &mut servers[i % options.urls.len()];
        let ticket = match server.first.take() {
            Some(first) => first,
            None => {
                let (base, device) = (&server.base, server.device);
                ask_ticket(&client, base, device, "image/jpeg", bytes.len(), 1.0, 2.0).await
            }
        };
        put_as_ticket_says(&client, &ticket, bytes.clone()).await;
        let acknowledged = Instant::now();
        let polling = tokio::spawn(settled_after(
            client.clone(),
            format!("{}/v1/photos/{}", server.base, ticket.photo_id),
            acknowledged,
        ));
        loop {
            let received = server
                .connection
                .next_event_within(Duration::from_secs(120))
                .await
                .expect("an event")
                .expect("the channel stays open");
            if received.event["photoId"] == ticket.photo_id.to_string() {
                assert_eq!(
                    received.event["eventType"], "photo.ready",
                    "{}",
                    received.event
                );
                break;
            }
        }
        server.latencies.push(acknowledged.elapsed());
        server.polled.push(polling.await.expect("the polling task"));
    }
    let total = started.elapsed();
    println!(
        "{} photos of {width}x{height} ({} bytes), one at a time, in {:.1} s",
        options.photos,
        bytes.len(),
        total.as_secs_f64()
    );
    let mut first_p50 = None;
    for server in &mut servers {
        let (latencies, polled) = (&mut server.latencies, &mut server.polled);
        latencies.sort();
        polled.sort();
        println!("{} ({} photos)", server.base, latencies.len());
        print_percentiles("upload acknowledged -> event received:", latencies);
        print_percentiles("anchor, status polled every 10 ms:       ", polled);
        println!(
            "  event / polled status, p50: {:.2}  p95: {:.2}",
            percentile(latencies, 50.0).as_secs_f64() / percentile(polled, 50.0).as_secs_f64(),
            percentile(latencies, 95.0).as_secs_f64() / percentile(polled, 95.0).as_secs_f64()
        );
        let p50 = percentile(latencies, 50.0).as_secs_f64();
        match first_p50 {
            None => first_p50 = Some((p50, percentile(latencies, 95.0).as_secs_f64())),
            Some((first50, first95)) => println!(
                "  event latency / the first server's, p50: {:.2}  p95: {:.2}",
                p50 / first50,
                percentile(latencies, 95.0).as_secs_f64() / first95
            ),
        }
    }
}

/// How long after `since` the photo's status was first seen settled.
async fn settled_after(client: reqwest::Client, url: String, since: Instant) -> Duration {
    loop {
        let status: serde_json::Value = client
            .get(&url)
            .send()
            .await
            .expect("the status")
            .json()
            .await
            .expect("a status document");
        if matches!(
            status["status"].as_str(),
            Some("ready" | "rejected" | "failed")
        ) {
            return since.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One line of sorted samples: their p50, p95, p99 and max.
fn print_percentiles(label: &str, sorted: &[Duration]) {
    println!(
        "  {label} p50 {}  p95 {}  p99 {}  max {}",
        ms(percentile(sorted, 50.0)),
        ms(percentile(sorted, 95.0)),
        ms(percentile(sorted, 99.0)),
        ms(*sorted.last().unwrap())
    );
}
