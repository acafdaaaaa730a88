//! Throughput of one machine: `--photos` uploads at once against a running `wisaw serve`,
//! from `--phones` devices, each listening on its own event channel as the app does.
//!
//! Every ticket is asked first; then the PUTs are sent, at most `--in-flight` photos
//! between their PUT and their event at a time (all of them by default: a burst; 16 for
//! sixteen phones that each upload one photo after another). Each photo is timed from
//! its PUT's answer to its event (`photo.ready` or `photo.rejected`). It reports photos
//! per second (first PUT to last event), upload → event percentiles, and the server's
//! CPU time per photo (from `/proc/PID/stat` of `--server-pid`).
//!
//! The anchor, in the same run: the workers' own CPU time for one photo (validate's
//! inspection and thumbnail's renditions of the same bytes, in this process), which sets
//! the most photos a second the machine's cores could ever finish.
//!
//! cargo build --release -p wisaw --bin wisaw --example throughput
//! target/release/wisaw serve --addr 127.0.0.1:3300 --data-dir /tmp/throughput &
//! target/release/examples/throughput --url http://127.0.0.1:3300 --server-pid $! \
//!     --photos 200 --file bench/inputs/photo-12mp.jpg      # or --size 64x64 --in-flight 16

#[path = "support/mod.rs"]
mod support;

use futures::future::join_all;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{ms, parse_flags, percentile};
use tokio::sync::{oneshot, Semaphore};
use wisaw::events::client::EventsConnection;
use wisaw_api::tickets::TicketResponse;
use wisaw_local::events::DEFAULT_API_KEY;
use wisaw_local::tls::ClientTrust;
use wisaw_testkit::images::{jpeg, two_tone};
use wisaw_testkit::{ask_ticket, put_as_ticket_says};

struct Options {
    url: String,
    photos: usize,
    phones: usize,
    file: Option<PathBuf>,
    size: (u32, u32),
    server_pid: Option<u32>,
    in_flight: Option<usize>,
}

fn options() -> Options {
    let mut options = Options {
        url: "http://127.0.0.1:3000".into(),
        photos: 200,
        phones: 16,
        file: None,
        size: (64, 64),
        server_pid: None,
        in_flight: None,
    };
    parse_flags(|flag, value| {
        match flag {
            "--url" => options.url = value.trim_end_matches('/').to_string(),
            "--photos" => options.photos = value.parse().expect("--photos N"),
            "--phones" => options.phones = value.parse().expect("--phones N"),
            "--file" => options.file = Some(value.into()),
            "--size" => {
                let (w, h) = value.split_once('x').expect("--size WxH");
                options.size = (w.parse().expect("width"), h.parse().expect("height"));
            }
            "--server-pid" => options.server_pid = Some(value.parse().expect("--server-pid PID")),
            "--in-flight" => options.in_flight = Some(value.parse().expect("--in-flight N")),
            _ => return false,
        }
        true
    });
    options
}

/// User plus system CPU time of a process so far (`/proc/PID/stat`, fields 14 and 15).
fn cpu_time(pid: &str) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process's stat");
    // The command name is in parentheses and may hold spaces: count fields after it.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("a stat line")
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // In clock ticks of USER_HZ, which Linux fixes at 100 a second for user space.
    Duration::from_millis(ticks * 10)
}

/// CPU time of validate's and thumbnail's work on one photo, as the workers do it: the
/// mean over at least a second of CPU (the clock counts in 10 ms ticks), on one thread.
fn workers_cpu_per_photo(bytes: &[u8]) -> Duration {
    let before = cpu_time("self");
    let mut rounds = 0;
    while rounds < 3 || cpu_time("self") - before < Duration::from_secs(1) {
        let verdict = wisaw_imaging::inspect(bytes);
        let info = verdict.image.expect("the benchmark photo is accepted");
        wisaw_imaging::render(bytes, &info).expect("the benchmark photo renders");
        rounds += 1;
    }
    (cpu_time("self") - before) / rounds
}

/// Who waits for which photo's event: the photo's upload, until it arrives.
type Waiting = Arc<Mutex<HashMap<String, oneshot::Sender<(Instant, String)>>>>;

/// One phone: its device's channel, and when each of its photos' events arrived.
async fn listen(ticket: TicketResponse, expected: usize, waiting: Waiting) {
    let mut connection = EventsConnection::subscribed_to(
        &ticket.events,
        DEFAULT_API_KEY,
        "bench",
        &ClientTrust::public(),
    )
    .await
    .expect("subscribing to the device's channel");
    let mut seen = 0;
    while seen < expected {
        let received = connection
            .next_event_within(Duration::from_secs(600))
            .await
            .expect("an event")
            .expect("the channel stays open");
        let photo = received.event["photoId"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let kind = received.event["eventType"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        seen += 1;
        let waiter = waiting.lock().unwrap().remove(&photo);
        if let Some(waiter) = waiter {
            let _ = waiter.send((Instant::now(), kind));
        }
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    let bytes = match &options.file {
        Some(file) => std::fs::read(file).expect("reading --file"),
        None => jpeg(&two_tone(options.size.0, options.size.1)),
    };
    let client = reqwest::Client::new();
    let base = options.url.as_str();
    let workers_cpu = workers_cpu_per_photo(&bytes);

    // Tickets first, not timed: each photo belongs to one of the phones.
    let devices: Vec<uuid::Uuid> = (0..options.phones).map(|_| uuid::Uuid::new_v4()).collect();
    let mut tickets = Vec::with_capacity(options.photos);
    for i in 0..options.photos {
        let device = devices[i % devices.len()];
        tickets.push(ask_ticket(&client, base, device, "image/jpeg", bytes.len(), 1.0, 2.0).await);
    }
    let waiting: Waiting = Arc::default();
    let mut phones = Vec::new();
    for (phone, ticket) in tickets.iter().take(devices.len()).enumerate() {
        let expected = (phone..options.photos).step_by(devices.len()).count();
        phones.push(tokio::spawn(listen(
            ticket.clone(),
            expected,
            waiting.clone(),
        )));
    }
    // Let every phone subscribe before the first photo can be announced.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let pid = options.server_pid.map(|pid| pid.to_string());
    let cpu_before = pid.as_deref().map(cpu_time);
    let in_flight = Arc::new(Semaphore::new(options.in_flight.unwrap_or(options.photos)));
    let started = Instant::now();
    let outcomes = join_all(tickets.iter().map(|ticket| {
        let (client, body, waiting) = (client.clone(), bytes.clone(), waiting.clone());
        let in_flight = in_flight.clone();
        async move {
            let _slot = in_flight.acquire_owned().await.expect("never closed");
            let (announced, event) = oneshot::channel();
            waiting
                .lock()
                .unwrap()
                .insert(ticket.photo_id.to_string(), announced);
            put_as_ticket_says(&client, ticket, body).await;
            let put_answered = Instant::now();
            let (at, kind) = event.await.expect("the photo's event");
            (at.saturating_duration_since(put_answered), at, kind)
        }
    }))
    .await;
    for phone in phones {
        phone.await.expect("a phone's listener");
    }
    let last = outcomes
        .iter()
        .map(|(_, at, _)| *at)
        .max()
        .unwrap_or(started);
    let mut latencies: Vec<Duration> = outcomes.iter().map(|(latency, _, _)| *latency).collect();
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for (_, _, kind) in &outcomes {
        *kinds.entry(kind.as_str()).or_default() += 1;
    }
    let elapsed = last - started;
    let server_cpu = pid
        .as_deref()
        .zip(cpu_before)
        .map(|(pid, before)| cpu_time(pid) - before);
    latencies.sort();

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let bound = cores as f64 / workers_cpu.as_secs_f64();
    let rate = options.photos as f64 / elapsed.as_secs_f64();
    println!(
        "{} photos ({} bytes each) from {} phones, at most {} in flight, on {cores} cores: \
         events {kinds:?}",
        options.photos,
        bytes.len(),
        options.phones,
        options.in_flight.unwrap_or(options.photos)
    );
    println!(
        "throughput: {rate:.1} photos/s ({:.2} s from the first PUT to the last event)",
        elapsed.as_secs_f64()
    );
    println!(
        "anchor: the workers' CPU per photo {} (validate + thumbnail, in this process) \
         -> at most {bound:.1} photos/s on {cores} cores; throughput / bound {:.2}",
        ms(workers_cpu),
        rate / bound
    );
    if let Some(cpu) = server_cpu {
        println!(
            "server CPU: {} per photo ({} in all); beyond the workers' own: {} per photo",
            ms(cpu / options.photos as u32),
            ms(cpu),
            ms((cpu / options.photos as u32).saturating_sub(workers_cpu))
        );
    }
    println!(
        "upload acknowledged -> event: p50 {}  p95 {}  p99 {}  max {}",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 95.0)),
        ms(percentile(&latencies, 99.0)),
        ms(*latencies.last().unwrap())
    );
}
