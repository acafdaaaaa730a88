//! A received request's SigV4 signature checked as AWS checks it: the request is signed
//! again by the `aws-sigv4` crate (the SDK's own signer), with the secret of the access key
//! it names, over exactly the headers it says it signed, and the two signatures are
//! compared in constant time. Header signatures (`Authorization`) and presigned URLs
//! (`X-Amz-Signature` in the query) alike, for any service; the body's hash is always
//! checked but for S3, the one service that lets a signature leave the body out.
//!
//! Only the signature's own fields (the `Authorization` header, the `X-Amz-*` parameters)
//! are read by hand: no crate parses them.

use super::{settings, sign_with, Placement, Scope, Signable, S3};
use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SessionTokenMode, SignableBody};
use chrono::{NaiveDateTime, TimeZone, Utc};
use http::HeaderMap;
use std::time::{Duration, SystemTime};
use subtle::ConstantTimeEq;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
const STREAMING_UNSIGNED_PAYLOAD_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// The longest a presigned URL may live (seven days), as AWS allows.
const MAX_EXPIRES: Duration = Duration::from_secs(7 * 24 * 3600);
/// The parameters of a presigned URL's signature: not part of what it signs.
const SIGNATURE_PARAMS: [&str; 7] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
    "X-Amz-Security-Token",
];

/// A request as a server received it.
#[derive(Clone, Copy, Debug)]
pub struct Received<'a> {
    pub method: &'a str,
    /// The path and query exactly as sent, still percent-encoded.
    pub path_and_query: &'a str,
    pub headers: &'a HeaderMap,
    /// The body, when [`Claim::needs_body`]; `None` when it is streamed past unread.
    pub body: Option<&'a [u8]>,
}

/// Where the signature was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
    Headers,
    /// A presigned URL, valid `expires_in` from its `X-Amz-Date`.
    Query { expires_in: Duration },
}

/// What the signature covers of the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PayloadClaim {
    /// Its hash: the body has to be read to check it. Every service's but S3's.
    Signed,
    /// S3's `UNSIGNED-PAYLOAD` (a presigned URL's too).
    Unsigned,
    /// S3's `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    StreamingUnsignedTrailer,
}

/// Who says they signed a request, for which service and region, and when: read from
/// the request before the signature is checked, so that the caller can find the secret
/// of [`Claim::access_key_id`].
#[derive(Clone, Debug)]
pub struct Claim {
    pub access_key_id: String,
    pub region: String,
    /// The signing name of the scope: `s3`, `sqs`, `secretsmanager`, `states`, `appsync`...
    pub service: String,
    /// The session token sent with it (`x-amz-security-token`, `X-Amz-Security-Token`).
    pub session_token: Option<String>,
    pub signed_at: SystemTime,
    /// Lower case, as the request lists them.
    pub signed_headers: Vec<String>,
    pub location: Location,
    scope_date: String,
    signature: String,
    payload: PayloadClaim,
}

/// Why a signature is not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Its fields are missing or do not read as SigV4's.
    #[error("{0}")]
    Malformed(String),
    /// A form of signature this does not check, named.
    #[error("{0}")]
    Unsupported(String),
    /// Signed too long ago or in the future, or a presigned URL past its expiry.
    #[error("{0}")]
    Expired(String),
    /// Not the signature the key's secret makes for this request.
    #[error("{0}")]
    Mismatch(String),
}

impl Claim {
    /// The request's signature claim, `None` when it carries none.
    pub fn read(request: &Received<'_>) -> Result<Option<Claim>, Refusal> {
        let authorization = request.headers.get(http::header::AUTHORIZATION);
        let query = query_of(request.path_and_query);
        let presigned = query
            .iter()
            .any(|(name, _)| name == "X-Amz-Signature" || name == "X-Amz-Algorithm");
        match (authorization, presigned) {
            (None, false) => Ok(None),
            (Some(_), true) => Err(Refusal::Malformed(
                "the request carries a signature in its headers and another in its query".into(),
            )),
            (Some(value), false) => {
                let value = value.to_str().map_err(|_| {
                    Refusal::Malformed("the authorization header is not text".into())
                })?;
                Self::from_header(value, request.headers).map(Some)
            }
            (None, true) => Self::from_query(&query).map(Some),
        }
    }

    fn from_header(value: &str, headers: &HeaderMap) -> Result<Claim, Refusal> {
        let malformed = || {
            Refusal::Malformed(format!(
                "the authorization header is not a SigV4 signature ({ALGORITHM} \
                 Credential=..., SignedHeaders=..., Signature=...)"
            ))
        };
        let (algorithm, fields) = value.split_once(' ').ok_or_else(malformed)?;
        if algorithm != ALGORITHM {
            return Err(Refusal::Unsupported(format!(
                "the signature algorithm {algorithm} (only {ALGORITHM} is checked)"
            )));
        }
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for field in fields.split(',') {
            let (name, value) = field.trim().split_once('=').ok_or_else(malformed)?;
            match name {
                "Credential" => credential = Some(value),
                "SignedHeaders" => signed_headers = Some(value),
                "Signature" => signature = Some(value),
                _ => return Err(malformed()),
            }
        }
        let (credential, signed_headers, signature) = (
            credential.ok_or_else(malformed)?,
            signed_headers.ok_or_else(malformed)?,
            signature.ok_or_else(malformed)?,
        );
        let amz_date = header_text(headers, "x-amz-date")?
            .ok_or_else(|| Refusal::Malformed("the x-amz-date header is missing".into()))?;
        // S3 alone takes a body its signature leaves out (AWS's other services hash the
        // body they receive whatever `x-amz-content-sha256` says): were it honoured for
        // them, a body changed after signing would pass, and be authorized as it is.
        let service = credential.split('/').nth(3).unwrap_or_default();
        let content_sha256 = match service {
            S3 => header_text(headers, "x-amz-content-sha256")?,
            _ => None,
        };
        let payload = match content_sha256 {
            Some(UNSIGNED_PAYLOAD) => PayloadClaim::Unsigned,
            Some(STREAMING_UNSIGNED_PAYLOAD_TRAILER) => PayloadClaim::StreamingUnsignedTrailer,
            Some(streaming) if streaming.starts_with("STREAMING-") => {
                return Err(Refusal::Unsupported(format!(
                    "the payload {streaming}: its chunks' signatures are not checked"
                )))
            }
            _ => PayloadClaim::Signed,
        };
        Self::assemble(
            credential,
            signed_headers,
            signature,
            amz_date,
            header_text(headers, "x-amz-security-token")?.map(str::to_string),
            Location::Headers,
            payload,
        )
    }

    fn from_query(query: &[(String, String)]) -> Result<Claim, Refusal> {
        let param = |name: &str| -> Result<&str, Refusal> {
            let mut values = query.iter().filter(|(n, _)| n == name);
            match (values.next(), values.next()) {
                (Some((_, value)), None) => Ok(value),
                (None, _) => Err(Refusal::Malformed(format!(
                    "the presigned URL has no {name}"
                ))),
                (Some(_), Some(_)) => Err(Refusal::Malformed(format!(
                    "the presigned URL has {name} twice"
                ))),
            }
        };
        let algorithm = param("X-Amz-Algorithm")?;
        if algorithm != ALGORITHM {
            return Err(Refusal::Unsupported(format!(
                "the signature algorithm {algorithm} (only {ALGORITHM} is checked)"
            )));
        }
        let expires = param("X-Amz-Expires")?;
        let expires_in = expires
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs)
            .filter(|e| !e.is_zero() && *e <= MAX_EXPIRES)
            .ok_or_else(|| {
                Refusal::Malformed(format!(
                    "X-Amz-Expires is {expires:?}: it must be 1 to {} seconds",
                    MAX_EXPIRES.as_secs()
                ))
            })?;
        let credential = param("X-Amz-Credential")?;
        let service = credential.split('/').nth(3).unwrap_or_default();
        let session_token = query
            .iter()
            .find(|(name, _)| name == "X-Amz-Security-Token")
            .map(|(_, token)| token.clone());
        Self::assemble(
            credential,
            param("X-Amz-SignedHeaders")?,
            param("X-Amz-Signature")?,
            param("X-Amz-Date")?,
            session_token,
            Location::Query { expires_in },
            // S3's presigned URLs leave the body out; any other service's sign it.
            if service == S3 {
                PayloadClaim::Unsigned
            } else {
                PayloadClaim::Signed
            },
        )
    }

    fn assemble(
        credential: &str,
        signed_headers: &str,
        signature: &str,
        amz_date: &str,
        session_token: Option<String>,
        location: Location,
        payload: PayloadClaim,
    ) -> Result<Claim, Refusal> {
        let parts: Vec<&str> = credential.split('/').collect();
        let [access_key_id, date, region, service, "aws4_request"] = parts[..] else {
            return Err(Refusal::Malformed(format!(
                "the credential {credential:?} is not KEY/DATE/REGION/SERVICE/aws4_request"
            )));
        };
        let signed_at =
            NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ").map_err(|_| {
                Refusal::Malformed(format!(
                    "the signing time {amz_date:?} is not YYYYMMDDTHHMMSSZ"
                ))
            })?;
        if date.len() != 8 || !amz_date.starts_with(date) {
            return Err(Refusal::Malformed(format!(
                "the credential's date {date} is not the signing time's {amz_date}"
            )));
        }
        let signed_headers: Vec<String> = signed_headers.split(';').map(str::to_string).collect();
        if signed_headers
            .iter()
            .any(|name| name.is_empty() || *name != name.to_ascii_lowercase())
        {
            return Err(Refusal::Malformed(
                "the signed headers must be lower-case names separated by `;`".into(),
            ));
        }
        if !signed_headers.iter().any(|name| name == "host") {
            return Err(Refusal::Malformed(
                "the signature must cover the host header".into(),
            ));
        }
        Ok(Claim {
            access_key_id: access_key_id.to_string(),
            region: region.to_string(),
            service: service.to_string(),
            session_token,
            signed_at: Utc.from_utc_datetime(&signed_at).into(),
            signed_headers,
            location,
            scope_date: date.to_string(),
            signature: signature.to_string(),
            payload,
        })
    }

    /// Whether checking the signature takes the body (its hash is signed). When it does
    /// not, the caller may stream the body on unread.
    pub fn needs_body(&self) -> bool {
        self.payload == PayloadClaim::Signed
    }

    /// Accepts the request if `secret` (the secret of [`Claim::access_key_id`]) made its
    /// signature, within `max_skew` of `now` (and, presigned, before it expires).
    pub fn verify(
        &self,
        secret: &str,
        request: &Received<'_>,
        now: SystemTime,
        max_skew: Duration,
    ) -> Result<(), Refusal> {
        self.check_time(now, max_skew)?;
        let body = match self.payload {
            PayloadClaim::Signed => SignableBody::Bytes(request.body.ok_or_else(|| {
                Refusal::Unsupported("the body was not read, and its hash is signed".into())
            })?),
            PayloadClaim::Unsigned => SignableBody::UnsignedPayload,
            PayloadClaim::StreamingUnsignedTrailer => SignableBody::StreamingUnsignedPayloadTrailer,
        };
        // What the signer adds itself (the time, the session token) is left to it. A
        // header sent more than once is signed as its values joined by commas.
        let mut values = Vec::with_capacity(self.signed_headers.len());
        for name in &self.signed_headers {
            if matches!(name.as_str(), "x-amz-date" | "x-amz-security-token") {
                continue;
            }
            let all: Vec<&str> = request
                .headers
                .get_all(name.as_str())
                .iter()
                .map(|value| {
                    value
                        .to_str()
                        .map_err(|_| Refusal::Malformed(format!("the `{name}` header is not text")))
                })
                .collect::<Result<_, _>>()?;
            if all.is_empty() {
                return Err(Refusal::Malformed(format!(
                    "the signed header `{name}` is missing"
                )));
            }
            values.push((name.as_str(), all.join(",")));
        }
        let headers: Vec<(&str, &str)> = values
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let host = header_text(request.headers, "host")?
            .ok_or_else(|| Refusal::Malformed("the host header is missing".into()))?;
        let url = format!("http://{host}{}", self.signed_path_and_query(request));
        let token_mode = match self.location {
            Location::Query { .. } => SessionTokenMode::Include,
            Location::Headers
                if self
                    .signed_headers
                    .iter()
                    .any(|h| h == "x-amz-security-token") =>
            {
                SessionTokenMode::Include
            }
            Location::Headers => SessionTokenMode::Exclude,
        };
        let placement = match self.location {
            Location::Headers => Placement::Headers,
            Location::Query { expires_in } => Placement::Query { expires_in },
        };
        let credentials = Credentials::new(
            &self.access_key_id,
            secret,
            self.session_token.clone(),
            None,
            "signature-check",
        );
        let scope = Scope {
            service: &self.service,
            region: &self.region,
            time: self.signed_at,
        };
        let signed = Signable {
            method: request.method,
            url: &url,
            headers: &headers,
            body,
        };
        let settings = settings(&self.service, placement, token_mode, false);
        let ours = sign_with(credentials, scope, settings, signed)
            .map_err(|e| Refusal::Malformed(format!("the request cannot be signed again: {e}")))?;
        if bool::from(ours.signature.as_bytes().ct_eq(self.signature.as_bytes())) {
            Ok(())
        } else {
            Err(Refusal::Mismatch(
                "The request signature we calculated does not match the signature you provided. \
                 Check your key and signing method."
                    .into(),
            ))
        }
    }

    fn check_time(&self, now: SystemTime, max_skew: Duration) -> Result<(), Refusal> {
        let date = &self.scope_date;
        match self.location {
            Location::Headers => {
                let skew = now
                    .duration_since(self.signed_at)
                    .unwrap_or_else(|early| early.duration());
                if skew > max_skew {
                    return Err(Refusal::Expired(format!(
                        "the request was signed on {date} more than {} s from now",
                        max_skew.as_secs()
                    )));
                }
            }
            Location::Query { expires_in } => {
                if self.signed_at > now + max_skew {
                    return Err(Refusal::Expired(
                        "the presigned URL is signed in the future".into(),
                    ));
                }
                if now > self.signed_at + expires_in {
                    return Err(Refusal::Expired("Request has expired".into()));
                }
            }
        }
        Ok(())
    }

    /// The path and query the signature covers: a presigned URL's own parameters left out
    /// (the signer puts them back), the rest exactly as sent.
    fn signed_path_and_query(&self, request: &Received<'_>) -> String {
        let target = request.path_and_query;
        if matches!(self.location, Location::Headers) {
            return target.to_string();
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .filter(|pair| {
                let name = pair.split('=').next().unwrap_or_default();
                let name = form_urlencoded::parse(name.as_bytes())
                    .next()
                    .map(|(name, _)| name.into_owned())
                    .unwrap_or_default();
                !SIGNATURE_PARAMS.contains(&name.as_str())
            })
            .collect();
        if kept.is_empty() {
            path.to_string()
        } else {
            format!("{path}?{}", kept.join("&"))
        }
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, Refusal> {
    headers
        .get(name)
        .map(|value| {
            value
                .to_str()
                .map_err(|_| Refusal::Malformed(format!("the `{name}` header is not text")))
        })
        .transpose()
}

fn query_of(path_and_query: &str) -> Vec<(String, String)> {
    let query = path_and_query.split_once('?').map_or("", |(_, q)| q);
    form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::{sign, Payload, Placement, Scope};
    use super::*;

    const KEY: &str = "AKIDEXAMPLE";
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// The headers of a POST to `service` signed as `payload` says, with
    /// `x-amz-content-sha256: content_sha256` (signed too) if given.
    fn signed(service: &str, content_sha256: Option<&str>, payload: Payload<'_>) -> HeaderMap {
        let url = "http://127.0.0.1:4566/";
        let headers: Vec<(&str, &str)> = content_sha256
            .map(|value| ("x-amz-content-sha256", value))
            .into_iter()
            .collect();
        let credentials = Credentials::new(KEY, SECRET, None, None, "test");
        let scope = Scope {
            service,
            region: "us-east-1",
            time: SystemTime::now(),
        };
        let signature = sign(
            credentials,
            scope,
            Placement::Headers,
            "POST",
            url,
            &headers,
            payload,
        )
        .unwrap();
        let mut map = HeaderMap::new();
        map.insert("host", "127.0.0.1:4566".parse().unwrap());
        for (name, value) in headers.iter().map(|(n, v)| (n.to_string(), v.to_string())) {
            map.insert(
                http::HeaderName::try_from(name).unwrap(),
                value.parse().unwrap(),
            );
        }
        for (name, value) in signature.headers {
            map.insert(
                http::HeaderName::try_from(name).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn check(headers: &HeaderMap, body: Option<&[u8]>) -> (bool, Result<(), Refusal>) {
        let request = Received {
            method: "POST",
            path_and_query: "/",
            headers,
            body,
        };
        let claim = Claim::read(&request).unwrap().unwrap();
        let needs_body = claim.needs_body();
        let verdict = claim.verify(
            SECRET,
            &request,
            SystemTime::now(),
            Duration::from_secs(900),
        );
        (needs_body, verdict)
    }

    #[test]
    fn an_unsigned_payload_is_honoured_for_s3_alone() {
        for unsigned in [UNSIGNED_PAYLOAD, STREAMING_UNSIGNED_PAYLOAD_TRAILER] {
            let payload = match unsigned {
                UNSIGNED_PAYLOAD => Payload::Unsigned,
                _ => Payload::StreamingUnsignedTrailer,
            };
            // S3: the body streams past unread, whatever it is.
            let headers = signed(S3, Some(unsigned), payload);
            assert_eq!(check(&headers, None), (false, Ok(())), "{unsigned}");

            // Any other service: the body's hash is the one signed, whatever the header says.
            let headers = signed("sqs", Some(unsigned), payload);
            let (needs_body, verdict) = check(&headers, Some(b"{\"changed\":true}"));
            assert!(needs_body, "{unsigned}");
            assert!(matches!(verdict, Err(Refusal::Mismatch(_))), "{verdict:?}");
        }
        let body = b"{\"QueueUrl\":\"q\"}";
        let headers = signed("sqs", None, Payload::Bytes(body));
        assert_eq!(check(&headers, Some(body)), (true, Ok(())));
    }
}
