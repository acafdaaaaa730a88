//! `wisaw upload FILE`: what a phone does. Ask for a ticket, subscribe to the device's
//! event channel, send the bytes exactly as the ticket says, then wait for the photo's
//! event (or, without events, poll its status) until it is done.

use crate::events::client::EventsConnection;
use anyhow::{bail, Context, Result};
use bytes::Bytes;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::de::DeserializeOwned;
use std::path::Path;
use std::time::Duration;
use wisaw_api::photos::PhotoStatusResponse;
use wisaw_api::problem::ProblemBody;
use wisaw_api::tickets::{TicketRequest, TicketResponse, UploadTicket};
use wisaw_domain::contracts::ImageFormat;
use wisaw_domain::{DeviceId, PhotoId, PhotoStatus};
use wisaw_imaging::validate::sniff::{sniff, Sniffed};
use wisaw_local::tls::authority::{CA_CERT_FILE, TLS_DIR};
use wisaw_local::tls::ClientTrust;
use wisaw_local::{DATA_DIR_VAR, DEFAULT_DATA_DIR};

pub struct UploadOptions {
    pub api_url: String,
    pub lat: f64,
    pub lon: f64,
    pub device_id: uuid::Uuid,
    /// How long to follow the photo before giving up.
    pub wait: Duration,
    pub progress: bool,
    /// The app's key for the event channel; `None` to poll the status only.
    pub events_api_key: Option<String>,
    /// Whom HTTPS and WSS trust: the public roots, and a local authority when given.
    pub trust: ClientTrust,
}

/// The trust of `wisaw upload`: the public roots, and `ca` when given; without it, the
/// local authority of the default data folder (or WISAW_DATA_DIR's) when there is one, so
/// an upload to a `wisaw serve --tls` started beside it works as it is.
pub fn trust(ca: Option<&Path>) -> Result<ClientTrust> {
    if let Some(ca) = ca {
        return ClientTrust::with_ca_file(ca);
    }
    let data_dir = std::env::var_os(DATA_DIR_VAR)
        .map_or_else(|| DEFAULT_DATA_DIR.into(), std::path::PathBuf::from);
    let local = data_dir.join(TLS_DIR).join(CA_CERT_FILE);
    if local.exists() {
        ClientTrust::with_ca_file(&local)
    } else {
        Ok(ClientTrust::public())
    }
}

/// How the photo's outcome was learnt.
#[derive(Debug)]
pub struct Followed {
    pub status: PhotoStatusResponse,
    /// The event, when it arrived on the channel, and how long after the upload was
    /// acknowledged.
    pub event: Option<(serde_json::Value, Duration)>,
}

/// Uploads one file and returns the photo's final status (and its event).
pub async fn upload(file: &Path, options: &UploadOptions) -> Result<Followed> {
    follow(send(file, options).await?, options).await
}

/// A photo whose upload the store acknowledged: what the phone then waits on.
pub struct Sent {
    pub photo_id: PhotoId,
    client: reqwest::Client,
    events: Option<EventsConnection>,
    acknowledged: tokio::time::Instant,
}

/// The phone's first half: the ticket, the event channel subscribed, the bytes sent as
/// the ticket says. The photo is the pipeline's from here on.
pub async fn send(file: &Path, options: &UploadOptions) -> Result<Sent> {
    let bytes = Bytes::from(
        tokio::fs::read(file)
            .await
            .with_context(|| format!("reading {}", file.display()))?,
    );
    let client = options.trust.http_client()?;
    let api = options.api_url.trim_end_matches('/');

    let request = TicketRequest {
        photo_id: None,
        device_id: DeviceId(options.device_id),
        content_type: content_type_of(file, &bytes).to_string(),
        content_length: i64::try_from(bytes.len()).context("the file is too large")?,
        lat: options.lat,
        lon: options.lon,
    };
    let response = client
        .post(format!("{api}/v1/uploads"))
        .json(&request)
        .send()
        .await
        .context("asking for an upload ticket")?;
    let ticket: TicketResponse = typed_or_problem(response).await?;
    let photo_id = ticket.photo_id;
    let upload = ticket
        .upload
        .with_context(|| format!("photo {photo_id} no longer awaits its upload"))?;
    // Subscribed before the upload, so the event cannot be published before anyone listens.
    let events = match &options.events_api_key {
        Some(key) => {
            match EventsConnection::subscribed_to(&ticket.events, key, "upload", &options.trust)
                .await
            {
                Ok(connection) => Some(connection),
                Err(error) => {
                    eprintln!("photo {photo_id}: no event channel ({error:#}); polling the status");
                    None
                }
            }
        }
        None => None,
    };
    eprintln!("photo {photo_id}: uploading {} bytes", bytes.len());

    send_as_ticket_says(&client, &upload, bytes, options.progress).await?;
    Ok(Sent {
        photo_id,
        client,
        events,
        acknowledged: tokio::time::Instant::now(),
    })
}

/// The phone's second half: the photo's event heard (or its status polled) until it is
/// settled, or `options.wait` after the upload was acknowledged.
pub async fn follow(sent: Sent, options: &UploadOptions) -> Result<Followed> {
    let Sent {
        photo_id,
        client,
        mut events,
        acknowledged,
    } = sent;
    let api = options.api_url.trim_end_matches('/');
    let deadline = acknowledged + options.wait;
    if let Some(connection) = events.as_mut() {
        match wait_for_event(connection, &client, api, photo_id, deadline).await {
            Ok(event) => {
                let after = acknowledged.elapsed();
                eprintln!(
                    "photo {photo_id}: {} {:.1} ms after the upload was acknowledged",
                    event["eventType"].as_str().unwrap_or("event"),
                    after.as_secs_f64() * 1000.0
                );
                let status = poll_status(&client, api, photo_id, deadline, options.wait).await?;
                return Ok(Followed {
                    status,
                    event: Some((event, after)),
                });
            }
            Err(error) => {
                eprintln!(
                    "photo {photo_id}: the event channel failed ({error:#}); polling the status"
                );
            }
        }
    }
    let status = poll_status(&client, api, photo_id, deadline, options.wait).await?;
    Ok(Followed {
        status,
        event: None,
    })
}

/// The first event about `photo_id`; others on the device's channel are skipped. A
/// failed photo is announced by no event: the status is read every few seconds
/// meanwhile, and a failure ends the wait.
async fn wait_for_event(
    connection: &mut EventsConnection,
    client: &reqwest::Client,
    api: &str,
    photo_id: PhotoId,
    deadline: tokio::time::Instant,
) -> Result<serde_json::Value> {
    let mut check = tokio::time::interval(Duration::from_secs(3));
    check.tick().await;
    loop {
        tokio::select! {
            received = tokio::time::timeout_at(deadline, connection.next_event()) => {
                let received = received
                    .context("no event before the deadline")??
                    .context("the server closed the event channel")?;
                if received.event["photoId"] == photo_id.to_string() {
                    return Ok(received.event);
                }
            }
            _ = check.tick() => {
                let response = client.get(format!("{api}/v1/photos/{photo_id}")).send().await?;
                let status: PhotoStatusResponse = typed_or_problem(response).await?;
                if status.status == PhotoStatus::Failed {
                    bail!("the photo failed, which no event announces");
                }
            }
        }
    }
}

/// Polls `GET /v1/photos/{id}` until the photo is settled.
async fn poll_status(
    client: &reqwest::Client,
    api: &str,
    photo_id: PhotoId,
    deadline: tokio::time::Instant,
    wait: Duration,
) -> Result<PhotoStatusResponse> {
    loop {
        let response = client
            .get(format!("{api}/v1/photos/{photo_id}"))
            .send()
            .await?;
        let status: PhotoStatusResponse = typed_or_problem(response).await?;
        if status.status.is_settled() {
            return Ok(status);
        }
        if tokio::time::Instant::now() >= deadline {
            bail!(
                "photo {photo_id} is still {} after {:?}",
                status.status.as_str(),
                wait
            )
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The declared type follows the bytes when the pipeline's own sniffer recognises
/// them, so the ticket matches what validate will find; the extension is a fallback.
fn content_type_of(file: &Path, bytes: &[u8]) -> &'static str {
    let by_extension = || match file
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("png") => ImageFormat::Png,
        Some("webp") => ImageFormat::Webp,
        _ => ImageFormat::Jpeg,
    };
    match sniff(bytes) {
        Sniffed::Accepted(format) => format,
        _ => by_extension(),
    }
    .content_type()
}

async fn send_as_ticket_says(
    client: &reqwest::Client,
    upload: &UploadTicket,
    bytes: Bytes,
    progress: bool,
) -> Result<()> {
    let method: reqwest::Method = upload.method.parse()?;
    let total = bytes.len() as u64;
    let bar = if progress {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(ProgressStyle::with_template(
        "{bar:40} {bytes}/{total_bytes} {bytes_per_sec}",
    )?);
    let chunks: Vec<Bytes> = (0..bytes.len())
        .step_by(64 * 1024)
        .map(|start| bytes.slice(start..(start + 64 * 1024).min(bytes.len())))
        .collect();
    let counting_bar = bar.clone();
    let body = futures::stream::iter(chunks).map(move |chunk| {
        counting_bar.inc(chunk.len() as u64);
        Ok::<_, std::io::Error>(chunk)
    });
    let mut request = client
        .request(method, &upload.url)
        .header(reqwest::header::CONTENT_LENGTH, total);
    for (name, value) in &upload.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .context("uploading")?;
    bar.finish_and_clear();
    if !response.status().is_success() {
        let status = response.status();
        bail!(
            "the store refused the upload ({status}): {}",
            response.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

/// The answer as its contract type, or the problem's detail as the error.
async fn typed_or_problem<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    let status = response.status();
    if !status.is_success() {
        let detail = match response.json::<ProblemBody>().await {
            Ok(problem) => problem.detail,
            Err(_) => "no detail".to_string(),
        };
        bail!("{status}: {detail}");
    }
    response
        .json()
        .await
        .with_context(|| format!("reading the answer ({status})"))
}
