//! Signed URLs of the local blob store: an HMAC-SHA256 over everything the ticket
//! promises, so a phone cannot stretch the expiry, swap the key, or change the
//! content type or size it was granted.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::fmt;

/// Query parameters of a signed URL.
pub const EXPIRES_PARAM: &str = "X-Wisaw-Expires";
pub const CONTENT_TYPE_PARAM: &str = "X-Wisaw-Content-Type";
pub const CONTENT_LENGTH_PARAM: &str = "X-Wisaw-Content-Length";
pub const SIGNATURE_PARAM: &str = "X-Wisaw-Signature";

/// Why the store refuses a request to a signed URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// The key is not one the store accepts (see the module `keys`).
    InvalidKey(String),
    /// A signing parameter is absent or unreadable.
    MissingSignature,
    /// The signature does not match the key, expiry and (for PUT) content type and length.
    BadSignature,
    Expired {
        expired_at: DateTime<Utc>,
    },
    /// The request's Content-Type header differs from the ticket's.
    ContentTypeMismatch {
        expected: String,
        got: Option<String>,
    },
    /// The request's Content-Length header differs from the ticket's.
    LengthMismatch {
        expected: u64,
        got: u64,
    },
    /// The body went on past the ticket's length (nothing was stored).
    BodyTooLong {
        expected: u64,
    },
    /// The body ended before the ticket's length (nothing was stored).
    BodyTooShort {
        expected: u64,
        got: u64,
    },
}

impl Refusal {
    /// The HTTP status to answer with: 400 for a bad key or a body shorter than promised,
    /// 413 for a body (or Content-Length) longer than promised, 403 for everything the
    /// signature guards (a missing or bad signature, an expired ticket, another content type).
    pub fn status_code(&self) -> u16 {
        match self {
            Self::InvalidKey(_) | Self::BodyTooShort { .. } => 400,
            Self::LengthMismatch { expected, got } if got < expected => 400,
            Self::LengthMismatch { .. } | Self::BodyTooLong { .. } => 413,
            Self::MissingSignature
            | Self::BadSignature
            | Self::Expired { .. }
            | Self::ContentTypeMismatch { .. } => 403,
        }
    }

    /// A stable code, named as S3 names the same refusal.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidKey(_) => "InvalidArgument",
            Self::MissingSignature | Self::Expired { .. } => "AccessDenied",
            Self::BadSignature | Self::ContentTypeMismatch { .. } => "SignatureDoesNotMatch",
            Self::LengthMismatch { expected, got } if got < expected => "IncompleteBody",
            Self::LengthMismatch { .. } | Self::BodyTooLong { .. } => "EntityTooLarge",
            Self::BodyTooShort { .. } => "IncompleteBody",
        }
    }
}

/// Each refusal as a sentence for the person behind the client: it names what the
/// ticket allows and what the request did.
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidKey(why) => f.write_str(why),
            Self::MissingSignature => {
                f.write_str("The URL is not signed: a signing parameter is missing or unreadable.")
            }
            Self::BadSignature => f.write_str(
                "The URL's signature does not match: the URL was changed after it was signed.",
            ),
            Self::Expired { expired_at } => {
                write!(f, "The URL expired at {}.", expired_at.to_rfc3339())
            }
            Self::ContentTypeMismatch {
                expected,
                got: Some(got),
            } => write!(
                f,
                "The ticket is for Content-Type {expected}; the request sent {got}."
            ),
            Self::ContentTypeMismatch {
                expected,
                got: None,
            } => write!(
                f,
                "The ticket is for Content-Type {expected}; the request sent no Content-Type."
            ),
            Self::LengthMismatch { expected, got } => write!(
                f,
                "The ticket is for {expected} bytes; the request announced {got}."
            ),
            Self::BodyTooLong { expected } => {
                write!(f, "The body is longer than the ticket's {expected} bytes.")
            }
            Self::BodyTooShort { expected, got } => {
                write!(f, "The body has {got} bytes; the ticket is for {expected}.")
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// What a verified PUT ticket allows: write exactly this.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutTicket {
    pub content_type: String,
    pub content_length: u64,
}

/// Signs and checks URLs with one secret.
#[derive(Clone)]
pub struct Signer {
    secret: Vec<u8>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer { secret: <hidden> }")
    }
}

/// What a signature covers. Keys and content types cannot hold a newline (keys are
/// checked, content types are refused at signing), so the fields cannot be shifted.
fn put_string(key: &str, content_type: &str, content_length: u64, expires: i64) -> String {
    format!("PUT\n{key}\n{content_type}\n{content_length}\n{expires}")
}

fn get_string(key: &str, expires: i64) -> String {
    format!("GET\n{key}\n{expires}")
}

fn param<'a>(query: &'a HashMap<String, String>, name: &str) -> Result<&'a str, Refusal> {
    query
        .get(name)
        .map(String::as_str)
        .ok_or(Refusal::MissingSignature)
}

fn number<T: std::str::FromStr>(query: &HashMap<String, String>, name: &str) -> Result<T, Refusal> {
    param(query, name)?
        .parse()
        .map_err(|_| Refusal::MissingSignature)
}

impl Signer {
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self {
            secret: secret.as_ref().to_vec(),
        }
    }

    fn mac(&self, text: &str) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.secret).expect("HMAC accepts keys of any length");
        mac.update(text.as_bytes());
        mac
    }

    fn sign(&self, text: &str) -> String {
        hex::encode(self.mac(text).finalize().into_bytes())
    }

    /// Compares in constant time, so the signature cannot be guessed byte by byte.
    fn check(&self, text: &str, query: &HashMap<String, String>) -> Result<(), Refusal> {
        let signature =
            hex::decode(param(query, SIGNATURE_PARAM)?).map_err(|_| Refusal::BadSignature)?;
        self.mac(text)
            .verify_slice(&signature)
            .map_err(|_| Refusal::BadSignature)
    }

    /// The query parameters of a signed PUT, in URL order.
    pub fn put_params(
        &self,
        key: &str,
        content_type: &str,
        content_length: u64,
        expires: i64,
    ) -> Vec<(&'static str, String)> {
        let signature = self.sign(&put_string(key, content_type, content_length, expires));
        vec![
            (EXPIRES_PARAM, expires.to_string()),
            (CONTENT_TYPE_PARAM, content_type.to_string()),
            (CONTENT_LENGTH_PARAM, content_length.to_string()),
            (SIGNATURE_PARAM, signature),
        ]
    }

    pub fn get_params(&self, key: &str, expires: i64) -> Vec<(&'static str, String)> {
        let signature = self.sign(&get_string(key, expires));
        vec![
            (EXPIRES_PARAM, expires.to_string()),
            (SIGNATURE_PARAM, signature),
        ]
    }

    /// Checks a PUT against its URL's (decoded) query and the request's headers.
    /// A missing Content-Length header (a chunked body) passes here; the body's
    /// length is then enforced while it is written.
    pub fn verify_put(
        &self,
        key: &str,
        query: &HashMap<String, String>,
        content_type_header: Option<&str>,
        content_length_header: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<PutTicket, Refusal> {
        let expires: i64 = number(query, EXPIRES_PARAM)?;
        let content_type = param(query, CONTENT_TYPE_PARAM)?;
        let content_length: u64 = number(query, CONTENT_LENGTH_PARAM)?;
        self.check(
            &put_string(key, content_type, content_length, expires),
            query,
        )?;
        check_expiry(expires, now)?;
        if content_type_header != Some(content_type) {
            return Err(Refusal::ContentTypeMismatch {
                expected: content_type.to_string(),
                got: content_type_header.map(str::to_string),
            });
        }
        if let Some(got) = content_length_header.filter(|got| *got != content_length) {
            return Err(Refusal::LengthMismatch {
                expected: content_length,
                got,
            });
        }
        Ok(PutTicket {
            content_type: content_type.to_string(),
            content_length,
        })
    }

    pub fn verify_get(
        &self,
        key: &str,
        query: &HashMap<String, String>,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let expires: i64 = number(query, EXPIRES_PARAM)?;
        self.check(&get_string(key, expires), query)?;
        check_expiry(expires, now)
    }
}

/// A URL is good until its expiry second, excluded.
fn check_expiry(expires: i64, now: DateTime<Utc>) -> Result<(), Refusal> {
    if now.timestamp() >= expires {
        let expired_at = DateTime::from_timestamp(expires, 0).unwrap_or(DateTime::<Utc>::MIN_UTC);
        return Err(Refusal::Expired { expired_at });
    }
    Ok(())
}
