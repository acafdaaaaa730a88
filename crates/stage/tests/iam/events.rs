//! The Events endpoint with IAM in place of its one publisher key: the AWS publisher,
//! signing with the notify function's session, may publish on a device's channel; another
//! role, or a forged signature, may not.

use super::{principal, template_iam, StandIns, REGION};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use std::sync::Arc;
use std::time::Duration;
use wisaw_adapters::aws::AppSyncEventsPublisher;
use wisaw_domain::events::{DeviceChannels, PhotoEvent};
use wisaw_domain::ports::Notifier;
use wisaw_domain::{DeviceId, PhotoId};
use wisaw_local::events::{EventsSettings, LocalEvents, PublisherKey};
use wisaw_stage::iam::events::IamPublishAuthorizer;
use wisaw_stage::iam::{Iam, Principal};

/// The local events server, its publisher key `publisher` unless `iam` holds publishes to
/// IAM; its HTTP URL and channels.
async fn events_server(publisher: PublisherKey, iam: Option<Arc<Iam>>) -> (String, DeviceChannels) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let channels = DeviceChannels::derived_from(b"the stage's channel key");
    let settings = EventsSettings {
        api_key: "da2-test".into(),
        publisher,
        keep_alive: Duration::from_secs(60),
        init_timeout: Duration::from_secs(10),
        max_subscriptions: 10,
        max_connections: 10,
    };
    let mut events = LocalEvents::new(&base, settings, channels.clone()).unwrap();
    if let Some(iam) = iam {
        events = events.with_publish_authorizer(Arc::new(IamPublishAuthorizer::new(iam)));
    }
    let http_url = events.endpoints().http_url.clone();
    let router = Arc::new(events).router();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (http_url, channels)
}

/// Publishes an event for `device` on `channel`, signed with `principal`'s session and
/// `secret`; the publisher's error, as text.
async fn publish(
    url: &str,
    (principal, secret): (&Principal, &str),
    channel: &str,
    device: DeviceId,
) -> Result<(), String> {
    let credentials = Credentials::new(
        &principal.credentials.access_key_id,
        secret,
        Some(principal.credentials.session_token.clone()),
        None,
        "test",
    );
    let provider = SharedCredentialsProvider::new(credentials);
    let publisher = AppSyncEventsPublisher::new(url, REGION, provider).unwrap();
    let published = publisher.publish(channel, &event(device)).await;
    published.map_err(|error| error.to_string())
}

fn event(device: DeviceId) -> PhotoEvent {
    let photo = PhotoId::new_random();
    PhotoEvent {
        event_id: format!("{photo}:photo.rejected:0"),
        event_type: "photo.rejected".into(),
        photo_id: photo,
        device_id: device,
        thumb_url: None,
        image_url: None,
        reason_code: Some("corrupt".into()),
        reason: Some("The file is damaged.".into()),
        occurred_at: chrono::Utc::now(),
    }
}

#[tokio::test]
async fn only_the_notify_role_publishes_on_the_devices_namespace() {
    let iam = Arc::new(template_iam(&StandIns::default()));
    // Not consulted: IAM decides.
    let unused = PublisherKey {
        access_key_id: "UNUSED".into(),
        secret_access_key: "unused".into(),
        region: REGION.into(),
    };
    let (url, channels) = events_server(unused, Some(iam.clone())).await;
    let device = DeviceId::new_random();
    let channel = channels.channel_of(device);

    let notify = principal(&iam, "NotifyFunction");
    let as_notify = (notify, notify.credentials.secret_access_key.as_str());
    publish(&url, as_notify, &channel, device).await.unwrap();

    let api = principal(&iam, "ApiFunction");
    let as_api = (api, api.credentials.secret_access_key.as_str());
    let refused = publish(&url, as_api, &channel, device).await.unwrap_err();
    assert!(refused.contains("401"), "{refused}");
    assert!(
        refused.contains("is not authorized to perform: appsync:EventPublish"),
        "{refused}"
    );

    let forger = (notify, "not the secret");
    let forged = publish(&url, forger, &channel, device).await.unwrap_err();
    assert!(forged.contains("401"), "{forged}");

    // Another namespace: notify's grant is the devices namespace only.
    let elsewhere = publish(&url, as_notify, "/admin/all", device)
        .await
        .unwrap_err();
    assert!(elsewhere.contains("channelNamespace/admin"), "{elsewhere}");
}

/// `wisaw serve`'s default stays: with no authorizer plugged in, the publisher key alone.
#[tokio::test]
async fn without_iam_the_events_server_keeps_its_one_publisher_key() {
    let key = PublisherKey {
        access_key_id: "WISAWLOCALPUBLISHER".into(),
        secret_access_key: "the publisher's secret".into(),
        region: "local".into(),
    };
    let (url, channels) = events_server(key.clone(), None).await;
    let device = DeviceId::new_random();
    let credentials = Credentials::new(&key.access_key_id, &key.secret_access_key, None, None, "t");
    AppSyncEventsPublisher::new(&url, "local", SharedCredentialsProvider::new(credentials))
        .unwrap()
        .publish(&channels.channel_of(device), &event(device))
        .await
        .unwrap();
}
