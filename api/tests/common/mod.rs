//! What the API tests share: the real router over a SQLite metadata store and a
//! filesystem blob store in a temporary folder, and a recording orchestrator.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use axum::Router;
use serde_json::Value;
use std::net::SocketAddr;
use std::ops::Deref;
use std::sync::Arc;
use tower::ServiceExt;
use wisaw_api::{router, ApiConfig, ApiPorts, CursorKey};
use wisaw_domain::events::{DeviceChannels, EventsEndpoints};
use wisaw_domain::ports::MetadataStore;
pub use wisaw_testkit::ports::LocalStores;

/// The router over [`LocalStores`]; the stores' fields and helpers are the harness's too.
pub struct Harness {
    pub stores: LocalStores,
    pub ports: Arc<ApiPorts>,
    pub app: Router,
}

impl Deref for Harness {
    type Target = LocalStores;
    fn deref(&self) -> &LocalStores {
        &self.stores
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Asserts an RFC 9457 problem answer with this status, and returns its body.
    pub fn assert_problem(&self, status: u16) -> &Value {
        let content_type = self
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok());
        wisaw_testkit::client::check_problem(
            self.status.as_u16(),
            content_type,
            &self.body,
            status,
            "the router",
        );
        &self.body
    }
}

impl Harness {
    pub async fn delete(&self, uri: &str, device: Option<&str>) -> Answer {
        let mut request = Request::builder().method(Method::DELETE).uri(uri);
        if let Some(device) = device {
            request = request.header("X-Device-Id", device);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    pub async fn new() -> Self {
        Self::with_config(ApiConfig::default()).await
    }

    pub async fn with_config(config: ApiConfig) -> Self {
        Self::with_store(config, |store| store).await
    }

    /// The ports' metadata store is `wrap` of the real SQLite store (e.g. one that
    /// interleaves a DELETE); `metadata` stays the real store underneath.
    pub async fn with_store(
        config: ApiConfig,
        wrap: impl FnOnce(Arc<dyn MetadataStore>) -> Arc<dyn MetadataStore>,
    ) -> Self {
        let stores = LocalStores::new().await;
        let ports = Arc::new(ApiPorts {
            metadata: wrap(stores.metadata.clone()),
            blobs: stores.blobs.clone(),
            orchestrator: stores.orchestrator.clone(),
            cursor_key: cursor_key(),
            channels: DeviceChannels::derived_from(b"the api tests' channel secret"),
            events: EventsEndpoints {
                realtime_url: "ws://events.test/event/realtime".into(),
                http_url: "http://events.test/event".into(),
            },
            config,
        });
        let app = router(ports.clone());
        Self { stores, ports, app }
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        let response = self.app.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                panic!("not JSON ({status}): {}", String::from_utf8_lossy(&bytes))
            })
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Answer {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    /// A JSON POST that must be refused with `status` and a problem; its body.
    pub async fn post_refused(&self, uri: &str, body: &Value, status: u16) -> Value {
        self.post_json(uri, body)
            .await
            .assert_problem(status)
            .clone()
    }

    /// A GET that must be refused with `status` and a problem; its body.
    pub async fn get_refused(&self, uri: &str, status: u16) -> Value {
        self.get(uri).await.assert_problem(status).clone()
    }

    pub async fn post_json(&self, uri: &str, body: &Value) -> Answer {
        self.post_raw(uri, "application/json", body.to_string())
            .await
    }

    pub async fn post_raw(&self, uri: &str, content_type: &str, body: String) -> Answer {
        let request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        self.send(request).await
    }

    /// A JSON POST arriving from `client`, as the local server's `ConnectInfo` tells it.
    pub async fn post_json_from(&self, uri: &str, body: &Value, client: SocketAddr) -> Answer {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap();
        request.extensions_mut().insert(ConnectInfo(client));
        self.send(request).await
    }
}

/// The key the harness signs feed cursors with.
pub fn cursor_key() -> CursorKey {
    CursorKey::derived_from(b"test secret")
}

/// Whether a JSON value mentions a device id anywhere, as a key or a value.
pub fn mentions(value: &Value, needle: &str) -> bool {
    match value {
        Value::String(s) => s.contains(needle),
        Value::Array(items) => items.iter().any(|v| mentions(v, needle)),
        Value::Object(map) => map
            .iter()
            .any(|(k, v)| k.contains(needle) || mentions(v, needle)),
        _ => false,
    }
}
