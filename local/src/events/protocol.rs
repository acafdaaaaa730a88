//! The AppSync Events real-time protocol (subprotocol `aws-appsync-event-ws`), as far
//! as the app uses it: the messages both sides send, as JSON text frames.
//!
//! See the AppSync Events developer guide, "Understanding the Event API WebSocket
//! protocol". The server side is `wisaw serve`'s; the client side is `wisaw upload`'s
//! and the tests'.

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The WebSocket subprotocol of AppSync Events.
pub const SUBPROTOCOL: &str = "aws-appsync-event-ws";
/// The prefix of the subprotocol that carries the connection's authorization.
pub const AUTH_SUBPROTOCOL_PREFIX: &str = "header-";
/// The path of the real-time endpoint, and of the HTTP publish endpoint.
pub const REALTIME_PATH: &str = "/event/realtime";
pub const PUBLISH_PATH: &str = "/event";

/// How long a client waits for a `ka` before it closes the connection (AppSync's value).
pub const CONNECTION_TIMEOUT_MS: u64 = 300_000;
/// The largest event AppSync Events accepts, and so the largest frame worth reading.
pub const MAX_EVENT_BYTES: usize = 240 * 1024;
/// Events in one publish.
pub const MAX_EVENTS_PER_PUBLISH: usize = 5;

/// The error types this server answers with (those AppSync Events and its clients use).
pub mod error_type {
    pub const UNAUTHORIZED: &str = "UnauthorizedException";
    pub const BAD_REQUEST: &str = "BadRequestException";
    pub const UNKNOWN_OPERATION: &str = "UnknownOperationError";
    pub const LIMIT_EXCEEDED: &str = "LimitExceededException";
}

/// What a client sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    ConnectionInit,
    Subscribe {
        id: String,
        channel: String,
        #[serde(default)]
        authorization: BTreeMap<String, String>,
    },
    Unsubscribe {
        id: String,
    },
    Publish {
        id: String,
        channel: String,
        events: Vec<String>,
        #[serde(default)]
        authorization: BTreeMap<String, String>,
    },
}

/// One error in an error message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolError {
    pub error_type: String,
    pub message: String,
}

impl ProtocolError {
    pub fn new(error_type: &str, message: impl Into<String>) -> Vec<Self> {
        vec![Self {
            error_type: error_type.to_string(),
            message: message.into(),
        }]
    }
}

/// What the server sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    #[serde(rename_all = "camelCase")]
    ConnectionAck {
        connection_timeout_ms: u64,
    },
    /// Keep-alive.
    Ka,
    ConnectionError {
        errors: Vec<ProtocolError>,
    },
    SubscribeSuccess {
        id: String,
    },
    SubscribeError {
        id: String,
        errors: Vec<ProtocolError>,
    },
    UnsubscribeSuccess {
        id: String,
    },
    UnsubscribeError {
        id: String,
        errors: Vec<ProtocolError>,
    },
    /// An event on a subscription: `event` is the event's JSON, as a string.
    Data {
        id: String,
        event: String,
    },
    PublishError {
        id: String,
        errors: Vec<ProtocolError>,
    },
    /// A frame that is no message of the protocol.
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        errors: Vec<ProtocolError>,
    },
}

impl ServerMessage {
    pub fn to_text(&self) -> String {
        serde_json::to_string(self).expect("server messages serialise")
    }
}

/// A subscription id as AppSync Events allows it: 1 to 128 of `[a-zA-Z0-9-_+]`.
pub fn valid_subscription_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'+'))
}

/// The `header-...` subprotocol carrying the connection's authorization (`host` and
/// `x-api-key`), JSON in base64url without padding.
pub fn auth_subprotocol(authorization: &BTreeMap<String, String>) -> String {
    let json = serde_json::to_vec(authorization).expect("a string map serialises");
    format!("{AUTH_SUBPROTOCOL_PREFIX}{}", URL_SAFE_NO_PAD.encode(json))
}

/// The authorization a `header-...` subprotocol carries, if it is well formed.
pub fn parse_auth_subprotocol(protocol: &str) -> Option<BTreeMap<String, String>> {
    let encoded = protocol.strip_prefix(AUTH_SUBPROTOCOL_PREFIX)?;
    // Clients differ on padding; accept it and ignore it.
    let json = URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&json).ok()
}

/// The API-key authorization of the app: the HTTP endpoint's host and the key.
pub fn api_key_authorization(http_host: &str, api_key: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("host".to_string(), http_host.to_string()),
        ("x-api-key".to_string(), api_key.to_string()),
    ])
}

/// The host the authorization must name: the HTTP endpoint's (`host[:port]`).
pub fn http_host(http_url: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(http_url).with_context(|| format!("the URL {http_url:?}"))?;
    let host = url.host_str().context("the events URL names no host")?;
    Ok(match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_have_the_protocols_shape() {
        assert_eq!(
            serde_json::to_value(ServerMessage::ConnectionAck {
                connection_timeout_ms: 300000
            })
            .unwrap(),
            json!({"type": "connection_ack", "connectionTimeoutMs": 300000})
        );
        assert_eq!(
            serde_json::to_value(ServerMessage::SubscribeError {
                id: "a".into(),
                errors: ProtocolError::new(error_type::UNAUTHORIZED, "no")
            })
            .unwrap(),
            json!({"type": "subscribe_error", "id": "a",
                   "errors": [{"errorType": "UnauthorizedException", "message": "no"}]})
        );
        let subscribe: ClientMessage = serde_json::from_value(json!({
            "type": "subscribe", "id": "s1", "channel": "/devices/x",
            "authorization": {"x-api-key": "k", "host": "h"}
        }))
        .unwrap();
        assert!(matches!(subscribe, ClientMessage::Subscribe { .. }));
    }

    #[test]
    fn the_auth_subprotocol_round_trips_and_refuses_junk() {
        let auth = api_key_authorization("example.com:3000", "da2-key");
        let protocol = auth_subprotocol(&auth);
        assert!(!protocol.contains('='), "{protocol}");
        assert_eq!(parse_auth_subprotocol(&protocol), Some(auth));
        assert_eq!(parse_auth_subprotocol("header-!!!"), None);
        assert_eq!(parse_auth_subprotocol("aws-appsync-event-ws"), None);
    }

    #[test]
    fn subscription_ids_are_bounded() {
        assert!(valid_subscription_id(
            "ee849ef0-cf23-4cb8-9fcb-152ae4fd1e69"
        ));
        assert!(!valid_subscription_id(""));
        assert!(!valid_subscription_id(&"a".repeat(129)));
        assert!(!valid_subscription_id("a b"));
    }
}
