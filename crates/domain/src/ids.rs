//! Identifiers. Both are UUIDs on the wire (see the API contract).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

uuid_id!(
    /// One photo, from its upload ticket to its deletion.
    PhotoId
);
uuid_id!(
    /// The phone that owns a photo or files an abuse report.
    DeviceId
);

impl PhotoId {
    /// Where the phone uploads the original.
    pub fn upload_key(&self) -> String {
        format!("uploads/{self}")
    }
    pub fn thumb_key(&self) -> String {
        format!("photos/{self}/thumb.webp")
    }
    pub fn display_key(&self) -> String {
        format!("photos/{self}/display.webp")
    }
    /// The photo id of an `uploads/{photoId}` key, as S3 reports it.
    pub fn from_upload_key(key: &str) -> Option<Self> {
        key.strip_prefix("uploads/")?.parse().ok()
    }

    /// The name of this photo's execution for `attempt` (see [`ExecutionName`]).
    pub fn execution_name(&self, attempt: u32) -> String {
        ExecutionName {
            photo: *self,
            attempt,
        }
        .to_string()
    }
}

/// A photo's execution: named after the photo for the first run, `{photoId}-replay-{n}`
/// for the n-th replay, so a duplicate start of the same attempt is "already exists".
/// Formatted and read here only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ExecutionName {
    pub photo: PhotoId,
    /// 0 for the first run, n for the n-th replay.
    pub attempt: u32,
}

const REPLAY_INFIX: &str = "-replay-";

impl fmt::Display for ExecutionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.attempt {
            0 => write!(f, "{}", self.photo),
            attempt => write!(f, "{}{REPLAY_INFIX}{attempt}", self.photo),
        }
    }
}

/// The name is not one this pipeline gives its executions.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a photo's execution name (PHOTO_ID or PHOTO_ID-replay-N)")]
pub struct NotAnExecutionName(pub String);

impl FromStr for ExecutionName {
    type Err = NotAnExecutionName;

    /// Only the form [`fmt::Display`] writes: `{photoId}` or `{photoId}-replay-{n}`, n ≥ 1.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let refused = || NotAnExecutionName(name.to_string());
        let (photo, attempt) = match name.split_once(REPLAY_INFIX) {
            None => (name, 0),
            Some((photo, attempt)) => (photo, attempt.parse().map_err(|_| refused())?),
        };
        let parsed = Self {
            photo: photo.parse().map_err(|_| refused())?,
            attempt,
        };
        // One spelling per execution: no `-replay-0`, no leading zeros, the id in lowercase.
        if parsed.to_string() == name {
            Ok(parsed)
        } else {
            Err(refused())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_execution_names_derive_from_the_photo_id() {
        let id: PhotoId = "0b6f5c2e-7a8d-4c1e-9f00-123456789abc".parse().unwrap();
        assert_eq!(
            id.upload_key(),
            "uploads/0b6f5c2e-7a8d-4c1e-9f00-123456789abc"
        );
        assert_eq!(PhotoId::from_upload_key(&id.upload_key()), Some(id));
        assert_eq!(PhotoId::from_upload_key("photos/x"), None);
        assert_eq!(id.execution_name(0), id.to_string());
        assert_eq!(id.execution_name(2), format!("{id}-replay-2"));
    }

    #[test]
    fn an_execution_name_reads_back_as_written_and_nothing_else_does() {
        let photo: PhotoId = "0b6f5c2e-7a8d-4c1e-9f00-123456789abc".parse().unwrap();
        for attempt in [0, 1, 12] {
            let name = ExecutionName { photo, attempt };
            assert_eq!(name.to_string().parse(), Ok(name));
        }
        for other in [
            "",
            "not-a-photo",
            "0b6f5c2e-7a8d-4c1e-9f00-123456789abc-replay-",
            "0b6f5c2e-7a8d-4c1e-9f00-123456789abc-replay-0",
            "0b6f5c2e-7a8d-4c1e-9f00-123456789abc-replay-01",
            "0b6f5c2e-7a8d-4c1e-9f00-123456789abc-replay-x",
            "0B6F5C2E-7A8D-4C1E-9F00-123456789ABC",
            "0b6f5c2e-7a8d-4c1e-9f00-123456789abc-retry-1",
        ] {
            assert!(other.parse::<ExecutionName>().is_err(), "{other:?}");
        }
    }
}
