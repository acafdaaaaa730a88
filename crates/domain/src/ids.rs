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

    /// Execution name: the photo id for the first run, `{photoId}-replay-{n}` for the
    /// n-th replay, so a duplicate start of the same attempt is "already exists".
    pub fn execution_name(&self, attempt: u32) -> String {
        if attempt == 0 {
            self.to_string()
        } else {
            format!("{self}-replay-{attempt}")
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
}
