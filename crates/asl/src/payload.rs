//! Step Functions' payload quota: an execution's input, a task's result and input,
//! and a state's output are at most 256 KiB of UTF-8 JSON text.

use serde::Serialize;

pub const MAX_PAYLOAD_BYTES: usize = 262_144;

/// The length of `value`'s JSON text, counted as it is written, without keeping it.
pub fn json_len<T: Serialize + ?Sized>(value: &T) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Serializing a JSON value or plain data into a counter cannot fail.
    match serde_json::to_writer(&mut count, value) {
        Ok(()) => count.0,
        Err(_) => usize::MAX,
    }
}

/// Over the quota?
pub fn too_large<T: Serialize + ?Sized>(value: &T) -> bool {
    json_len(value) > MAX_PAYLOAD_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn counts_the_bytes_of_the_json_text() {
        for value in [
            json!(null),
            json!({"a": [1, "é", {"b": true}]}),
            json!("x".repeat(1000)),
        ] {
            assert_eq!(json_len(&value), value.to_string().len());
        }
        assert!(!too_large(&json!({"p": "x".repeat(MAX_PAYLOAD_BYTES - 8)})));
        assert!(too_large(&json!({"p": "x".repeat(MAX_PAYLOAD_BYTES - 7)})));
    }
}
