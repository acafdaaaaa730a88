//! IAM, enforced: policies evaluated as IAM evaluates them, the template's own policies,
//! SAM's policy templates against SAM's, SigV4 checked against the SDK's own signatures,
//! and the front door with the SDK's clients (against the emulator when there is one).

mod evaluation;
mod events;
mod front_door;
mod sam_templates;
mod signatures;
mod template_policies;

use crate::support::project_resources;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use axum::extract::Request;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wisaw_adapters::aws::sigv4::{self, Payload, Placement, Scope};
use wisaw_stage::iam::{FrontDoor, Iam, Principal, Settings};
use wisaw_stage::template::Resources;
use wisaw_testkit::aws_emulator;

pub use crate::support::{pseudo, ACCOUNT, REGION};

pub const EVENTS_API_ID: &str = "wisawevents01";
/// The bucket the template names for the `test` stage.
pub const BUCKET: &str = "wisaw-test-123456789012-us-east-1";

pub fn settings() -> Settings {
    Settings::new(REGION, ACCOUNT, EVENTS_API_ID)
}

/// What the template's `Ref` and `Fn::GetAtt` give: the values the policies name, as
/// AWS would give them, and a recognisable stand-in for the rest.
pub struct StandIns {
    pub references: BTreeMap<String, Value>,
    pub attributes: BTreeMap<String, Value>,
    /// The `DatabaseSecretArn` parameter.
    pub database_secret_arn: String,
}

impl Default for StandIns {
    fn default() -> Self {
        let queue = |name: &str| format!("arn:aws:sqs:{REGION}:{ACCOUNT}:wisaw-test-{name}");
        let secret = |name: &str| {
            format!("arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:wisaw-test-{name}-AbCdEf")
        };
        let references = [
            ("ValidateFunction", json!("wisaw-test-validate")),
            ("ThumbnailFunction", json!("wisaw-test-thumbnail")),
            ("PersistFunction", json!("wisaw-test-persist")),
            ("NotifyFunction", json!("wisaw-test-notify")),
            ("FeedCursorSecret", json!(secret("feed-cursor"))),
            ("DeviceChannelSecret", json!(secret("device-channel"))),
        ];
        let attributes = [
            ("IngestQueue.Arn", json!(queue("ingest"))),
            ("DeadLetterQueue.Arn", json!(queue("dead-letter"))),
            ("EventsApi.ApiId", json!(EVENTS_API_ID)),
        ];
        Self {
            references: references
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            attributes: attributes
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            database_secret_arn: secret("database"),
        }
    }
}

impl Resources for StandIns {
    fn reference(&self, logical_id: &str) -> Option<Value> {
        Some(
            self.references
                .get(logical_id)
                .cloned()
                .unwrap_or_else(|| json!(format!("ref-{logical_id}"))),
        )
    }
    fn attribute(&self, logical_id: &str, attribute: &str) -> Option<Value> {
        Some(
            self.attributes
                .get(&format!("{logical_id}.{attribute}"))
                .cloned()
                .unwrap_or_else(|| json!(format!("att-{logical_id}-{attribute}"))),
        )
    }
}

/// The principals of the project's `template.yaml`, its references given by `stand_ins`.
pub fn template_iam(stand_ins: &StandIns) -> Iam {
    let mut principals = Vec::new();
    for kind in ["AWS::Serverless::Function", "AWS::Serverless::StateMachine"] {
        for resource in project_resources(kind, &stand_ins.database_secret_arn, stand_ins) {
            principals.push(Principal::from_resource(&resource, &pseudo()).unwrap());
        }
    }
    Iam::new(settings(), principals).unwrap()
}

/// A front door on a port of its own; its URL.
pub async fn serve(door: FrontDoor) -> String {
    serve_router(door.router()).await
}

pub async fn serve_router(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

/// The SDK's configuration for `principal`'s session, its calls sent to `endpoint`.
pub async fn sdk_config(endpoint: &str, principal: &Principal) -> aws_config::SdkConfig {
    let credentials = &principal.credentials;
    sdk_config_with(
        endpoint,
        &credentials.access_key_id,
        &credentials.secret_access_key,
        Some(&credentials.session_token),
    )
    .await
}

/// The emulator's configuration, its calls sent to `endpoint`, signed with these credentials.
pub async fn sdk_config_with(
    endpoint: &str,
    access_key_id: &str,
    secret: &str,
    session_token: Option<&str>,
) -> aws_config::SdkConfig {
    let token = session_token.map(str::to_string);
    let credentials = Credentials::new(access_key_id, secret, token, None, "test");
    let config = aws_emulator::config(endpoint).await.into_builder();
    config
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .build()
}

/// An S3 client that addresses buckets by path, as the stage's functions do.
pub fn s3_client(config: &aws_config::SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// The principal of a logical id.
pub fn principal<'a>(iam: &'a Iam, name: &str) -> &'a Principal {
    iam.principal(name)
        .unwrap_or_else(|| panic!("no principal {name}"))
}

/// What reached an upstream: method, path and query, headers, body.
pub type Seen = Arc<Mutex<Vec<(String, String, axum::http::HeaderMap, Vec<u8>)>>>;

/// An upstream that records each request and answers 200 `ok`.
pub async fn recording_upstream() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let router = axum::Router::new().fallback(move |request: Request| {
        let record = record.clone();
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            record.lock().unwrap().push((
                parts.method.to_string(),
                parts.uri.to_string(),
                parts.headers,
                body.to_vec(),
            ));
            "ok"
        }
    });
    (serve_router(router).await, seen)
}

/// The template's principals behind a front door whose every service is the recorder.
pub async fn recording_door() -> (Arc<Iam>, String, Seen) {
    let iam = Arc::new(template_iam(&StandIns::default()));
    let (upstream, seen) = recording_upstream().await;
    let mut door = FrontDoor::new(iam.clone());
    for service in ["s3", "sqs", "secretsmanager", "states"] {
        door = door.upstream(service, &upstream);
    }
    (iam, serve(door).await, seen)
}

/// The headers that sign a request to `service` as `principal`, made by hand with the
/// SDK's signer: `headers` (signed too) and the signature's own.
pub fn signed_headers(
    principal: &Principal,
    service: &str,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    payload: Payload<'_>,
) -> Vec<(String, String)> {
    let credentials = &principal.credentials;
    let credentials = Credentials::new(
        &credentials.access_key_id,
        &credentials.secret_access_key,
        Some(credentials.session_token.clone()),
        None,
        "test",
    );
    let scope = Scope {
        service,
        region: REGION,
        time: SystemTime::now(),
    };
    let signature = sigv4::sign(
        credentials,
        scope,
        Placement::Headers,
        method,
        url,
        headers,
        payload,
    )
    .unwrap();
    headers
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .chain(signature.headers)
        .collect()
}

/// A request written on the socket byte for byte (an HTTP client would resolve its
/// path's dot segments first): its status, and the rest of the answer as text.
pub async fn raw_request(
    base_url: &str,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> (u16, String) {
    let host = base_url.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nhost: {host}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    (status, answer)
}
