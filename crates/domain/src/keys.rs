//! Keys of their own derived from one wider secret, one per purpose, so that a tag made
//! for one purpose (a feed cursor, a channel name, a publisher's signature) can never
//! stand for another's.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA-256(secret, purpose).
pub fn derived_key(secret: &[u8], purpose: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_purpose_and_secret_has_its_own_key() {
        let key = derived_key(b"secret", "feed-cursor");
        assert_eq!(key, derived_key(b"secret", "feed-cursor"));
        assert_ne!(key, derived_key(b"secret", "device-channel"));
        assert_ne!(key, derived_key(b"other", "feed-cursor"));
    }
}
