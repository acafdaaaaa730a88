//! `POST /v1/uploads`: a photo row awaiting its upload, and a signed PUT for it.
//!
//! Repeating the request with the same `photoId`:
//! - from another device: 409;
//! - from the same device, with a different `contentType` or `contentLength`: 409
//!   (the ticket binds both, and the photo row was created with the first ones);
//! - from the same device while the photo still awaits its upload: 200 and a fresh ticket;
//! - from the same device once the upload arrived (processing, ready, rejected, failed):
//!   200 with the photo's current `status` and no `upload`, since there is nothing left
//!   to send and a second upload would only be ignored.

use crate::ports::ApiPorts;
use crate::problem::Problem;
use crate::time::rfc3339;
use axum::http::StatusCode;
use chrono::Utc;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use wisaw_domain::contracts::ImageFormat;
use wisaw_domain::geo::{valid_lat, valid_lon};
use wisaw_domain::model::{CreatePhoto, NewPhoto, Photo};
use wisaw_domain::ports::PutTerms;
use wisaw_domain::{DeviceId, PhotoId, PhotoStatus};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_id: Option<PhotoId>,
    pub device_id: DeviceId,
    pub content_type: String,
    /// Signed, so that 0 and negative sizes get a clear 400 rather than a parse error.
    /// Any JSON number with an integer value is accepted (`97.0` is 97, as JSON Schema's
    /// `integer` has it); a fraction is refused.
    #[serde(deserialize_with = "whole_number")]
    pub content_length: i64,
    pub lat: f64,
    pub lon: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketResponse {
    pub photo_id: PhotoId,
    pub status: PhotoStatus,
    /// Absent when the photo no longer awaits its upload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upload: Option<UploadTicket>,
    /// The device's event channel: subscribe before the upload to hear the outcome.
    pub events: EventChannel,
}

/// Where and on which channel the device hears `photo.ready` / `photo.rejected`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventChannel {
    /// The AppSync Events real-time WebSocket endpoint.
    pub realtime_url: String,
    /// The AppSync Events HTTP endpoint (its `host` goes in the connection's authorization).
    pub http_url: String,
    /// `/devices/{token}`: this device's channel, the same for all its photos.
    pub channel: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadTicket {
    pub method: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    pub expires_at: String,
}

/// Answers 201 for a new photo, 200 for an idempotent repeat.
pub async fn create(
    ports: &ApiPorts,
    request: TicketRequest,
) -> Result<(StatusCode, TicketResponse), Problem> {
    let content_length = validate(ports, &request)?;
    refuse_reported_devices(ports, request.device_id).await?;

    let new_photo = NewPhoto {
        id: request.photo_id.unwrap_or_else(PhotoId::new_random),
        device_id: request.device_id,
        lat: request.lat,
        lon: request.lon,
        content_type: request.content_type.clone(),
        content_length,
        created_at: Utc::now(),
    };
    let created = ports
        .metadata
        .create_photo(&new_photo)
        .await
        .map_err(|e| Problem::from_port("creating a photo", e))?;
    match created {
        CreatePhoto::Created(photo) => Ok((StatusCode::CREATED, answer(ports, &photo).await?)),
        CreatePhoto::Existing(photo) => {
            check_repeat(&photo, &new_photo)?;
            Ok((StatusCode::OK, answer(ports, &photo).await?))
        }
    }
}

/// A JSON number whose value is a whole number that fits an `i64`.
fn whole_number<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    use serde::de::Error;
    let number = serde_json::Number::deserialize(deserializer)?;
    if let Some(whole) = number.as_i64() {
        return Ok(whole);
    }
    // 2^63 is exactly representable; every f64 below it in magnitude fits an i64.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    match number.as_f64() {
        Some(value) if value.fract() == 0.0 && (-LIMIT..LIMIT).contains(&value) => Ok(value as i64),
        _ => Err(D::Error::custom(format!(
            "`contentLength` must be a whole number of bytes, not {number}"
        ))),
    }
}

/// Returns the validated content length.
fn validate(ports: &ApiPorts, request: &TicketRequest) -> Result<u64, Problem> {
    if !valid_lat(request.lat) {
        return Err(Problem::bad_request("`lat` must be a number in [-90, 90]."));
    }
    if !valid_lon(request.lon) {
        return Err(Problem::bad_request(
            "`lon` must be a number in [-180, 180].",
        ));
    }
    if request.content_length < 1 {
        return Err(Problem::bad_request(
            "`contentLength` must be at least 1 byte.",
        ));
    }
    if ImageFormat::from_content_type(&request.content_type).is_none() {
        return Err(Problem::unsupported_media_type(format!(
            "`contentType` {:?} is not accepted; use image/jpeg, image/png or image/webp.",
            request.content_type
        )));
    }
    let length = request.content_length as u64;
    let max = ports.config.max_upload_bytes;
    if length > max {
        return Err(Problem::payload_too_large(format!(
            "`contentLength` {length} exceeds the maximum of {max} bytes."
        )));
    }
    Ok(length)
}

async fn refuse_reported_devices(ports: &ApiPorts, device: DeviceId) -> Result<(), Problem> {
    let reporters = ports
        .metadata
        .counted_reporters_against(device)
        .await
        .map_err(|e| Problem::from_port("counting abuse reports", e))?;
    if reporters > ports.config.abuse_report_threshold {
        return Err(Problem::forbidden(
            "This device cannot upload photos because of abuse reports against its photos.",
        ));
    }
    Ok(())
}

fn check_repeat(existing: &Photo, asked: &NewPhoto) -> Result<(), Problem> {
    if existing.device_id != asked.device_id {
        return Err(Problem::conflict(format!(
            "Photo {} belongs to another device; generate a new photoId.",
            existing.id
        )));
    }
    if existing.content_type != asked.content_type
        || existing.content_length != asked.content_length
    {
        return Err(Problem::conflict(format!(
            "Photo {} was requested with contentType {} and contentLength {}; \
             a repeat must ask for the same, or use a new photoId.",
            existing.id, existing.content_type, existing.content_length
        )));
    }
    Ok(())
}

async fn answer(ports: &ApiPorts, photo: &Photo) -> Result<TicketResponse, Problem> {
    let upload = if photo.status == PhotoStatus::AwaitingUpload {
        let signed = ports
            .blobs
            .presign_put(
                PutTerms {
                    key: &photo.id.upload_key(),
                    content_type: &photo.content_type,
                    content_length: photo.content_length,
                },
                ports.config.upload_ticket_ttl,
            )
            .await
            .map_err(|e| Problem::from_port("signing an upload", e))?;
        Some(UploadTicket {
            method: signed.method,
            url: signed.url,
            headers: signed.headers,
            expires_at: rfc3339(signed.expires_at),
        })
    } else {
        None
    };
    Ok(TicketResponse {
        photo_id: photo.id,
        status: photo.status,
        upload,
        events: EventChannel {
            realtime_url: ports.events.realtime_url.clone(),
            http_url: ports.events.http_url.clone(),
            channel: ports.channels.channel_of(photo.device_id),
        },
    })
}
