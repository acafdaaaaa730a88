//! A phone's side of the AppSync Events real-time protocol: connect with the app's API
//! key, subscribe to the device's channel, read its events. `wisaw upload` and the
//! tests use it against `wisaw serve`; it speaks to AppSync Events the same way.

use anyhow::{anyhow, bail, Context, Result};
use futures::{SinkExt, StreamExt};
use std::collections::BTreeMap;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use wisaw_api::tickets::EventChannel;
use wisaw_local::events::protocol::{
    api_key_authorization, auth_subprotocol, http_host, ClientMessage, ProtocolError,
    ServerMessage, SUBPROTOCOL,
};
use wisaw_local::tls::ClientTrust;

/// One connection to the real-time endpoint, after `connection_ack`.
pub struct EventsConnection {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    authorization: BTreeMap<String, String>,
}

/// An event received on a subscription.
#[derive(Clone, Debug, PartialEq)]
pub struct ReceivedEvent {
    pub subscription_id: String,
    pub event: serde_json::Value,
}

impl EventsConnection {
    /// Opens the WebSocket with the subprotocols of AppSync Events, sends
    /// `connection_init` and waits for `connection_ack`.
    pub async fn connect(
        realtime_url: &str,
        http_url: &str,
        api_key: &str,
        trust: &ClientTrust,
    ) -> Result<Self> {
        let authorization = api_key_authorization(&http_host(http_url)?, api_key);
        Self::connect_with(realtime_url, authorization, trust).await
    }

    /// As [`Self::connect`], with any authorization (the tests' forged ones).
    pub async fn connect_with(
        realtime_url: &str,
        authorization: BTreeMap<String, String>,
        trust: &ClientTrust,
    ) -> Result<Self> {
        let mut socket = open(realtime_url, Some(&authorization), trust).await?;
        send(&mut socket, &ClientMessage::ConnectionInit).await?;
        match next_message(&mut socket).await? {
            Some(ServerMessage::ConnectionAck { .. }) => Ok(Self {
                socket,
                authorization,
            }),
            Some(ServerMessage::ConnectionError { errors }) => Err(refused(&errors)),
            other => bail!("expected connection_ack, got {other:?}"),
        }
    }

    /// Connects to the channel a ticket names (a device's) and subscribes to it under `id`.
    pub async fn subscribed_to(
        channel: &EventChannel,
        api_key: &str,
        id: &str,
        trust: &ClientTrust,
    ) -> Result<Self> {
        let mut connection =
            Self::connect(&channel.realtime_url, &channel.http_url, api_key, trust).await?;
        connection.subscribe(id, &channel.channel).await?;
        Ok(connection)
    }

    /// Subscribes under `id`; waits for `subscribe_success`.
    pub async fn subscribe(&mut self, id: &str, channel: &str) -> Result<()> {
        let message = ClientMessage::Subscribe {
            id: id.to_string(),
            channel: channel.to_string(),
            authorization: self
                .authorization
                .iter()
                .filter(|(name, _)| *name == "x-api-key")
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
        };
        self.send(&message).await?;
        loop {
            match self.next().await? {
                Some(ServerMessage::SubscribeSuccess { id: answered }) if answered == id => {
                    return Ok(())
                }
                Some(ServerMessage::SubscribeError { errors, .. }) => return Err(refused(&errors)),
                Some(ServerMessage::Ka | ServerMessage::Data { .. }) => continue,
                other => bail!("expected subscribe_success, got {other:?}"),
            }
        }
    }

    /// The next event, skipping keep-alives; `None` when the server closed the connection.
    pub async fn next_event(&mut self) -> Result<Option<ReceivedEvent>> {
        loop {
            match self.next().await? {
                None => return Ok(None),
                Some(ServerMessage::Ka) => continue,
                Some(ServerMessage::Data { id, event }) => {
                    let event = serde_json::from_str(&event)
                        .with_context(|| format!("the event {event:?} is not JSON"))?;
                    return Ok(Some(ReceivedEvent {
                        subscription_id: id,
                        event,
                    }));
                }
                Some(other) => bail!("expected an event, got {other:?}"),
            }
        }
    }

    /// As [`Self::next_event`], giving up after `wait`.
    pub async fn next_event_within(&mut self, wait: Duration) -> Result<Option<ReceivedEvent>> {
        tokio::time::timeout(wait, self.next_event())
            .await
            .map_err(|_| anyhow!("no event within {wait:?}"))?
    }

    /// Events until `wanted` distinct `eventId`s have arrived, or `wait` has passed, in
    /// the order they first arrived: a repeat (an event is published at least once) is
    /// dropped, as a phone drops it.
    pub async fn distinct_events(
        &mut self,
        wanted: usize,
        wait: Duration,
    ) -> Result<Vec<serde_json::Value>> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut seen = std::collections::BTreeSet::new();
        let mut events = Vec::new();
        while events.len() < wanted {
            let Ok(next) = tokio::time::timeout_at(deadline, self.next_event()).await else {
                break;
            };
            let received = next?.context("the server closed the event channel")?;
            let id = received.event["eventId"]
                .as_str()
                .with_context(|| format!("an event without an eventId: {}", received.event))?
                .to_string();
            if seen.insert(id) {
                events.push(received.event);
            }
        }
        Ok(events)
    }

    pub async fn send(&mut self, message: &ClientMessage) -> Result<()> {
        send(&mut self.socket, message).await
    }

    /// Sends a raw text frame (the tests' malformed ones).
    pub async fn send_text(&mut self, text: String) -> Result<()> {
        self.socket
            .send(Message::Text(text.into()))
            .await
            .context("sending a frame")
    }

    /// The next message of the protocol, `None` once the connection closed.
    pub async fn next(&mut self) -> Result<Option<ServerMessage>> {
        next_message(&mut self.socket).await
    }

    /// Closes as RFC 6455 §5.5.1 says: a Close frame (1000, normal), then the server's
    /// answer, which this returns (`None` when none came within a few seconds).
    pub async fn close(mut self) -> Option<CloseFrame> {
        let normal = CloseFrame {
            code: CloseCode::Normal,
            reason: "done".into(),
        };
        self.socket.close(Some(normal)).await.ok()?;
        let answer = async {
            loop {
                match self.socket.next().await? {
                    Ok(Message::Close(frame)) => return frame,
                    Ok(_) => continue,
                    Err(_) => return None,
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(5), answer)
            .await
            .ok()
            .flatten()
    }
}

/// Opens the WebSocket with the protocol's subprotocols (and, when given, the
/// authorization's); no message is sent yet.
pub async fn open(
    realtime_url: &str,
    authorization: Option<&BTreeMap<String, String>>,
    trust: &ClientTrust,
) -> Result<WebSocketStream<MaybeTlsStream<TcpStream>>> {
    let mut request = realtime_url
        .into_client_request()
        .with_context(|| format!("the real-time URL {realtime_url:?}"))?;
    let mut protocols = vec![SUBPROTOCOL.to_string()];
    if let Some(authorization) = authorization {
        protocols.push(auth_subprotocol(authorization));
    }
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_str(&protocols.join(", ")).context("the subprotocols")?,
    );
    let connector = Some(trust.websocket_connector());
    let (socket, _) =
        tokio_tungstenite::connect_async_tls_with_config(request, None, false, connector)
            .await
            .with_context(|| format!("connecting to {realtime_url}"))?;
    Ok(socket)
}

async fn send(
    socket: &mut WebSocketStream<MaybeTlsStream<TcpStream>>,
    message: &ClientMessage,
) -> Result<()> {
    let text = serde_json::to_string(message).context("a client message")?;
    socket
        .send(Message::Text(text.into()))
        .await
        .context("sending a message")
}

/// The next protocol message; `None` when the connection is closed.
pub async fn next_message(
    socket: &mut WebSocketStream<MaybeTlsStream<TcpStream>>,
) -> Result<Option<ServerMessage>> {
    loop {
        match socket.next().await {
            None => return Ok(None),
            Some(Ok(Message::Close(_))) => {
                // The socket queued the echo of the server's Close (RFC 6455 §5.5.1);
                // flushing sends it.
                let _ = socket.flush().await;
                return Ok(None);
            }
            Some(Err(error)) => return Err(error).context("reading from the connection"),
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str())
                    .map(Some)
                    .with_context(|| format!("not a message of the protocol: {text}"))
            }
            Some(Ok(_)) => continue,
        }
    }
}

fn refused(errors: &[ProtocolError]) -> anyhow::Error {
    let described: Vec<String> = errors
        .iter()
        .map(|e| format!("{}: {}", e.error_type, e.message))
        .collect();
    anyhow!("refused: {}", described.join("; "))
}
