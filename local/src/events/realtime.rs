//! `GET /event/realtime`: one WebSocket connection of the AppSync Events protocol.
//!
//! Every refusal is a message of the protocol (`connection_error`, `subscribe_error`,
//! `unsubscribe_error`, `publish_error`, `error`), then, where the connection cannot go
//! on, a close frame. A frame is read only up to a bound, a connection holds a bounded
//! number of subscriptions and a bounded backlog, and a connection that never sends
//! `connection_init` is closed: no client can make it panic, hang or grow.

use super::broker::{Delivery, Inbox};
use super::refusal::refused;
use super::LocalEvents;
use crate::events::protocol::{
    error_type, parse_auth_subprotocol, valid_subscription_id, ClientMessage, ProtocolError,
    ServerMessage, CONNECTION_TIMEOUT_MS, MAX_EVENT_BYTES, SUBPROTOCOL,
};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::mpsc;
use wisaw_domain::events::ChannelRefusal;

/// The largest frame read at all: past it the socket itself fails. Frames between
/// [`MAX_EVENT_BYTES`] and this are read, refused with a protocol error, and the
/// connection closed.
const MAX_FRAME_BYTES: usize = 1024 * 1024;

/// How long one frame may take to reach a client.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub async fn upgrade(
    State(events): State<Arc<LocalEvents>>,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => {
            return refused(
                rejection.status(),
                error_type::BAD_REQUEST,
                format!("not a WebSocket handshake: {}", rejection.body_text()),
            )
        }
    };
    let offered: Vec<&str> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    let Ok(slot) = events.connection_slots.clone().try_acquire_owned() else {
        let mut refusal = refused(
            StatusCode::SERVICE_UNAVAILABLE,
            error_type::LIMIT_EXCEEDED,
            "too many event connections; try again later",
        );
        refusal
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        return refusal;
    };
    if !offered.contains(&SUBPROTOCOL) {
        return refused(
            StatusCode::BAD_REQUEST,
            error_type::BAD_REQUEST,
            format!("offer the `{SUBPROTOCOL}` WebSocket subprotocol"),
        );
    }
    let authorized = offered
        .iter()
        .find_map(|protocol| parse_auth_subprotocol(protocol))
        .ok_or_else(|| {
            "the connection's authorization (a `header-` subprotocol of base64url JSON) \
             is missing or unreadable"
                .to_string()
        })
        .and_then(|authorization| connection_authorization(&events, &authorization));
    ws.protocols([SUBPROTOCOL])
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            Connection::new(events, socket).run(authorized).await;
            drop(slot);
        })
}

/// The connection's authorization: the app's API key, for this server's host.
fn connection_authorization(
    events: &LocalEvents,
    authorization: &BTreeMap<String, String>,
) -> Result<(), String> {
    api_key(events, authorization)?;
    match authorization.get("host") {
        Some(host) if *host == events.http_host => Ok(()),
        Some(host) => Err(format!(
            "the authorization names the host {host:?}, not this API's {:?}",
            events.http_host
        )),
        None => Err("the authorization names no `host`".into()),
    }
}

fn api_key(events: &LocalEvents, authorization: &BTreeMap<String, String>) -> Result<(), String> {
    match authorization.get("x-api-key") {
        Some(key) if *key == events.settings.api_key => Ok(()),
        Some(_) => Err("the API key is not valid".into()),
        None => Err("the authorization carries no `x-api-key`".into()),
    }
}

/// Why a connection ends.
enum End {
    /// The client went away without a close handshake (or stopped reading).
    Gone,
    /// The client sent a Close frame: it is answered with one of the same code.
    ClosedByClient,
    /// This side closes it, with a code and a reason.
    Close(u16, &'static str),
}

/// How long the close handshake may take, from this side's Close frame (or the echo of
/// the client's) to the end of the connection.
const CLOSE_HANDSHAKE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

struct Connection {
    events: Arc<LocalEvents>,
    socket: WebSocket,
    id: u64,
    inbox: Inbox,
    deliveries: mpsc::Receiver<Delivery>,
    /// Subscription id → channel.
    subscriptions: HashMap<String, String>,
    initialized: bool,
}

impl Connection {
    fn new(events: Arc<LocalEvents>, socket: WebSocket) -> Self {
        let (inbox, deliveries) = Inbox::new();
        Self {
            id: events.broker.connection_id(),
            events,
            socket,
            inbox,
            deliveries,
            subscriptions: HashMap::new(),
            initialized: false,
        }
    }

    async fn run(mut self, authorized: Result<(), String>) {
        let end = self.serve(authorized).await;
        let channels: Vec<String> = self.subscriptions.values().cloned().collect();
        self.events.broker.disconnect(self.id, &channels);
        // The close handshake of RFC 6455 §5.5.1, both ways, before the TCP connection
        // ends; the whole of it within a moment, so a client that stops reading or never
        // answers frees its slot.
        let _ = tokio::time::timeout(CLOSE_HANDSHAKE_TIMEOUT, self.close_handshake(end)).await;
    }

    async fn close_handshake(&mut self, end: End) {
        match end {
            End::Gone => {}
            End::ClosedByClient => {
                // The socket queued the echo of the client's frame (same code) on reading
                // it; flushing sends it.
                let _ = futures::SinkExt::flush(&mut self.socket).await;
            }
            End::Close(code, reason) => {
                let frame = CloseFrame {
                    code,
                    reason: reason.into(),
                };
                if self.socket.send(Message::Close(Some(frame))).await.is_ok() {
                    // Read (and drop) what the client still sends until its Close.
                    while let Some(Ok(frame)) = self.socket.recv().await {
                        if matches!(frame, Message::Close(_)) {
                            break;
                        }
                    }
                }
            }
        }
    }

    /// A client that stops reading is given [`SEND_TIMEOUT`], then dropped: it cannot
    /// hold its connection (and its slot) while nothing reaches it.
    async fn send(&mut self, message: ServerMessage) -> Result<(), End> {
        let frame = Message::Text(message.to_text().into());
        match tokio::time::timeout(SEND_TIMEOUT, self.socket.send(frame)).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) | Err(_) => Err(End::Gone),
        }
    }

    /// Sends a last message and ends the connection with a Close frame (with none when
    /// the client no longer reads: it is gone).
    async fn close_with(
        &mut self,
        last: ServerMessage,
        code: u16,
        reason: &'static str,
    ) -> Result<(), End> {
        self.send(last).await?;
        Err(End::Close(code, reason))
    }

    async fn serve(&mut self, authorized: Result<(), String>) -> End {
        let init_deadline = tokio::time::sleep(self.events.settings.init_timeout);
        tokio::pin!(init_deadline);
        let mut keep_alive = tokio::time::interval(self.events.settings.keep_alive);
        keep_alive.tick().await;
        loop {
            let step = tokio::select! {
                frame = self.socket.recv() => self.on_frame(frame, &authorized).await,
                Some(delivery) = self.deliveries.recv() => {
                    // Queued before an unsubscribe: not sent after its success.
                    let current = self.subscriptions.get(&delivery.subscription_id);
                    if current == Some(&delivery.channel) {
                        self.send(ServerMessage::Data {
                            id: delivery.subscription_id,
                            event: delivery.event,
                        })
                        .await
                    } else {
                        Ok(())
                    }
                }
                () = self.inbox.overflowed() => {
                    let last = ServerMessage::Error {
                        id: None,
                        errors: ProtocolError::new(
                            error_type::LIMIT_EXCEEDED,
                            "this connection fell too far behind its events",
                        ),
                    };
                    self.close_with(last, close_code::AGAIN, "too far behind").await
                }
                _ = keep_alive.tick(), if self.initialized => self.send(ServerMessage::Ka).await,
                () = self.events.closing.cancelled() => {
                    Err(End::Close(close_code::AWAY, "the server is shutting down"))
                }
                () = &mut init_deadline, if !self.initialized => {
                    let last = ServerMessage::ConnectionError {
                        errors: ProtocolError::new(
                            error_type::BAD_REQUEST,
                            "no connection_init arrived in time",
                        ),
                    };
                    self.close_with(last, close_code::POLICY, "no connection_init").await
                }
            };
            if let Err(end) = step {
                return end;
            }
        }
    }

    async fn on_frame(
        &mut self,
        frame: Option<Result<Message, axum::Error>>,
        authorized: &Result<(), String>,
    ) -> Result<(), End> {
        let text = match frame {
            None => return Err(End::Gone),
            Some(Ok(Message::Close(_))) => return Err(End::ClosedByClient),
            // Larger than the socket reads, or not a WebSocket frame at all.
            Some(Err(error)) => {
                let last = ServerMessage::Error {
                    id: None,
                    errors: ProtocolError::new(
                        error_type::LIMIT_EXCEEDED,
                        format!("the frame could not be read: {error}"),
                    ),
                };
                return self
                    .close_with(last, close_code::SIZE, "unreadable frame")
                    .await;
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => return Ok(()),
            Some(Ok(Message::Binary(_))) => {
                return self
                    .refuse_frame("messages are JSON text frames, not binary ones")
                    .await
            }
            Some(Ok(Message::Text(text))) => text,
        };
        if text.len() > MAX_EVENT_BYTES {
            let last = ServerMessage::Error {
                id: None,
                errors: ProtocolError::new(
                    error_type::LIMIT_EXCEEDED,
                    format!(
                        "a frame of {} bytes exceeds the limit of {MAX_EVENT_BYTES}",
                        text.len()
                    ),
                ),
            };
            return self
                .close_with(last, close_code::SIZE, "frame too large")
                .await;
        }
        let message: ClientMessage = match serde_json::from_str(text.as_str()) {
            Ok(message) => message,
            Err(error) => {
                return self
                    .refuse_frame(&format!("not a message of the protocol: {error}"))
                    .await
            }
        };
        match message {
            ClientMessage::ConnectionInit => self.on_init(authorized).await,
            _ if !self.initialized => self.refuse_frame("send connection_init first").await,
            ClientMessage::Subscribe {
                id,
                channel,
                authorization,
            } => self.on_subscribe(id, channel, authorization).await,
            ClientMessage::Unsubscribe { id } => self.on_unsubscribe(id).await,
            ClientMessage::Publish { id, .. } => {
                self.send(ServerMessage::PublishError {
                    id,
                    errors: ProtocolError::new(
                        error_type::UNAUTHORIZED,
                        "only the backend publishes on device channels, over HTTP with IAM",
                    ),
                })
                .await
            }
        }
    }

    /// A frame that is no message: before `connection_init` that ends the connection
    /// (`connection_error`); after it, an `error` and the connection carries on.
    async fn refuse_frame(&mut self, why: &str) -> Result<(), End> {
        let errors = ProtocolError::new(error_type::BAD_REQUEST, why);
        if self.initialized {
            self.send(ServerMessage::Error { id: None, errors }).await
        } else {
            let last = ServerMessage::ConnectionError { errors };
            self.close_with(last, close_code::PROTOCOL, "bad connection_init")
                .await
        }
    }

    async fn on_init(&mut self, authorized: &Result<(), String>) -> Result<(), End> {
        if let Err(why) = authorized {
            let last = ServerMessage::ConnectionError {
                errors: ProtocolError::new(error_type::UNAUTHORIZED, why.clone()),
            };
            return self
                .close_with(last, close_code::POLICY, "unauthorized")
                .await;
        }
        if self.initialized {
            return self
                .refuse_frame("the connection is initialised already")
                .await;
        }
        self.initialized = true;
        self.send(ServerMessage::ConnectionAck {
            connection_timeout_ms: CONNECTION_TIMEOUT_MS,
        })
        .await
    }

    async fn on_subscribe(
        &mut self,
        id: String,
        channel: String,
        authorization: BTreeMap<String, String>,
    ) -> Result<(), End> {
        let refused = if !valid_subscription_id(&id) {
            Some((
                error_type::BAD_REQUEST,
                "the id must be 1 to 128 of a-z A-Z 0-9 - _ +".into(),
            ))
        } else if self.subscriptions.contains_key(&id) {
            Some((
                error_type::BAD_REQUEST,
                format!("the id {id} is in use on this connection"),
            ))
        } else if self.subscriptions.len() >= self.events.settings.max_subscriptions {
            Some((
                error_type::LIMIT_EXCEEDED,
                format!(
                    "a connection holds at most {} subscriptions",
                    self.events.settings.max_subscriptions
                ),
            ))
        } else if let Err(why) = api_key(&self.events, &authorization) {
            Some((error_type::UNAUTHORIZED, why))
        } else {
            match self.events.channels.check_channel(&channel) {
                Ok(()) => None,
                Err(refusal @ ChannelRefusal::Malformed) => {
                    Some((error_type::BAD_REQUEST, refusal.to_string()))
                }
                Err(refusal @ ChannelRefusal::Forged) => {
                    Some((error_type::UNAUTHORIZED, refusal.to_string()))
                }
            }
        };
        if let Some((error_type, message)) = refused {
            // The id is echoed only when it is one; a bad id is answered as an `error`.
            if !valid_subscription_id(&id) {
                return self
                    .send(ServerMessage::Error {
                        id: None,
                        errors: ProtocolError::new(error_type, message),
                    })
                    .await;
            }
            return self
                .send(ServerMessage::SubscribeError {
                    id,
                    errors: ProtocolError::new(error_type, message),
                })
                .await;
        }
        self.events
            .broker
            .subscribe(self.id, &self.inbox, &channel, &id);
        self.subscriptions.insert(id.clone(), channel);
        self.send(ServerMessage::SubscribeSuccess { id }).await
    }

    async fn on_unsubscribe(&mut self, id: String) -> Result<(), End> {
        let Some(channel) = self.subscriptions.remove(&id) else {
            let reply_id = if valid_subscription_id(&id) {
                id.clone()
            } else {
                String::new()
            };
            return self
                .send(ServerMessage::UnsubscribeError {
                    id: reply_id,
                    errors: ProtocolError::new(
                        error_type::UNKNOWN_OPERATION,
                        "no subscription of this connection has that id",
                    ),
                })
                .await;
        };
        self.events.broker.unsubscribe(self.id, &channel, &id);
        self.send(ServerMessage::UnsubscribeSuccess { id }).await
    }
}
