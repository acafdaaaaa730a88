//! `wisaw upload FILE`: what a phone does. Ask for a ticket, send the bytes
//! exactly as the ticket says, then follow the photo until it is done.

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use wisaw_domain::contracts::ImageFormat;

pub struct UploadOptions {
    pub api_url: String,
    pub lat: f64,
    pub lon: f64,
    pub device_id: uuid::Uuid,
    /// How long to follow the photo before giving up.
    pub wait: Duration,
    pub progress: bool,
}

/// Uploads one file and returns the photo's final status document.
pub async fn upload(file: &Path, options: &UploadOptions) -> Result<Value> {
    let bytes = Bytes::from(
        tokio::fs::read(file)
            .await
            .with_context(|| format!("reading {}", file.display()))?,
    );
    let content_type = content_type_of(file, &bytes);
    let client = reqwest::Client::new();
    let api = options.api_url.trim_end_matches('/');

    let ticket: Value = {
        let response = client
            .post(format!("{api}/v1/uploads"))
            .json(&json!({
                "deviceId": options.device_id,
                "contentType": content_type,
                "contentLength": bytes.len(),
                "lat": options.lat,
                "lon": options.lon,
            }))
            .send()
            .await
            .context("asking for an upload ticket")?;
        json_or_problem(response).await?
    };
    let photo_id = ticket["photoId"]
        .as_str()
        .context("the ticket has no photoId")?
        .to_string();
    eprintln!("photo {photo_id}: uploading {} bytes", bytes.len());

    send_as_ticket_says(&client, &ticket["upload"], bytes, options.progress).await?;

    let deadline = tokio::time::Instant::now() + options.wait;
    loop {
        let status: Value = json_or_problem(
            client
                .get(format!("{api}/v1/photos/{photo_id}"))
                .send()
                .await?,
        )
        .await?;
        match status["status"].as_str() {
            Some("ready" | "rejected" | "failed") => return Ok(status),
            _ if tokio::time::Instant::now() >= deadline => {
                bail!(
                    "photo {photo_id} is still {} after {:?}",
                    status["status"],
                    options.wait
                )
            }
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The declared type follows the bytes when they are recognisable, so the
/// ticket matches what the pipeline will find; the extension is a fallback.
fn content_type_of(file: &Path, bytes: &[u8]) -> &'static str {
    let sniffed = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::Webp)
    } else {
        None
    };
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
    sniffed.unwrap_or_else(by_extension).content_type()
}

async fn send_as_ticket_says(
    client: &reqwest::Client,
    upload: &Value,
    bytes: Bytes,
    progress: bool,
) -> Result<()> {
    let method: reqwest::Method = upload["method"].as_str().unwrap_or("PUT").parse()?;
    let url = upload["url"]
        .as_str()
        .context("the ticket has no upload url")?;
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
        .request(method, url)
        .header(reqwest::header::CONTENT_LENGTH, total);
    if let Some(headers) = upload["headers"].as_object() {
        for (name, value) in headers {
            request = request.header(name.as_str(), value.as_str().unwrap_or_default());
        }
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

async fn json_or_problem(response: reqwest::Response) -> Result<Value> {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!(
            "{status}: {}",
            body.get("detail")
                .and_then(|d| d.as_str())
                .unwrap_or("no detail")
        );
    }
    Ok(body)
}
