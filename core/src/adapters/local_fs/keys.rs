//! Which object keys the local store accepts, and where they live on disk.

use std::path::PathBuf;

/// The key as a relative path, or why it is refused. Keys are `/`-separated segments of
/// ASCII letters, digits, `.`, `_` and `-` (every key the pipeline writes looks like
/// `uploads/{uuid}` or `photos/{uuid}/thumb.webp`); anything that could climb out of the
/// store's folder (`..`, an absolute path, an empty segment, a backslash) is refused.
pub fn key_path(key: &str) -> Result<PathBuf, String> {
    if key.is_empty() {
        return Err("an object key cannot be empty".into());
    }
    let mut path = PathBuf::new();
    for segment in key.split('/') {
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
        if segment.is_empty() || segment == "." || segment == ".." || !segment.chars().all(allowed)
        {
            return Err(format!(
                "the object key {key:?} is not a plain relative path"
            ));
        }
        path.push(segment);
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::key_path;

    #[test]
    fn pipeline_keys_pass_and_escapes_do_not() {
        assert!(key_path("uploads/0b6f5c2e-7a8d-4c1e-9f00-123456789abc").is_ok());
        assert!(key_path("photos/x/thumb.webp").is_ok());
        for bad in [
            "",
            "/etc/passwd",
            "a//b",
            "a/",
            "../a",
            "a/../b",
            "./a",
            "a\\b",
            "a b",
            "a/%2e%2e",
        ] {
            assert!(key_path(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
