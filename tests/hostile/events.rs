//! Hostile clients of the event channel: made-up, malformed and foreign channels, bad
//! connection authorizations, junk and oversized frames. Each gets the protocol's error
//! message, and the server goes on serving everyone else.

use crate::support::{answer_to, Store, TestStack};
use serde_json::json;
use std::collections::BTreeMap;
use wisaw::events::client::{next_message, open, EventsConnection};
use wisaw_domain::events::DeviceChannels;
use wisaw_domain::DeviceId;
use wisaw_local::events::protocol::http_host;
use wisaw_local::events::protocol::{api_key_authorization, ClientMessage, ServerMessage};
use wisaw_local::events::DEFAULT_API_KEY;
use wisaw_local::tls::ClientTrust;

fn authorization(stack: &TestStack, api_key: &str) -> BTreeMap<String, String> {
    let host = http_host(&stack.stack().events.endpoints().http_url).unwrap();
    api_key_authorization(&host, api_key)
}

fn realtime_url(stack: &TestStack) -> String {
    stack.stack().events.endpoints().realtime_url.clone()
}

/// The error type of a refusal message.
fn error_type(message: &ServerMessage) -> &str {
    match message {
        ServerMessage::ConnectionError { errors }
        | ServerMessage::SubscribeError { errors, .. }
        | ServerMessage::UnsubscribeError { errors, .. }
        | ServerMessage::PublishError { errors, .. }
        | ServerMessage::Error { errors, .. } => &errors[0].error_type,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Opens a connection with `auth`, sends `frame` first, and expects a `connection_error`
/// of `expected` followed by the close.
async fn first_frame_is_refused(
    url: &str,
    auth: Option<&BTreeMap<String, String>>,
    frame: String,
    expected: &str,
    case: &str,
) {
    let mut socket = open(url, auth, &ClientTrust::public()).await.unwrap();
    futures::SinkExt::send(&mut socket, frame.into())
        .await
        .unwrap();
    let answer = next_message(&mut socket).await.unwrap().expect("an answer");
    assert!(
        matches!(answer, ServerMessage::ConnectionError { .. }),
        "{case}: {answer:?}"
    );
    assert_eq!(error_type(&answer), expected, "{case}");
    assert_eq!(
        next_message(&mut socket).await.unwrap(),
        None,
        "{case}: closed"
    );
}

async fn subscribe_answer(
    connection: &mut EventsConnection,
    id: &str,
    channel: &str,
) -> ServerMessage {
    let subscribe = ClientMessage::Subscribe {
        id: id.into(),
        channel: channel.into(),
        authorization: BTreeMap::from([("x-api-key".into(), DEFAULT_API_KEY.into())]),
    };
    answer_to(connection, &subscribe).await
}

#[tokio::test]
async fn made_up_malformed_and_foreign_channels_are_refused() {
    let stack = TestStack::start(Store::Sqlite).await;
    let mut connection = stack.events().await;
    let genuine = stack.stack().channels.channel_of(DeviceId::new_random());
    let foreign =
        DeviceChannels::derived_from(b"another server").channel_of(DeviceId::new_random());
    let cases = [
        (
            "malformed",
            "/devices/not-a-token".to_string(),
            "BadRequestException",
        ),
        ("wildcard", "/devices/*".to_string(), "BadRequestException"),
        (
            "namespace",
            format!("/default/{}", &genuine["/devices/".len()..]),
            "BadRequestException",
        ),
        (
            "device-id",
            format!("/devices/{}", uuid::Uuid::new_v4()),
            "BadRequestException",
        ),
        (
            "unknown",
            format!("/devices/{}", "ab".repeat(24)),
            "UnauthorizedException",
        ),
        ("forged", foreign, "UnauthorizedException"),
        ("empty", String::new(), "BadRequestException"),
        (
            "huge",
            format!("/devices/{}", "a".repeat(10_000)),
            "BadRequestException",
        ),
    ];
    for (id, channel, expected) in &cases {
        let answer = subscribe_answer(&mut connection, id, channel).await;
        assert!(
            matches!(&answer, ServerMessage::SubscribeError { id: answered, .. } if answered == id),
            "{id}: {answer:?}"
        );
        assert_eq!(error_type(&answer), *expected, "{id}: {answer:?}");
    }
    // A subscription with another key, or none, is refused whatever the channel.
    let wrong_key = ClientMessage::Subscribe {
        id: "wrong-key".into(),
        channel: genuine.clone(),
        authorization: BTreeMap::from([("x-api-key".into(), "da2-guessed".into())]),
    };
    let answer = answer_to(&mut connection, &wrong_key).await;
    assert_eq!(error_type(&answer), "UnauthorizedException", "{answer:?}");
    // The same connection still subscribes to a genuine channel.
    connection.subscribe("good", &genuine).await.unwrap();
    stack.finish().await;
}

#[tokio::test]
async fn bad_connection_authorizations_get_a_connection_error() {
    let stack = TestStack::start(Store::Sqlite).await;
    let url = realtime_url(&stack);
    let mut wrong_host = authorization(&stack, DEFAULT_API_KEY);
    wrong_host.insert("host".into(), "elsewhere.example.com".into());
    for (case, auth) in [
        ("wrong key", Some(authorization(&stack, "da2-guessed"))),
        (
            "no key",
            Some(BTreeMap::from([("host".into(), "x".into())])),
        ),
        ("wrong host", Some(wrong_host)),
        ("no authorization", None),
    ] {
        let init = serde_json::to_string(&ClientMessage::ConnectionInit).unwrap();
        first_frame_is_refused(&url, auth.as_ref(), init, "UnauthorizedException", case).await;
    }
    // Without the protocol's subprotocol the handshake itself is refused.
    let error = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap_err();
    match error {
        tokio_tungstenite::tungstenite::Error::Http(response) => {
            assert_eq!(response.status().as_u16(), 400)
        }
        other => panic!("expected an HTTP refusal, got {other}"),
    }
    stack.finish().await;
}

#[tokio::test]
async fn a_bad_connection_init_is_a_connection_error_and_a_close() {
    let stack = TestStack::start(Store::Sqlite).await;
    let url = realtime_url(&stack);
    let auth = authorization(&stack, DEFAULT_API_KEY);
    let subscribe_first = serde_json::to_string(&ClientMessage::Subscribe {
        id: "s".into(),
        channel: "/devices/x".into(),
        authorization: BTreeMap::new(),
    })
    .unwrap();
    for (case, frame) in [
        ("not JSON", "connection_init".to_string()),
        ("no type", json!({"hello": 1}).to_string()),
        (
            "unknown type",
            json!({"type": "connection_start"}).to_string(),
        ),
        ("type not a string", json!({"type": 7}).to_string()),
        ("subscribe before init", subscribe_first.clone()),
    ] {
        first_frame_is_refused(&url, Some(&auth), frame, "BadRequestException", case).await;
    }
    stack.finish().await;
}

#[tokio::test]
async fn junk_after_init_is_an_error_and_the_connection_carries_on() {
    let stack = TestStack::start(Store::Sqlite).await;
    let mut connection = stack.events().await;
    let genuine = stack.stack().channels.channel_of(DeviceId::new_random());

    connection.send_text("{not json".into()).await.unwrap();
    let answer = connection.next().await.unwrap().unwrap();
    assert!(matches!(answer, ServerMessage::Error { .. }), "{answer:?}");
    assert_eq!(error_type(&answer), "BadRequestException");

    let answer = answer_to(
        &mut connection,
        &ClientMessage::Unsubscribe { id: "never".into() },
    )
    .await;
    assert!(
        matches!(answer, ServerMessage::UnsubscribeError { .. }),
        "{answer:?}"
    );
    assert_eq!(error_type(&answer), "UnknownOperationError");

    // Nobody but the backend publishes on a device channel.
    let answer = answer_to(
        &mut connection,
        &ClientMessage::Publish {
            id: "p1".into(),
            channel: genuine.clone(),
            events: vec![json!({"type": "photo.ready"}).to_string()],
            authorization: BTreeMap::from([("x-api-key".into(), DEFAULT_API_KEY.into())]),
        },
    )
    .await;
    assert!(
        matches!(answer, ServerMessage::PublishError { .. }),
        "{answer:?}"
    );
    assert_eq!(error_type(&answer), "UnauthorizedException");

    // Ids: a bad one, and one used twice.
    let answer = subscribe_answer(&mut connection, "a b", &genuine).await;
    assert_eq!(error_type(&answer), "BadRequestException", "{answer:?}");
    connection.subscribe("twice", &genuine).await.unwrap();
    let answer = subscribe_answer(&mut connection, "twice", &genuine).await;
    assert!(
        matches!(answer, ServerMessage::SubscribeError { .. }),
        "{answer:?}"
    );

    let unsubscribe = ClientMessage::Unsubscribe { id: "twice".into() };
    assert_eq!(
        answer_to(&mut connection, &unsubscribe).await,
        ServerMessage::UnsubscribeSuccess { id: "twice".into() }
    );
    stack.finish().await;
}

#[tokio::test]
async fn oversized_frames_are_refused_and_the_server_serves_on() {
    let stack = TestStack::start(Store::Sqlite).await;
    // Over the protocol's limit but readable: an error, then a close.
    for size in [300 * 1024, 4 * 1024 * 1024] {
        let mut connection = stack.events().await;
        let frame = json!({"type": "subscribe", "id": "big", "channel": "x".repeat(size)});
        // The largest frame may be cut off by the server mid-send.
        let _ = connection.send_text(frame.to_string()).await;
        let answer = connection.next().await;
        match answer {
            Ok(Some(message)) => {
                assert_eq!(error_type(&message), "LimitExceededException", "{size}");
                assert!(
                    matches!(connection.next().await, Ok(None) | Err(_)),
                    "{size}: closed"
                );
            }
            // Past the socket's own bound the server may close before the client reads.
            Ok(None) | Err(_) => assert!(size > 1024 * 1024, "{size}: no error message"),
        }
    }
    // Everyone else is served as before.
    let device = uuid::Uuid::new_v4();
    let _subscribed = stack.subscribed(device).await;
    assert_eq!(stack.stack().events.subscribed_connections(), 1);
    stack.finish().await;
}
