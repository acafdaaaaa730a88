//! `POST /v1/photos/{photoId}/abuse-reports`: one report per device and photo
//! is kept; filing it again is accepted (201) and changes nothing.
//!
//! Device ids are self-asserted, so a report counts against the photo's owner only
//! when its reporter has standing (a photo of its own was ready before it reported)
//! and its client address has not already brought [`ApiConfig::abuse_reporters_per_address`]
//! counted reporters within [`ApiConfig::abuse_address_window`]. Every report is
//! answered alike, so a reporter cannot tell whether it counted.
//!
//! [`ApiConfig::abuse_reporters_per_address`]: crate::ApiConfig::abuse_reporters_per_address
//! [`ApiConfig::abuse_address_window`]: crate::ApiConfig::abuse_address_window

use crate::extract::ClientAddress;
use crate::photos::load;
use crate::ports::ApiPorts;
use crate::problem::Problem;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use wisaw_domain::model::{client_address_bucket, NewAbuseReport};
use wisaw_domain::{DeviceId, PhotoId};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbuseReportRequest {
    pub device_id: DeviceId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbuseReportResponse {
    pub photo_id: PhotoId,
}

pub async fn report(
    ports: &ApiPorts,
    photo: PhotoId,
    request: AbuseReportRequest,
    client: ClientAddress,
) -> Result<AbuseReportResponse, Problem> {
    load(ports, photo).await?;
    let config = &ports.config;
    let report = NewAbuseReport {
        photo_id: photo,
        reporter: request.device_id,
        client_address: client.0.map(client_address_bucket),
        filed_at: Utc::now(),
        reporters_per_address: config.abuse_reporters_per_address,
        address_window: chrono::Duration::from_std(config.abuse_address_window)
            .unwrap_or(chrono::Duration::MAX),
    };
    // A photo deleted since it was loaded is `NotFound` here: a 404 like any other.
    let filed = ports
        .metadata
        .add_abuse_report(&report)
        .await
        .map_err(|e| Problem::from_port("filing an abuse report", e))?;
    tracing::info!(%photo, outcome = ?filed, "abuse report filed");
    Ok(AbuseReportResponse { photo_id: photo })
}
