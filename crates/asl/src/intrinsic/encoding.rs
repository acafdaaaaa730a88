//! The functions over a string's bytes: States.Base64Encode, Base64Decode and
//! Hash, each limited to 10,000 characters of data.

use super::argument_checks::{exactly, string};
use base64::Engine as _;
use serde_json::Value;
use std::fmt::Write as _;

/// The data of Base64Encode, Base64Decode and Hash: at most this many characters.
const MAX_DATA_CHARS: usize = 10_000;

/// MIME decoders skip line breaks and tolerate missing padding.
const LENIENT_BASE64: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

pub(super) fn base64_encode(values: &[Value]) -> Result<Value, String> {
    let [data] = exactly::<1>(values)?;
    let data = string(data, "the data")?;
    within_data_limit(data, "the data")?;
    Ok(Value::String(
        base64::engine::general_purpose::STANDARD.encode(data),
    ))
}

pub(super) fn base64_decode(values: &[Value]) -> Result<Value, String> {
    let [encoded] = exactly::<1>(values)?;
    let encoded = string(encoded, "the data")?;
    within_data_limit(encoded, "the data")?;
    let compact: String = encoded.chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = LENIENT_BASE64
        .decode(compact)
        .map_err(|err| format!("the data is not Base64: {err}"))?;
    String::from_utf8(bytes)
        .map(Value::String)
        .map_err(|_| "the decoded data is not UTF-8 text".to_string())
}

pub(super) fn hash(values: &[Value]) -> Result<Value, String> {
    let [data, algorithm] = exactly::<2>(values)?;
    // The ASL spec limits "the stringified version" of the data: a string as it is,
    // anything else as its JSON text.
    let data = match data {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    within_data_limit(&data, "the data")?;
    let bytes = data.as_bytes();
    let hex = match string(algorithm, "the algorithm")? {
        "MD5" => hex_digest::<md5::Md5>(bytes),
        "SHA-1" => hex_digest::<sha1::Sha1>(bytes),
        "SHA-256" => hex_digest::<sha2::Sha256>(bytes),
        "SHA-384" => hex_digest::<sha2::Sha384>(bytes),
        "SHA-512" => hex_digest::<sha2::Sha512>(bytes),
        other => {
            return Err(format!(
                "the algorithm {other:?} is not one of MD5, SHA-1, SHA-256, SHA-384 and SHA-512"
            ))
        }
    };
    Ok(Value::String(hex))
}

fn hex_digest<D: sha2::Digest>(bytes: &[u8]) -> String {
    let mut hex = String::new();
    for byte in D::digest(bytes) {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

fn within_data_limit(text: &str, what: &str) -> Result<(), String> {
    let chars = text.chars().count();
    if chars > MAX_DATA_CHARS {
        return Err(format!(
            "{what} has {chars} characters; at most {MAX_DATA_CHARS} are allowed"
        ));
    }
    Ok(())
}
