//! `GET /v1/photos/{photoId}` (follow one photo) and `DELETE /v1/photos/{photoId}`.

use crate::ports::ApiPorts;
use crate::problem::Problem;
use crate::time::rfc3339;
use serde::{Deserialize, Serialize};
use wisaw_domain::model::Photo;
use wisaw_domain::{DeviceId, PhotoId, PhotoStatus};

/// The status answer. It never carries the owner's device id.
/// Derives Deserialize too, so that clients (the CLI, the tests) read it typed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoStatusResponse {
    pub photo_id: PhotoId,
    pub status: PhotoStatus,
    pub created_at: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub thumb_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<ExecutionRef>,
}

/// The execution that processed the photo. `status` is absent when the
/// orchestrator could not tell in time: the status page must not fail with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExecutionRef {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

pub async fn status(ports: &ApiPorts, id: PhotoId) -> Result<PhotoStatusResponse, Problem> {
    let photo = load(ports, id).await?;
    let (thumb_url, image_url) = if photo.status == PhotoStatus::Ready {
        let (thumb, display) = ready_image_keys(&photo)?;
        (
            Some(presign_get(ports, &thumb).await?),
            Some(presign_get(ports, &display).await?),
        )
    } else {
        (None, None)
    };
    let rejected = photo.status == PhotoStatus::Rejected;
    let execution = match &photo.execution_name {
        Some(name) => Some(execution_ref(ports, name).await),
        None => None,
    };
    Ok(PhotoStatusResponse {
        photo_id: photo.id,
        status: photo.status,
        created_at: rfc3339(photo.created_at),
        lat: photo.lat,
        lon: photo.lon,
        width: photo.width,
        height: photo.height,
        thumb_url,
        image_url,
        reason: photo.reason.clone().filter(|_| rejected),
        reason_code: photo.reason_code.clone().filter(|_| rejected),
        execution,
    })
}

async fn execution_ref(ports: &ApiPorts, name: &str) -> ExecutionRef {
    if !ports.config.describes_executions {
        return ExecutionRef {
            name: name.to_string(),
            status: None,
        };
    }
    let lookup = ports.orchestrator.describe_execution(name);
    let status = match tokio::time::timeout(ports.config.execution_lookup_timeout, lookup).await {
        Ok(Ok(Some(summary))) => Some(summary.status.as_str().to_string()),
        Ok(Ok(None)) => None,
        Ok(Err(error)) => {
            tracing::warn!(%error, execution = name, "describing an execution failed");
            None
        }
        Err(_) => {
            tracing::warn!(execution = name, "describing an execution timed out");
            None
        }
    };
    ExecutionRef {
        name: name.to_string(),
        status,
    }
}

/// Removes the photo for its owner: first its objects, then its row, so that a
/// failure half-way leaves a row the owner can delete again, never orphan objects.
pub async fn delete(ports: &ApiPorts, id: PhotoId, device: DeviceId) -> Result<(), Problem> {
    let photo = load(ports, id).await?;
    if photo.device_id != device {
        return Err(Problem::forbidden(
            "Only the device that uploaded a photo can delete it.",
        ));
    }
    delete_objects(ports, &photo).await?;
    ports
        .metadata
        .delete_photo(id)
        .await
        .map_err(|e| Problem::from_port("deleting a photo", e))?;
    Ok(())
}

/// Where every object of a photo lives: its original upload (`uploads/{id}`, the bytes
/// with their EXIF and GPS) and everything the workers make of it (`photos/{id}/`).
/// A photo id has a fixed length, so no other photo's key starts with these.
pub fn object_prefixes(id: PhotoId) -> [String; 2] {
    [id.upload_key(), format!("photos/{id}/")]
}

/// Deletes every object of the photo: all under its prefixes, whatever wrote them, and
/// the images its row names, should a row name one elsewhere.
async fn delete_objects(ports: &ApiPorts, photo: &Photo) -> Result<(), Problem> {
    let failed = |e| Problem::from_port("deleting a photo's objects", e);
    let prefixes = object_prefixes(photo.id);
    for prefix in &prefixes {
        ports.blobs.delete_prefix(prefix).await.map_err(failed)?;
    }
    let recorded = image_keys(photo).map(|(thumb, display)| [thumb, display]);
    for key in recorded.into_iter().flatten() {
        if !prefixes
            .iter()
            .any(|prefix| key.starts_with(prefix.as_str()))
        {
            ports.blobs.delete(&key).await.map_err(failed)?;
        }
    }
    Ok(())
}

pub(crate) async fn load(ports: &ApiPorts, id: PhotoId) -> Result<Photo, Problem> {
    ports
        .metadata
        .get_photo(id)
        .await
        .map_err(|e| Problem::from_port("loading a photo", e))?
        .ok_or_else(|| Problem::not_found(format!("There is no photo {id}.")))
}

/// The thumbnail and display keys as persist recorded them from the thumbnail step's
/// output: the one source of a ready photo's keys (they are never re-derived here).
pub(crate) fn image_keys(photo: &Photo) -> Option<(String, String)> {
    Some((photo.thumb_key.clone()?, photo.display_key.clone()?))
}

/// A ready photo's keys; a ready row without them breaks the store's invariant.
pub(crate) fn ready_image_keys(photo: &Photo) -> Result<(String, String), Problem> {
    image_keys(photo).ok_or_else(|| {
        tracing::error!(photo_id = %photo.id, "a ready photo without recorded image keys");
        Problem::internal()
    })
}

pub(crate) async fn presign_get(ports: &ApiPorts, key: &str) -> Result<String, Problem> {
    ports
        .blobs
        .presign_get(key, ports.config.image_url_ttl)
        .await
        .map_err(|e| Problem::from_port("signing an image URL", e))
}
