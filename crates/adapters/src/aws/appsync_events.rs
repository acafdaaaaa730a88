//! The notifier on AWS: an AppSync Events API's HTTP publish endpoint, with the request
//! signed by SigV4 (service `appsync`) under the function's own credentials. The same
//! adapter publishes to `wisaw serve`'s event server, which speaks the same protocol.
//!
//! AppSync Events has no client in the AWS SDK for Rust, so the request is built here;
//! the signing is the `aws-sigv4` crate's ([`super::sigv4`]). Here too: what an endpoint
//! asks of a publish before it accepts it ([`PublishAuthorizer`]).

use super::sigv4::{self, Signature};
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};
use wisaw_domain::error::PortError;
use wisaw_domain::events::PhotoEvent;
use wisaw_domain::ports::{Notifier, PortResult};

/// The signing name of AppSync Events.
pub const SIGNING_SERVICE: &str = "appsync";

/// How long one publish may take before it counts as unavailable (and the step retries).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

/// The variable OpenSSL-based clients read a CA bundle from; an authority named there is
/// trusted beside the public roots (a stage on one machine issues its Events endpoint's
/// certificate from its own). Unset on Lambda.
const SSL_CERT_FILE_VAR: &str = "SSL_CERT_FILE";

fn extra_roots() -> PortResult<Vec<reqwest::Certificate>> {
    let Some(path) = std::env::var_os(SSL_CERT_FILE_VAR).filter(|p| !p.is_empty()) else {
        return Ok(Vec::new());
    };
    let invalid = |what: String| PortError::Invalid(format!("{SSL_CERT_FILE_VAR}: {what}").into());
    let pem =
        std::fs::read(&path).map_err(|e| invalid(format!("{}: {e}", path.to_string_lossy())))?;
    reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| invalid(e.to_string()))
}

/// The body of `POST /event`: the channel, and up to five events, each a JSON string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublishRequest {
    pub channel: String,
    pub events: Vec<String>,
}

/// What the endpoint answers: which events were accepted, which were not.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PublishResponse {
    #[serde(default)]
    pub successful: Vec<PublishedEvent>,
    #[serde(default)]
    pub failed: Vec<FailedEvent>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PublishedEvent {
    pub identifier: String,
    pub index: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailedEvent {
    #[serde(default)]
    pub identifier: Option<String>,
    pub index: u32,
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

pub struct AppSyncEventsPublisher {
    http: reqwest::Client,
    /// `https://{Dns.Http}/event`.
    url: String,
    region: String,
    credentials: SharedCredentialsProvider,
}

impl AppSyncEventsPublisher {
    /// `http_url` is the API's HTTP endpoint (`https://{Dns.Http}/event`).
    pub fn new(
        http_url: &str,
        region: &str,
        credentials: SharedCredentialsProvider,
    ) -> PortResult<Self> {
        let url = reqwest::Url::parse(http_url)
            .map_err(|e| PortError::Invalid(format!("the events URL {http_url:?}: {e}").into()))?;
        if url.host_str().is_none() {
            return Err(PortError::Invalid(
                format!("the events URL {http_url:?} names no host").into(),
            ));
        }
        let mut http = reqwest::Client::builder().timeout(PUBLISH_TIMEOUT);
        for root in extra_roots()? {
            http = http.add_root_certificate(root);
        }
        let http = http
            .build()
            .map_err(|e| PortError::Invalid(format!("building the HTTP client: {e}").into()))?;
        Ok(Self {
            http,
            url: url.to_string(),
            region: region.to_string(),
            credentials,
        })
    }

    /// Signs the request as SigV4 wants it: the headers sent, the exact body.
    async fn signed_headers(&self, body: &[u8]) -> PortResult<Vec<(String, String)>> {
        let credentials = self.credentials.provide_credentials().await.map_err(|e| {
            PortError::Unavailable(format!("the function's credentials: {e}").into())
        })?;
        let headers = [("content-type", "application/json")];
        let signed = sign_request(
            credentials,
            &self.region,
            SystemTime::now(),
            SignableParts {
                method: "POST",
                url: &self.url,
                headers: &headers,
                body,
            },
        )?;
        Ok(headers
            .into_iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .chain(signed.headers)
            .collect())
    }
}

/// The parts of a request SigV4 covers: the method, the URL, the headers to sign, the body.
pub struct SignableParts<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
}

/// Signs `request` for AppSync Events (service `appsync`, in the headers) with
/// `credentials` at `time`, by the `aws-sigv4` crate ([`super::sigv4`]). A server checks
/// a publish with [`super::sigv4::Claim`].
pub fn sign_request(
    credentials: Credentials,
    region: &str,
    time: SystemTime,
    request: SignableParts<'_>,
) -> PortResult<Signature> {
    sigv4::sign(
        credentials,
        sigv4::Scope {
            service: SIGNING_SERVICE,
            region,
            time,
        },
        sigv4::Placement::Headers,
        request.method,
        request.url,
        request.headers,
        sigv4::Payload::Bytes(request.body),
    )
    .map_err(|e| PortError::Invalid(e.to_string().into()))
}

/// A publish as the endpoint received it, before its body is read as events.
pub struct PublishAttempt<'a> {
    /// The endpoint's own host (`host[:port]`): what a publish is signed for.
    pub host: &'a str,
    pub method: &'a str,
    /// The path and query exactly as sent.
    pub path_and_query: &'a str,
    pub headers: &'a http::HeaderMap,
    pub body: &'a [u8],
    pub now: SystemTime,
}

/// Who may publish on an Events endpoint: asked of every publish before anything else.
/// `Err` holds the refusal's words (the endpoint answers 401 `UnauthorizedException`).
/// `wisaw serve` allows its one publisher key; the stage asks IAM.
pub trait PublishAuthorizer: Send + Sync {
    fn authorize(&self, attempt: &PublishAttempt<'_>) -> Result<(), String>;
}

#[async_trait::async_trait]
impl Notifier for AppSyncEventsPublisher {
    async fn publish(&self, channel: &str, event: &PhotoEvent) -> PortResult<()> {
        let event =
            serde_json::to_string(event).map_err(|e| PortError::Invalid(e.to_string().into()))?;
        let body = serde_json::to_vec(&PublishRequest {
            channel: channel.to_string(),
            events: vec![event],
        })
        .map_err(|e| PortError::Invalid(e.to_string().into()))?;
        let mut request = self.http.post(&self.url);
        for (name, value) in self.signed_headers(&body).await? {
            request = request.header(name, value);
        }
        let response = request.body(body).send().await.map_err(|e| {
            PortError::Unavailable(format!("publishing to {}: {e}", self.url).into())
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|e| {
            PortError::Unavailable(format!("reading the publish answer: {e}").into())
        })?;
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            return Err(PortError::Unavailable(
                format!("publishing to {channel}: {status}: {text}").into(),
            ));
        }
        if !status.is_success() {
            return Err(PortError::Invalid(
                format!("publishing to {channel}: {status}: {text}").into(),
            ));
        }
        let answer: PublishResponse = serde_json::from_str(&text).map_err(|e| {
            PortError::Invalid(format!("the publish answer {text:?} does not parse: {e}").into())
        })?;
        match (answer.successful.len(), answer.failed.first()) {
            (1, None) => Ok(()),
            // Refused by a namespace handler, or not said: try again, then the dead letters.
            (_, failed) => Err(PortError::Unavailable(
                format!("publishing to {channel}: the event was not accepted ({failed:?})").into(),
            )),
        }
    }
}
