//! `wisaw serve --tls` as a phone, `wisaw upload` and an operator's browser meet it:
//! every URL handed out is `https`/`wss`, the event channel works over WSS, the close
//! handshake goes both ways, and the Events endpoint refuses in AWS's shape.

use crate::console::browser::Browser;
use crate::support::{
    images::{jpeg, two_tone},
    Store, TestStack, SF,
};
use futures::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wisaw_domain::PhotoStatus;
use wisaw_local::events::refusal::ERROR_TYPE_HEADER;
use wisaw_local::events::DEFAULT_API_KEY;

const WITHIN: Duration = Duration::from_secs(60);

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[tokio::test]
async fn over_tls_every_url_is_https_and_a_phone_hears_its_photo_on_wss() {
    let stack = TestStack::start_tls(Store::Sqlite).await;
    assert!(stack.base_url.starts_with("https://"), "{}", stack.base_url);
    let device = uuid::Uuid::new_v4();
    let bytes = jpeg(&two_tone(320, 240));
    let ticket = crate::support::ask_ticket(
        &stack.client,
        &stack.base_url,
        device,
        "image/jpeg",
        bytes.len(),
        SF.0,
        SF.1,
    )
    .await;
    let upload = ticket.upload.as_ref().unwrap();
    assert!(upload.url.starts_with("https://"), "{}", upload.url);
    assert!(
        ticket.events.realtime_url.starts_with("wss://"),
        "{:?}",
        ticket.events
    );
    assert!(
        ticket.events.http_url.starts_with("https://"),
        "{:?}",
        ticket.events
    );

    let mut phone = stack.subscribed(device).await;
    crate::support::put_as_ticket_says(&stack.client, &ticket, bytes).await;
    let event = phone
        .next_event_within(WITHIN)
        .await
        .unwrap()
        .unwrap()
        .event;
    assert_eq!(event["eventType"], "photo.ready", "{event}");
    for link in ["thumbUrl", "imageUrl"] {
        let url = event[link].as_str().unwrap();
        assert!(url.starts_with("https://"), "{link}: {url}");
        let image = stack.client.get(url).send().await.unwrap();
        assert_eq!(image.status(), 200, "{link}");
    }
    let closed = phone.close().await.expect("the server's Close frame");
    assert_eq!(u16::from(closed.code), 1000, "{closed:?}");
    stack.finish().await;
}

/// RFC 6455 §5.5.1: a client's Close is answered with a Close of the same code, over `ws`
/// and over `wss`, before the TCP connection ends.
#[tokio::test]
async fn a_clients_close_frame_is_answered_with_the_same_code() {
    for stack in [
        TestStack::start(Store::Sqlite).await,
        TestStack::start_tls(Store::Sqlite).await,
    ] {
        let connection = stack.events().await;
        let answer = connection.close().await;
        let answer = answer.unwrap_or_else(|| panic!("{}: no Close frame", stack.base_url));
        assert_eq!(u16::from(answer.code), 1000, "{}", stack.base_url);
        // Another code (an application's own, 4000-4999) comes back as it was sent.
        let mut socket = raw_socket(&stack).await;
        let going = CloseFrame {
            code: CloseCode::from(4001),
            reason: "the app is going to the background".into(),
        };
        socket.close(Some(going)).await.unwrap();
        let echoed = next_close(&mut socket).await;
        assert_eq!(u16::from(echoed.code), 4001, "{}", stack.base_url);
        // Then the server ends the TCP connection.
        let end = tokio::time::timeout(WITHIN, socket.next()).await.unwrap();
        assert!(end.is_none_or(|end| end.is_err()), "{}", stack.base_url);
        stack.finish().await;
    }
}

/// The next Close frame on `socket`, skipping messages before it.
async fn next_close(socket: &mut Socket) -> CloseFrame {
    loop {
        match tokio::time::timeout(WITHIN, socket.next()).await.unwrap() {
            Some(Ok(Message::Close(frame))) => return frame.expect("a code and a reason"),
            Some(Ok(_)) => continue,
            other => panic!("the connection ended without a Close frame: {other:?}"),
        }
    }
}

/// A WebSocket to the stack's real-time endpoint with the app's authorization, before
/// `connection_init`.
async fn raw_socket(stack: &TestStack) -> Socket {
    let endpoints = stack.stack().events.endpoints().clone();
    let host = wisaw_local::events::protocol::http_host(&endpoints.http_url).unwrap();
    let authorization =
        wisaw_local::events::protocol::api_key_authorization(&host, DEFAULT_API_KEY);
    wisaw::events::client::open(
        &endpoints.realtime_url,
        Some(&authorization),
        &stack.trust(),
    )
    .await
    .unwrap()
}

/// A close the server starts carries a code and a reason: a missing `connection_init`,
/// and going away at shutdown.
#[tokio::test]
async fn a_close_the_server_starts_sends_a_code_and_a_reason() {
    let stack = TestStack::start_tls(Store::Sqlite).await;
    let mut socket = raw_socket(&stack).await;
    // No connection_init: the server closes with a policy violation, and says why.
    let close = next_close(&mut socket).await;
    assert_eq!(u16::from(close.code), 1008, "{close:?}");
    assert!(!close.reason.is_empty(), "{close:?}");

    // At shutdown, every connection hears that the server goes away.
    let mut socket = raw_socket(&stack).await;
    socket
        .send(Message::Text(r#"{"type":"connection_init"}"#.into()))
        .await
        .unwrap();
    let finishing = tokio::spawn(async move { next_close(&mut socket).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    stack.finish().await;
    let close = finishing.await.unwrap();
    assert_eq!(u16::from(close.code), 1001, "{close:?}");
    assert!(!close.reason.is_empty(), "{close:?}");
}

/// The server's own close waits a moment for the client's answer and no longer: a client
/// that answers is let go at once, one that never answers is dropped after the moment.
#[tokio::test]
async fn the_servers_close_waits_a_moment_for_the_clients_answer() {
    let stack = TestStack::start(Store::Sqlite).await;
    for answers in [true, false] {
        let mut socket = raw_socket(&stack).await;
        // A malformed first frame: `connection_error`, then a Close (1002).
        socket.send(Message::Text("not json".into())).await.unwrap();
        let close = next_close(&mut socket).await;
        assert_eq!(u16::from(close.code), 1002, "{close:?}");
        let since = tokio::time::Instant::now();
        if answers {
            // Reading on sends the queued answer; the server then ends the connection.
            let end = tokio::time::timeout(WITHIN, socket.next()).await.unwrap();
            assert!(end.as_ref().is_none_or(|end| end.is_err()), "{end:?}");
            assert!(
                since.elapsed() < Duration::from_secs(1),
                "{:?}",
                since.elapsed()
            );
        } else {
            // Watch the TCP connection without reading the WebSocket, which would answer.
            let MaybeTlsStream::Plain(tcp) = socket.get_ref() else {
                panic!("a plain connection");
            };
            let ended = tokio::time::timeout(WITHIN, tcp.peek(&mut [0u8; 1])).await;
            assert_eq!(
                ended.unwrap().unwrap(),
                0,
                "the server ended the connection"
            );
            let waited = since.elapsed();
            assert!(waited >= Duration::from_millis(1500), "{waited:?}");
            assert!(waited < Duration::from_secs(5), "{waited:?}");
        }
    }
    stack.finish().await;
}

/// The Events endpoint refuses as AWS services do: the type in `x-amzn-ErrorType` and as
/// `__type` beside `message`, where the AWS SDKs and Amplify read it.
#[tokio::test]
async fn refusals_of_the_events_endpoint_name_their_type_as_aws_does() {
    let stack = TestStack::start_tls(Store::Sqlite).await;
    let endpoints = stack.stack().events.endpoints().clone();
    let channel = stack
        .stack()
        .channels
        .channel_of(wisaw_domain::DeviceId::new_random());
    // A publish with the app's API key, as Amplify's `events.post` sends it.
    let publish = stack
        .client
        .post(&endpoints.http_url)
        .header("x-api-key", DEFAULT_API_KEY)
        .json(&serde_json::json!({ "channel": channel, "events": ["{\"a\":1}"] }))
        .send()
        .await
        .unwrap();
    assert_refused(publish, 401, "UnauthorizedException").await;
    // A plain GET where the WebSocket handshake belongs, and a handshake without the
    // protocol's subprotocol.
    let realtime = endpoints.http_url.clone() + "/realtime";
    let not_a_handshake = stack.client.get(&realtime).send().await.unwrap();
    assert_refused(not_a_handshake, 400, "BadRequestException").await;
    stack.finish().await;
}

async fn assert_refused(response: reqwest::Response, status: u16, error_type: &str) {
    assert_eq!(response.status(), status);
    let header = response.headers().get(ERROR_TYPE_HEADER).cloned();
    assert_eq!(
        header.as_ref().and_then(|h| h.to_str().ok()),
        Some(error_type)
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["__type"], error_type, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(body["errors"][0]["errorType"], error_type, "{body}");
}

/// `wisaw upload` trusts the server's authority (given its `ca.pem`), never the
/// absence of a check: without it, the server's certificate is refused.
#[tokio::test]
async fn wisaw_upload_reaches_a_tls_server_trusting_its_authority_only() {
    use wisaw::commands::upload::{trust, upload, UploadOptions};
    let stack = TestStack::start_tls(Store::Sqlite).await;
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), jpeg(&two_tone(64, 48))).unwrap();
    let ca = stack.stack().tls.as_ref().unwrap().ca_path.clone().unwrap();
    let options = |trust| UploadOptions {
        api_url: stack.base_url.clone(),
        lat: 1.0,
        lon: 2.0,
        device_id: uuid::Uuid::new_v4(),
        wait: WITHIN,
        progress: false,
        events_api_key: Some(DEFAULT_API_KEY.into()),
        trust,
    };
    let heard = upload(file.path(), &options(trust(Some(&ca)).unwrap()))
        .await
        .unwrap();
    assert_eq!(heard.status.status, PhotoStatus::Ready);
    let (event, _) = heard.event.expect("the event arrived over wss");
    assert_eq!(event["eventType"], "photo.ready");

    let untrusted = upload(
        file.path(),
        &options(wisaw_local::tls::ClientTrust::public()),
    )
    .await
    .unwrap_err();
    assert!(
        format!("{untrusted:?}").contains("UnknownIssuer"),
        "{untrusted:?}"
    );
    stack.finish().await;
}

/// The operator's console over HTTPS, in a browser that trusts the local authority the
/// way a developer's does: the page and the photo's images load.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_works_over_https_in_a_browser_trusting_the_local_authority() {
    let stack = TestStack::start_tls(Store::Sqlite).await;
    let ca = stack.stack().tls.as_ref().unwrap().ca_path.clone().unwrap();
    let Some(browser) = Browser::start_trusting(Some(&ca)).await else {
        return;
    };
    let ready = stack
        .upload(&jpeg(&two_tone(640, 480)), "image/jpeg", SF.0, SF.1)
        .await;
    assert_eq!(stack.wait_final(&ready).await.status, PhotoStatus::Ready);
    browser
        .goto(&format!("{}/console/photos/{ready}", stack.base_url))
        .await;
    assert!(browser.text("#status").await.contains("ready"));
    let loaded = browser
        .client
        .execute(
            "const img = document.querySelector('figure[data-blob=thumb] img'); \
             return img.complete && img.naturalWidth > 0;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        loaded,
        serde_json::Value::Bool(true),
        "the thumbnail loaded over https"
    );
    browser.close().await;
    stack.finish().await;
}
