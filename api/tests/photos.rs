//! `GET` and `DELETE /v1/photos/{photoId}`, abuse reports, and unknown routes.

use crate::common::{mentions, Harness};
use chrono::Utc;
use serde_json::json;
use std::sync::atomic::Ordering;
use wisaw_api::ApiConfig;
use wisaw_domain::model::Photo;
use wisaw_domain::ports::{BlobStore, MetadataStore};
use wisaw_domain::{DeviceId, PhotoId};

/// A photo of `device`, ready, its images stored.
async fn ready_photo(h: &Harness, device: DeviceId) -> Photo {
    let photo = h.create_photo(device, 1.0, 2.0, Utc::now()).await;
    h.make_ready(&photo).await;
    photo
}

#[tokio::test]
async fn an_awaiting_photo_shows_its_status_and_nothing_private() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    let photo = h.create_photo(device, 37.7749, -122.4194, Utc::now()).await;

    let answer = h.get(&format!("/v1/photos/{}", photo.id)).await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
    let body = &answer.body;
    assert_eq!(body["photoId"], photo.id.to_string());
    assert_eq!(body["status"], "awaiting_upload");
    assert_eq!(body["lat"], 37.7749);
    assert_eq!(body["lon"], -122.4194);
    let created: chrono::DateTime<Utc> = body["createdAt"].as_str().unwrap().parse().unwrap();
    assert!((created - photo.created_at).num_milliseconds().abs() < 1);
    for absent in ["thumbUrl", "imageUrl", "reason", "reasonCode", "execution"] {
        assert!(body.get(absent).is_none(), "{absent} in {body}");
    }
    assert!(
        !mentions(body, "deviceId") && !mentions(body, &device.to_string()),
        "{body}"
    );
}

#[tokio::test]
async fn a_ready_photo_has_image_urls_size_and_its_execution() {
    let h = Harness::new().await;
    let device = DeviceId::new_random();
    let photo = ready_photo(&h, device).await;
    let name = photo.id.execution_name(0);
    started(&h, &photo);

    let body = h.get(&format!("/v1/photos/{}", photo.id)).await.body;
    assert_eq!(body["status"], "ready");
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(4032), Some(3024))
    );
    for (link, key) in [
        ("thumbUrl", photo.id.thumb_key()),
        ("imageUrl", photo.id.display_key()),
    ] {
        let url = body[link].as_str().unwrap();
        assert!(url.contains(&key), "{link}: {body}");
    }
    assert_eq!(
        body["execution"],
        json!({ "name": name, "status": "RUNNING" })
    );
    assert!(
        !mentions(&body, "deviceId") && !mentions(&body, &device.to_string()),
        "{body}"
    );

    // The status page still answers when the orchestrator does not.
    h.orchestrator.unavailable.store(true, Ordering::SeqCst);
    let degraded = h.get(&format!("/v1/photos/{}", photo.id)).await;
    assert_eq!(degraded.status.as_u16(), 200, "{}", degraded.body);
    assert_eq!(degraded.body["execution"], json!({ "name": name }));
    assert_eq!(degraded.body["status"], "ready");
}

/// The orchestrator has started `photo`'s first execution.
fn started(h: &Harness, photo: &Photo) {
    h.orchestrator.started.lock().unwrap().push((
        photo.id.execution_name(0),
        wisaw_domain::contracts::ExecutionInput {
            photo_id: photo.id,
            attempt: 0,
        },
    ));
}

/// An Express state machine's executions are not described by Step Functions: the status
/// page names the execution and does not ask how it went.
#[tokio::test]
async fn under_express_the_status_names_the_execution_without_asking_the_orchestrator() {
    let h = Harness::with_config(ApiConfig {
        describes_executions: false,
        ..ApiConfig::default()
    })
    .await;
    let photo = ready_photo(&h, DeviceId::new_random()).await;
    let name = photo.id.execution_name(0);
    started(&h, &photo);
    let body = h.get(&format!("/v1/photos/{}", photo.id)).await.body;
    assert_eq!(body["status"], "ready");
    assert_eq!(body["execution"], json!({ "name": name }), "{body}");
}

#[tokio::test]
async fn a_rejected_photo_says_why() {
    let h = Harness::new().await;
    let photo = h.create_a_photo().await;
    h.make_rejected(&photo).await;

    let body = h.get(&format!("/v1/photos/{}", photo.id)).await.body;
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["reasonCode"], "not_an_image");
    assert_eq!(body["reason"], "The file is not an image.");
    assert!(body.get("thumbUrl").is_none());
}

#[tokio::test]
async fn unknown_photos_are_404_and_bad_ids_400() {
    let h = Harness::new().await;
    let unknown = PhotoId::new_random();
    h.get_refused(&format!("/v1/photos/{unknown}"), 404).await;
    h.get_refused("/v1/photos/not-a-uuid", 400).await;
    h.delete(
        "/v1/photos/not-a-uuid",
        Some(&DeviceId::new_random().to_string()),
    )
    .await
    .assert_problem(400);
    h.delete(
        &format!("/v1/photos/{unknown}"),
        Some(&DeviceId::new_random().to_string()),
    )
    .await
    .assert_problem(404);
    let report = json!({ "deviceId": DeviceId::new_random().to_string() });
    h.post_refused(&format!("/v1/photos/{unknown}/abuse-reports"), &report, 404)
        .await;
    h.post_refused("/v1/photos/nope/abuse-reports", &report, 400)
        .await;
}

#[tokio::test]
async fn only_the_owner_deletes_and_the_images_go_with_the_photo() {
    let h = Harness::new().await;
    let owner = DeviceId::new_random();
    let photo = ready_photo(&h, owner).await;
    let uri = format!("/v1/photos/{}", photo.id);

    h.delete(&uri, None).await.assert_problem(400);
    h.delete(&uri, Some("not-a-uuid")).await.assert_problem(400);
    h.delete(&uri, Some(&DeviceId::new_random().to_string()))
        .await
        .assert_problem(403);
    assert!(h.metadata.get_photo(photo.id).await.unwrap().is_some());
    assert!(h.blobs.get(&photo.id.thumb_key()).await.is_ok());

    let deleted = h.delete(&uri, Some(&owner.to_string())).await;
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.body);
    assert!(deleted.body.is_null());
    assert!(h.metadata.get_photo(photo.id).await.unwrap().is_none());
    for key in [
        photo.id.upload_key(),
        photo.id.thumb_key(),
        photo.id.display_key(),
    ] {
        assert!(h.blobs.get(&key).await.is_err(), "{key} survived");
    }
    h.get_refused(&uri, 404).await;
    h.delete(&uri, Some(&owner.to_string()))
        .await
        .assert_problem(404);
}

/// Every file under `dir` whose path names `id`.
fn files_naming(dir: &std::path::Path, id: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_naming(&path, id));
        } else if path.display().to_string().contains(id) {
            found.push(path.display().to_string());
        }
    }
    found
}

#[tokio::test]
async fn deleting_a_photo_deletes_every_object_of_it_and_only_those() {
    let h = Harness::new().await;
    let owner = DeviceId::new_random();
    let photo = h.create_photo(owner, 1.0, 2.0, Utc::now()).await;
    let neighbour = h.create_photo(owner, 1.0, 2.0, Utc::now()).await;
    h.make_ready(&photo).await;
    h.make_ready(&neighbour).await;
    let id = photo.id.to_string();
    // Renditions another version of the workers wrote, under the photo's folder.
    for key in [
        format!("photos/{id}/legacy.jpg"),
        format!("photos/{id}/sizes/small.webp"),
    ] {
        h.blobs
            .put(&key, "image/jpeg", bytes::Bytes::from_static(b"old"))
            .await
            .unwrap();
    }
    assert!(files_naming(h.blobs.root(), &id).len() >= 10);

    let deleted = h
        .delete(&format!("/v1/photos/{id}"), Some(&owner.to_string()))
        .await;
    assert_eq!(deleted.status.as_u16(), 204, "{}", deleted.body);

    // Neither an object nor its meta file is left, the original upload included.
    assert_eq!(files_naming(h.blobs.root(), &id), Vec::<String>::new());
    let kept = files_naming(h.blobs.root(), &neighbour.id.to_string());
    assert_eq!(kept.len(), 6, "the neighbour's objects and meta: {kept:?}");
}

#[tokio::test]
async fn abuse_reports_are_201_and_count_once_per_device() {
    let h = Harness::new().await;
    let owner = DeviceId::new_random();
    let photo = h.create_photo(owner, 1.0, 2.0, Utc::now()).await;
    let uri = format!("/v1/photos/{}/abuse-reports", photo.id);
    let reporter = json!({ "deviceId": DeviceId::new_random().to_string() });

    let first = h.post_json(&uri, &reporter).await;
    assert_eq!(first.status.as_u16(), 201, "{}", first.body);
    assert_eq!(first.body["photoId"], photo.id.to_string());
    assert_eq!(h.post_json(&uri, &reporter).await.status.as_u16(), 201);
    assert_eq!(
        h.metadata.distinct_reporters_against(owner).await.unwrap(),
        1
    );

    h.post_refused(&uri, &json!({}), 400).await;
    h.post_refused(&uri, &json!({ "deviceId": "x" }), 400).await;
    h.post_raw(&uri, "application/json", "{".into())
        .await
        .assert_problem(400);
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems_too() {
    let h = Harness::new().await;
    h.get_refused("/v2/whatever", 404).await;
    h.get_refused("/v1/uploads", 405).await;
    h.post_refused("/v1/feed", &json!({}), 405).await;
}
