//! Checks a SigV4-signed publish as AppSync Events' IAM authorization does: the request
//! is signed again, by the publisher's own signing (`wisaw_adapters::aws::sign_request`,
//! the `aws-sigv4` crate), with the secret of the access key it
//! names, over the headers it says it signed, and the two signatures must be equal.
//! Only the `Authorization` header's fields are read by hand (no crate parses them).

use aws_credential_types::Credentials;
use axum::http::HeaderMap;
use chrono::{NaiveDateTime, TimeZone, Utc};
use std::time::{Duration, SystemTime};
use wisaw_adapters::aws::{sign_request, SignableParts, SIGNING_SERVICE as SERVICE};

/// How far a request's `x-amz-date` may be from now (SigV4's usual window).
const MAX_SKEW: Duration = Duration::from_secs(5 * 60);

/// The one access key allowed to publish: the local stand-in for the notify function's role.
#[derive(Clone)]
pub struct PublisherKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

impl std::fmt::Debug for PublisherKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublisherKey")
            .field("access_key_id", &self.access_key_id)
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}

/// The fields of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse_authorization(value: &str) -> Option<Authorization<'_>> {
    let fields = value.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for field in fields.split(',') {
        let (name, value) = field.trim().split_once('=')?;
        match name {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let mut scope = credential?.split('/');
    let (access_key_id, date, region, service, terminator) = (
        scope.next()?,
        scope.next()?,
        scope.next()?,
        scope.next()?,
        scope.next()?,
    );
    if terminator != "aws4_request" || scope.next().is_some() {
        return None;
    }
    Some(Authorization {
        access_key_id,
        date,
        region,
        service,
        signed_headers: signed_headers?.split(';').collect(),
        signature: signature?,
    })
}

/// Why a publish was refused, in words for the answer.
pub type Refusal = String;

/// Accepts the request if `key` signed it, for `expected_host`, within [`MAX_SKEW`] of
/// `now`.
pub fn verify(
    key: &PublisherKey,
    expected_host: &str,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), Refusal> {
    let header = |name: &str| -> Result<&str, Refusal> {
        headers
            .get(name)
            .ok_or_else(|| format!("the `{name}` header is missing"))?
            .to_str()
            .map_err(|_| format!("the `{name}` header is not text"))
    };
    let authorization = parse_authorization(header("authorization")?)
        .ok_or("the `authorization` header is not a SigV4 signature")?;
    if authorization.access_key_id != key.access_key_id {
        return Err("the access key may not publish here".into());
    }
    if authorization.service != SERVICE || authorization.region != key.region {
        return Err(format!(
            "the signature is for {}/{}, not {SERVICE}/{}",
            authorization.service, authorization.region, key.region
        ));
    }
    for required in ["host", "x-amz-date"] {
        if !authorization.signed_headers.contains(&required) {
            return Err(format!("the signature must cover the `{required}` header"));
        }
    }
    if header("host")? != expected_host {
        return Err(format!(
            "the request is not for this endpoint's host {expected_host:?}"
        ));
    }
    let amz_date = header("x-amz-date")?;
    let signed_at = NaiveDateTime::parse_from_str(amz_date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| "the `x-amz-date` header is not a SigV4 time".to_string())?;
    if !amz_date.starts_with(authorization.date) || authorization.date.len() != 8 {
        return Err("the signature's date is not the request's".into());
    }
    let signed_at: SystemTime = Utc.from_utc_datetime(&signed_at).into();
    let skew = now
        .duration_since(signed_at)
        .unwrap_or_else(|early| early.duration());
    if skew > MAX_SKEW {
        return Err("the request was signed too long ago, or in the future".into());
    }

    // What the signer adds itself (the date, the session token) is left to it. A header
    // sent more than once is signed as its values joined by commas.
    let mut values = Vec::new();
    for name in &authorization.signed_headers {
        if matches!(*name, "x-amz-date" | "x-amz-security-token") {
            continue;
        }
        let all: Vec<&str> = headers
            .get_all(*name)
            .iter()
            .map(|value| {
                value
                    .to_str()
                    .map_err(|_| format!("the `{name}` header is not text"))
            })
            .collect::<Result<_, _>>()?;
        if all.is_empty() {
            return Err(format!("the signed header `{name}` is missing"));
        }
        values.push((*name, all.join(",")));
    }
    let signed: Vec<(&str, &str)> = values
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let session_token = if authorization
        .signed_headers
        .contains(&"x-amz-security-token")
    {
        Some(header("x-amz-security-token")?.to_string())
    } else {
        None
    };
    let credentials = Credentials::new(
        &key.access_key_id,
        &key.secret_access_key,
        session_token,
        None,
        "wisaw-local",
    );
    let host = header("host")?;
    let url = format!("http://{host}{path_and_query}");
    let ours = sign_request(
        credentials,
        &key.region,
        signed_at,
        SignableParts {
            method,
            url: &url,
            headers: &signed,
            body,
        },
    )
    .map_err(|e| format!("the request cannot be signed: {e}"))?;
    // The headers the signer covered must be the ones the request says were signed: a
    // header it would leave out (user-agent, say) cannot be claimed as covered.
    let covered = ours
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| parse_authorization(value))
        .map(|ours| ours.signed_headers.join(";"));
    if covered.as_deref() != Some(authorization.signed_headers.join(";").as_str()) {
        return Err("the signed headers are not the ones SigV4 signs".into());
    }
    if !same_bytes(
        ours.signature.as_bytes(),
        authorization.signature.as_bytes(),
    ) {
        return Err("the signature does not match the request".into());
    }
    Ok(())
}

/// Compares in time independent of where the two first differ.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderName, HeaderValue};

    fn key() -> PublisherKey {
        PublisherKey {
            access_key_id: "AKIDLOCAL".into(),
            secret_access_key: "a secret".into(),
            region: "local".into(),
        }
    }

    /// A request signed as the publisher signs it, as the server sees it.
    fn signed(key: &PublisherKey, body: &[u8], at: SystemTime) -> HeaderMap {
        let credentials =
            Credentials::new(&key.access_key_id, &key.secret_access_key, None, None, "t");
        let headers = [("content-type", "application/json")];
        let signature = sign_request(
            credentials,
            &key.region,
            at,
            SignableParts {
                method: "POST",
                url: "http://127.0.0.1:3000/event",
                headers: &headers,
                body,
            },
        )
        .unwrap();
        let mut map = HeaderMap::new();
        let all = headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .chain(signature.headers);
        for (name, value) in all {
            map.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(&value).unwrap(),
            );
        }
        map.insert("host", HeaderValue::from_static("127.0.0.1:3000"));
        map
    }

    fn check(headers: &HeaderMap, body: &[u8], now: SystemTime) -> Result<(), Refusal> {
        verify(
            &key(),
            "127.0.0.1:3000",
            "POST",
            "/event",
            headers,
            body,
            now,
        )
    }

    #[test]
    fn the_publishers_signature_is_accepted_and_any_change_refused() {
        let now = SystemTime::now();
        let body = br#"{"channel":"/devices/x","events":["{}"]}"#;
        let headers = signed(&key(), body, now);
        assert_eq!(check(&headers, body, now), Ok(()));

        assert!(check(
            &headers,
            br#"{"channel":"/devices/y","events":["{}"]}"#,
            now
        )
        .is_err());
        assert!(verify(
            &key(),
            "elsewhere:3000",
            "POST",
            "/event",
            &headers,
            body,
            now
        )
        .is_err());
        assert!(
            check(&headers, body, now + Duration::from_secs(6 * 60)).is_err(),
            "stale"
        );
        let mut other = key();
        other.secret_access_key = "another".into();
        assert!(check(&signed(&other, body, now), body, now).is_err());

        // Claiming a header as signed that SigV4 would not sign changes nothing it covers.
        let mut claimed = headers.clone();
        let authorization = claimed["authorization"].to_str().unwrap().replace(
            "SignedHeaders=content-type;host;x-amz-date",
            "SignedHeaders=content-type;host;user-agent;x-amz-date",
        );
        assert_ne!(authorization, claimed["authorization"].to_str().unwrap());
        claimed.insert(
            "authorization",
            HeaderValue::from_str(&authorization).unwrap(),
        );
        claimed.insert("user-agent", HeaderValue::from_static("anything"));
        assert!(check(&claimed, body, now).is_err(), "{authorization}");

        // A signed header sent twice is not the header that was signed.
        let mut doubled = headers.clone();
        doubled.append("content-type", HeaderValue::from_static("text/plain"));
        assert!(check(&doubled, body, now).is_err());

        let mut unsigned = headers;
        unsigned.remove("authorization");
        assert!(check(&unsigned, body, now).is_err());
    }
}
