//! The notifier on AWS: an AppSync Events API's HTTP publish endpoint, with the request
//! signed by SigV4 (service `appsync`) under the function's own credentials. The same
//! adapter publishes to `wisaw serve`'s event server, which speaks the same protocol.
//!
//! AppSync Events has no client in the AWS SDK for Rust, so the request is built here;
//! the signing is the `aws-sigv4` crate's.

use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};
use wisaw_domain::error::PortError;
use wisaw_domain::events::PhotoEvent;
use wisaw_domain::ports::{Notifier, PortResult};

/// The signing name of AppSync Events.
pub const SIGNING_SERVICE: &str = "appsync";

/// How long one publish may take before it counts as unavailable (and the step retries).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);

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
        let http = reqwest::Client::builder()
            .timeout(PUBLISH_TIMEOUT)
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

/// A request's SigV4 signature for AppSync Events (service `appsync`), by the
/// `aws-sigv4` crate.
pub struct Signature {
    /// The headers to add: `authorization`, `x-amz-date`, and the session token if any.
    pub headers: Vec<(String, String)>,
    /// The signature alone, as `authorization` carries it.
    pub signature: String,
}

/// Signs `request` with `credentials` at `time`. The publisher signs with it, and a server
/// checking a publish signs again with it and compares.
pub fn sign_request(
    credentials: Credentials,
    region: &str,
    time: SystemTime,
    request: SignableParts<'_>,
) -> PortResult<Signature> {
    let identity = Identity::from(credentials);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SIGNING_SERVICE)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| PortError::Invalid(format!("signing parameters: {e}").into()))?
        .into();
    let signable = SignableRequest::new(
        request.method,
        request.url,
        request.headers.iter().copied(),
        SignableBody::Bytes(request.body),
    )
    .map_err(|e| PortError::Invalid(format!("signing the request: {e}").into()))?;
    let (instructions, signature) = sign(signable, &params)
        .map_err(|e| PortError::Invalid(format!("signing the request: {e}").into()))?
        .into_parts();
    Ok(Signature {
        headers: instructions
            .headers()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        signature,
    })
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
