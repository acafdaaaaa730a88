//! SigV4 for any service, both ways: a request signed in its headers or in its query (a
//! presigned URL) by the `aws-sigv4` crate, with the settings the SDK gives that service;
//! and a received request checked by signing it again ([`check`]).

pub mod check;

pub use check::{Claim, Location, Received, Refusal};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{
    sign as sign_parts, PayloadChecksumKind, PercentEncodingMode, SessionTokenMode, SignableBody,
    SignableRequest, SignatureLocation, SigningSettings, UriPathNormalizationMode,
};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use std::time::{Duration, SystemTime};

/// The signing name of S3, whose requests are signed with settings of their own.
pub const S3: &str = "s3";

/// A request's SigV4 signature, by the `aws-sigv4` crate.
pub struct Signature {
    /// The headers to add: `authorization`, `x-amz-date`, and the session token if any
    /// (none when the signature is in the query).
    pub headers: Vec<(String, String)>,
    /// The query parameters to add, for a signature in the query: `X-Amz-Algorithm`,
    /// `X-Amz-Credential`, ..., `X-Amz-Signature`.
    pub query: Vec<(String, String)>,
    /// The signature alone.
    pub signature: String,
}

/// For whom and when a request is signed.
#[derive(Clone, Copy, Debug)]
pub struct Scope<'a> {
    /// The signing name: `s3`, `sqs`, `states`, `appsync`, ...
    pub service: &'a str,
    pub region: &'a str,
    pub time: SystemTime,
}

/// Where the signature goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    Headers,
    /// A presigned request, valid for this long.
    Query {
        expires_in: Duration,
    },
}

/// What the signature says of the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    /// Its SHA-256 is signed.
    Bytes(&'a [u8]),
    /// `UNSIGNED-PAYLOAD`: S3's presigned URLs, and S3 requests that say so.
    Unsigned,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: an `aws-chunked` body whose chunks are not
    /// signed (S3's uploads with a trailing checksum).
    StreamingUnsignedTrailer,
}

/// A request that could not be signed, and why.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SigningFailure(pub String);

/// Signs a request to `scope.service` as the SDK signs it: S3 with its own settings (the
/// path encoded once and not normalized, the payload's hash in `x-amz-content-sha256`).
pub fn sign(
    credentials: Credentials,
    scope: Scope<'_>,
    placement: Placement,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    payload: Payload<'_>,
) -> Result<Signature, SigningFailure> {
    let settings = settings(scope.service, placement, SessionTokenMode::Include, true);
    let request = Signable {
        method,
        url,
        headers,
        body: body_of(payload),
    };
    sign_with(credentials, scope, settings, request)
}

/// What a signature covers of a request: its method, URL, the headers to sign and its body.
struct Signable<'a> {
    method: &'a str,
    url: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: SignableBody<'a>,
}

fn body_of(payload: Payload<'_>) -> SignableBody<'_> {
    match payload {
        Payload::Bytes(bytes) => SignableBody::Bytes(bytes),
        Payload::Unsigned => SignableBody::UnsignedPayload,
        Payload::StreamingUnsignedTrailer => SignableBody::StreamingUnsignedPayloadTrailer,
    }
}

/// The settings the SDK signs `service` with. `default_exclusions`: leave out the headers
/// a proxy may change (`user-agent`, ...), as a signer does; a checker signs exactly the
/// headers the request says were signed, so it keeps none out.
fn settings(
    service: &str,
    placement: Placement,
    session_token: SessionTokenMode,
    default_exclusions: bool,
) -> SigningSettings {
    let mut settings = SigningSettings::default();
    if !default_exclusions {
        settings.excluded_headers = None;
    }
    if service == S3 {
        settings.percent_encoding_mode = PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    settings.session_token_mode = session_token;
    match placement {
        Placement::Headers => settings.signature_location = SignatureLocation::Headers,
        Placement::Query { expires_in } => {
            settings.signature_location = SignatureLocation::QueryParams;
            settings.expires_in = Some(expires_in);
        }
    }
    settings
}

fn sign_with(
    credentials: Credentials,
    scope: Scope<'_>,
    settings: SigningSettings,
    request: Signable<'_>,
) -> Result<Signature, SigningFailure> {
    let identity = Identity::from(credentials);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(scope.region)
        .name(scope.service)
        .time(scope.time)
        .settings(settings)
        .build()
        .map_err(|e| SigningFailure(format!("signing parameters: {e}")))?
        .into();
    let headers = request.headers.iter().copied();
    let signable = SignableRequest::new(request.method, request.url, headers, request.body)
        .map_err(|e| SigningFailure(format!("signing the request: {e}")))?;
    let (instructions, signature) = sign_parts(signable, &params)
        .map_err(|e| SigningFailure(format!("signing the request: {e}")))?
        .into_parts();
    Ok(Signature {
        headers: instructions
            .headers()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        query: instructions
            .params()
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        signature,
    })
}
