//! `POST /v1/photos/{photoId}/abuse-reports`: one report per device and photo
//! counts; filing it again is accepted (201) and changes nothing.

use crate::config::ApiPorts;
use crate::photos::load;
use crate::problem::Problem;
use serde::{Deserialize, Serialize};
use wisaw_core::{DeviceId, PhotoId};

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AbuseReportRequest {
    pub device_id: DeviceId,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AbuseReportResponse {
    pub photo_id: PhotoId,
}

pub async fn report(
    ports: &ApiPorts,
    photo: PhotoId,
    request: AbuseReportRequest,
) -> Result<AbuseReportResponse, Problem> {
    load(ports, photo).await?;
    ports
        .metadata
        .add_abuse_report(photo, request.device_id)
        .await
        .map_err(|e| Problem::from_port("filing an abuse report", e))?;
    Ok(AbuseReportResponse { photo_id: photo })
}
