//! The phone's event channel, over a real WebSocket client against the local stack's
//! AppSync Events endpoint: subscribe, upload, hear the outcome; only one's own device's
//! events; and the AWS publisher, signed with SigV4, accepted by the same endpoint.

use crate::support::images::{jpeg, two_tone};
use crate::support::{
    answer_to, assert_no_event, distinct_events, put_as_ticket_says, Store, TestStack,
};
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use std::time::Duration;
use wisaw::events::client::EventsConnection;
use wisaw_adapters::aws::AppSyncEventsPublisher;
use wisaw_domain::events::{DeviceChannels, PhotoEvent};
use wisaw_domain::ports::Notifier;
use wisaw_domain::{DeviceId, PhotoId};

on_every_store!(
    a_subscribed_phone_hears_its_photo_ready_with_links_that_download,
    a_subscribed_phone_hears_its_photo_rejected_with_the_reason,
    another_devices_channel_hears_nothing,
    two_hundred_subscribers_on_one_server_each_hear_their_own_event,
);

/// How long an event may take on this stack, tiny photo or not, however loaded the machine.
const WITHIN: Duration = Duration::from_secs(30);

/// The next event a connection hears, within [`WITHIN`].
async fn event_on(connection: &mut EventsConnection) -> serde_json::Value {
    connection
        .next_event_within(WITHIN)
        .await
        .unwrap()
        .expect("an event")
        .event
}

async fn a_subscribed_phone_hears_its_photo_ready_with_links_that_download(store: Store) {
    let stack = TestStack::start(store).await;
    let device = uuid::Uuid::new_v4();
    let (bytes, ticket) = stack.photo_ticket(device, (640, 480), (1.0, 2.0)).await;
    // The ticket names the channel, and it is the device's.
    let events = &ticket.events;
    assert_eq!(
        events.realtime_url,
        stack.stack().events.endpoints().realtime_url
    );
    assert!(
        events.realtime_url.starts_with("ws://"),
        "{}",
        events.realtime_url
    );
    let mut connection = EventsConnection::subscribed_to(
        events,
        wisaw_local::events::DEFAULT_API_KEY,
        "phone-1",
        &wisaw_local::tls::ClientTrust::public(),
    )
    .await
    .unwrap();

    put_as_ticket_says(&stack.client, &ticket, bytes).await;
    let received = connection.next_event_within(WITHIN).await.unwrap().unwrap();
    assert_eq!(received.subscription_id, "phone-1");
    let event: PhotoEvent = serde_json::from_value(received.event.clone()).unwrap();
    assert_eq!(event.event_type, "photo.ready");
    assert_eq!(event.photo_id, ticket.photo_id);
    assert_eq!(event.event_id, format!("{}:photo.ready:0", ticket.photo_id));
    for url in [event.thumb_url.unwrap(), event.image_url.unwrap()] {
        let image = stack.get_bytes(&url).await;
        assert_eq!(&image[..4], b"RIFF", "{url} is no WebP");
    }
    // The status agrees, and the outbox says the event went out.
    let id = ticket.photo_id.to_string();
    assert_eq!(stack.wait_final(&id).await.status.as_str(), "ready");
    // Marked sent just after the publish: the event can beat the mark to the phone.
    let deadline = tokio::time::Instant::now() + WITHIN;
    loop {
        let recorded = stack
            .stack()
            .metadata
            .photo_events(ticket.photo_id)
            .await
            .unwrap();
        if recorded[0].sent_at.is_some() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never marked sent: {recorded:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stack.finish().await;
}

async fn a_subscribed_phone_hears_its_photo_rejected_with_the_reason(store: Store) {
    let stack = TestStack::start(store).await;
    let device = uuid::Uuid::new_v4();
    let mut connection = stack.subscribed(device).await;
    let bytes = b"%PDF-1.7 a document, not a photo".to_vec();
    let ticket = stack
        .upload_from(device, &bytes, "image/jpeg", 1.0, 2.0)
        .await;
    let event = event_on(&mut connection).await;
    assert_eq!(event["eventType"], "photo.rejected");
    assert_eq!(event["photoId"], ticket.photo_id.to_string());
    assert_eq!(event["reasonCode"], "not_an_image");
    assert!(event["reason"].as_str().unwrap().len() > 10, "{event}");
    assert!(event.get("thumbUrl").is_none(), "{event}");
    stack.finish().await;
}

async fn another_devices_channel_hears_nothing(store: Store) {
    let stack = TestStack::start(store).await;
    let (owner, stranger) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let mut owners = stack.subscribed(owner).await;
    let mut strangers = stack.subscribed(stranger).await;
    let bytes = jpeg(&two_tone(64, 48));
    let ticket = stack
        .upload_from(owner, &bytes, "image/jpeg", 1.0, 2.0)
        .await;
    let event = event_on(&mut owners).await;
    assert_eq!(event["photoId"], ticket.photo_id.to_string());
    // The event went out; the stranger's channel got nothing of it.
    assert_no_event(&mut strangers, Duration::from_millis(500)).await;
    stack.finish().await;
}

async fn two_hundred_subscribers_on_one_server_each_hear_their_own_event(store: Store) {
    const PHONES: usize = 200;
    let stack = TestStack::start(store).await;
    let bytes = jpeg(&two_tone(32, 24));
    let mut phones = Vec::new();
    for _ in 0..PHONES {
        let device = uuid::Uuid::new_v4();
        phones.push((device, stack.subscribed(device).await));
    }
    assert_eq!(stack.stack().events.subscribed_connections(), PHONES);
    let mut photos = Vec::new();
    for (device, _) in &phones {
        let ticket = stack
            .upload_from(*device, &bytes, "image/jpeg", 1.0, 2.0)
            .await;
        photos.push(ticket.photo_id);
    }
    let heard = futures::future::join_all(phones.iter_mut().map(|(_, connection)| async {
        distinct_events(connection, 1, Duration::from_secs(120)).await
    }))
    .await;
    for (events, photo) in heard.iter().zip(&photos) {
        assert_eq!(events.len(), 1, "photo {photo} was never heard of");
        assert_eq!(events[0]["photoId"], photo.to_string());
    }
    // And nobody heard a second one (another device's).
    for (_, connection) in phones.iter_mut().take(20) {
        assert_no_event(connection, Duration::from_millis(50)).await;
    }
    stack.finish().await;
}

fn event_for(photo: PhotoId, device: DeviceId) -> PhotoEvent {
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

/// The stack's one publisher key, signing as notify's role does.
fn the_publisher(stack: &TestStack) -> AppSyncEventsPublisher {
    let key = &stack.stack().events.settings().publisher;
    publisher(stack, &key.secret_access_key)
}

fn publisher(stack: &TestStack, secret: &str) -> AppSyncEventsPublisher {
    let key = &stack.stack().events.settings().publisher;
    let credentials = Credentials::new(&key.access_key_id, secret, None, None, "test");
    AppSyncEventsPublisher::new(
        &stack.stack().events.endpoints().http_url,
        &key.region,
        SharedCredentialsProvider::new(credentials),
    )
    .unwrap()
}

/// A new device's phone, subscribed to its channel; and the channel.
async fn a_listening_phone(stack: &TestStack) -> (DeviceId, EventsConnection, String) {
    let device = uuid::Uuid::new_v4();
    let phone = stack.subscribed(device).await;
    let channel = stack.stack().channels.channel_of(DeviceId(device));
    (DeviceId(device), phone, channel)
}

#[tokio::test]
async fn the_aws_publisher_signed_with_sigv4_is_accepted_and_a_forgery_is_not() {
    let stack = TestStack::start(Store::Sqlite).await;
    let (device, mut phone, channel) = a_listening_phone(&stack).await;
    let event = event_for(PhotoId::new_random(), device);

    the_publisher(&stack)
        .publish(&channel, &event)
        .await
        .unwrap();
    let received = phone.next_event_within(WITHIN).await.unwrap().unwrap();
    assert_eq!(received.event, serde_json::to_value(&event).unwrap());

    // Signed with another secret: refused, and nothing reaches the phone.
    let forged = publisher(&stack, "not-the-secret")
        .publish(&channel, &event)
        .await
        .unwrap_err();
    assert!(forged.to_string().contains("401"), "{forged}");
    // A channel this server never issued: refused too.
    let elsewhere = DeviceChannels::derived_from(b"another server").channel_of(device);
    let refused = the_publisher(&stack)
        .publish(&elsewhere, &event)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("400"), "{refused}");
    assert_no_event(&mut phone, Duration::from_millis(300)).await;

    // Unsigned: refused with AppSync's error shape.
    let answer = stack
        .client
        .post(&stack.stack().events.endpoints().http_url)
        .json(&serde_json::json!({"channel": channel, "events": ["{}"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 401);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["errors"][0]["errorType"], "UnauthorizedException");
    stack.finish().await;
}

#[tokio::test]
async fn events_on_a_channel_arrive_in_the_order_they_were_published() {
    let stack = TestStack::start(Store::Sqlite).await;
    let (device, mut phone, channel) = a_listening_phone(&stack).await;
    let first = event_for(PhotoId::new_random(), device);
    let second = event_for(PhotoId::new_random(), device);
    let publisher = the_publisher(&stack);
    publisher.publish(&channel, &first).await.unwrap();
    publisher.publish(&channel, &second).await.unwrap();
    let events = distinct_events(&mut phone, 2, WITHIN).await;
    assert_eq!(events[0]["eventId"], first.event_id.as_str());
    assert_eq!(events[1]["eventId"], second.event_id.as_str());
    stack.finish().await;
}

/// `wisaw upload`, the phone's side: subscribed before the PUT it reports the event; with
/// a channel that refuses it, or `--no-events`, it polls the status instead.
#[tokio::test]
async fn wisaw_upload_hears_the_event_and_falls_back_to_polling() {
    use wisaw::commands::upload::{upload, UploadOptions};
    let stack = TestStack::start(Store::Sqlite).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), jpeg(&two_tone(64, 48))).unwrap();
    let options = |events_api_key: Option<&str>| UploadOptions {
        api_url: stack.base_url.clone(),
        lat: 1.0,
        lon: 2.0,
        device_id: uuid::Uuid::new_v4(),
        wait: Duration::from_secs(60),
        progress: false,
        events_api_key: events_api_key.map(str::to_string),
        trust: wisaw_local::tls::ClientTrust::public(),
    };

    let heard = upload(
        file.path(),
        &options(Some(wisaw_local::events::DEFAULT_API_KEY)),
    )
    .await
    .unwrap();
    assert_eq!(heard.status.status.as_str(), "ready");
    let (event, after) = heard.event.expect("the event arrived on the channel");
    assert_eq!(event["eventType"], "photo.ready");
    assert_eq!(event["photoId"], heard.status.photo_id.to_string());
    assert!(after < Duration::from_secs(60), "{after:?}");

    for fallback in [Some("da2-not-the-key"), None] {
        let polled = upload(file.path(), &options(fallback)).await.unwrap();
        assert_eq!(polled.status.status.as_str(), "ready", "{fallback:?}");
        assert!(polled.event.is_none(), "{fallback:?}");
    }
    stack.finish().await;
}

#[tokio::test]
async fn after_unsubscribe_success_nothing_more_arrives() {
    use wisaw_local::events::protocol::{ClientMessage, ServerMessage};
    let stack = TestStack::start(Store::Sqlite).await;
    let (device, mut phone, channel) = a_listening_phone(&stack).await;
    let publisher = the_publisher(&stack);
    let before = event_for(PhotoId::new_random(), device);
    publisher.publish(&channel, &before).await.unwrap();
    let heard = phone.next_event_within(WITHIN).await.unwrap().unwrap();
    assert_eq!(heard.event["eventId"], before.event_id.as_str());

    let unsubscribe = ClientMessage::Unsubscribe { id: "s1".into() };
    assert_eq!(
        answer_to(&mut phone, &unsubscribe).await,
        ServerMessage::UnsubscribeSuccess { id: "s1".into() }
    );
    let after = event_for(PhotoId::new_random(), device);
    publisher.publish(&channel, &after).await.unwrap();
    assert_no_event(&mut phone, Duration::from_millis(300)).await;
    assert_eq!(stack.stack().events.subscribed_connections(), 0);
    stack.finish().await;
}
