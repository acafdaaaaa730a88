//! Requests racing a photo's DELETE answer what the contract names, never 5xx.

use crate::common::Harness;
use async_trait::async_trait;
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use wisaw_api::ApiConfig;
use wisaw_domain::ports::{MetadataStore, PortResult};
use wisaw_domain::DeviceId;
use wisaw_testkit::ports::{HookedMetadataStore, MetadataCall, MetadataHook};

/// Once armed, loading a photo deletes it right after: the DELETE of another request
/// landing between this request's load and its write.
#[derive(Default)]
struct DeletedRightAfterLoad {
    armed: AtomicBool,
}

#[async_trait]
impl MetadataHook for DeletedRightAfterLoad {
    async fn after(&self, call: MetadataCall<'_>, store: &dyn MetadataStore) -> PortResult<()> {
        if let MetadataCall::GetPhoto(id) = call {
            if self.armed.swap(false, Ordering::SeqCst) {
                store.delete_photo(id).await?;
            }
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_report_racing_the_photos_delete_is_a_404() {
    let racing = Arc::new(DeletedRightAfterLoad::default());
    let hook = racing.clone();
    let h = Harness::with_store(ApiConfig::default(), move |inner| {
        Arc::new(HookedMetadataStore::new(inner, hook))
    })
    .await;
    let photo = h.create_a_photo().await;

    racing.armed.store(true, Ordering::SeqCst);
    let report = json!({ "deviceId": DeviceId::new_random().to_string() });
    h.post_refused(
        &format!("/v1/photos/{}/abuse-reports", photo.id),
        &report,
        404,
    )
    .await;
    assert!(h.metadata.get_photo(photo.id).await.unwrap().is_none());
}
