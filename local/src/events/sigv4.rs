//! `wisaw serve`'s publish check: the one publisher key, SigV4-signed, as AppSync Events'
//! IAM authorization checks a signature. The request is signed again by the SDK's own
//! signer with the key's secret and compared (`wisaw_adapters::aws::sigv4`, the same check
//! the stage's IAM makes); here only which key, service, region and host it names are
//! held to the one publisher.

use axum::http::HeaderMap;
use std::time::{Duration, SystemTime};
use wisaw_adapters::aws::sigv4::{Claim, Location, Received};
use wisaw_adapters::aws::{PublishAttempt, PublishAuthorizer, SIGNING_SERVICE as SERVICE};

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

/// `wisaw serve`'s publish check, the default: the one publisher key.
impl PublishAuthorizer for PublisherKey {
    fn authorize(&self, attempt: &PublishAttempt<'_>) -> Result<(), String> {
        verify(
            self,
            attempt.host,
            attempt.method,
            attempt.path_and_query,
            attempt.headers,
            attempt.body,
            attempt.now,
        )
    }
}

/// Why a publish was refused, in words for the answer.
pub type Refusal = String;

/// Accepts the request if `key` signed it in its headers, for `expected_host`, within
/// [`MAX_SKEW`] of `now`.
pub fn verify(
    key: &PublisherKey,
    expected_host: &str,
    method: &str,
    path_and_query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<(), Refusal> {
    let request = Received {
        method,
        path_and_query,
        headers,
        body: Some(body),
    };
    let claim = Claim::read(&request)
        .map_err(|refusal| refusal.to_string())?
        .ok_or("the `authorization` header is missing")?;
    if claim.location != Location::Headers {
        return Err("a publish is signed in its headers, not its query".into());
    }
    if claim.access_key_id != key.access_key_id {
        return Err("the access key may not publish here".into());
    }
    if claim.service != SERVICE || claim.region != key.region {
        return Err(format!(
            "the signature is for {}/{}, not {SERVICE}/{}",
            claim.service, claim.region, key.region
        ));
    }
    if !claim.signed_headers.iter().any(|name| name == "x-amz-date") {
        return Err("the signature must cover the `x-amz-date` header".into());
    }
    let host = headers.get("host").and_then(|host| host.to_str().ok());
    if host != Some(expected_host) {
        return Err(format!(
            "the request is not for this endpoint's host {expected_host:?}"
        ));
    }
    claim
        .verify(&key.secret_access_key, &request, now, MAX_SKEW)
        .map_err(|refusal| refusal.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_credential_types::Credentials;
    use axum::http::{HeaderName, HeaderValue};
    use wisaw_adapters::aws::{sign_request, SignableParts};

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
