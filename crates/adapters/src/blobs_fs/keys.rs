//! Which object keys the local store accepts, and where they live on disk.

use std::path::PathBuf;

/// The key as a relative path, or why it is refused. Keys are `/`-separated segments of
/// ASCII letters, digits, `.`, `_` and `-` (every key the pipeline writes looks like
/// `uploads/{uuid}` or `photos/{uuid}/thumb.webp`); anything that could climb out of the
/// store's folder (`..`, an absolute path, an empty segment, a backslash) is refused.
pub fn key_path(key: &str) -> Result<PathBuf, String> {
    if key.is_empty() {
        return Err("An object key cannot be empty.".into());
    }
    let mut path = PathBuf::new();
    for segment in key.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." || !segment.chars().all(allowed)
        {
            return Err(format!(
                "The object key {key:?} is not a plain relative path."
            ));
        }
        path.push(segment);
    }
    Ok(path)
}

fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')
}

/// A key prefix as the folder it reaches down to and the start of the names in it:
/// `photos/abc/` is everything in `photos/abc`, `uploads/abc` every name in `uploads`
/// that starts with `abc`. An empty prefix would name the whole store and is refused,
/// as is one whose folder part is not a key the store accepts.
pub fn prefix_path(prefix: &str) -> Result<(PathBuf, String), String> {
    if prefix.is_empty() {
        return Err("A key prefix cannot be empty: it would name every object.".into());
    }
    let (folder, name_start) = match prefix.rsplit_once('/') {
        Some((folder, name_start)) => (key_path(folder)?, name_start),
        None => (PathBuf::new(), prefix),
    };
    if !name_start.chars().all(allowed) {
        return Err(format!(
            "The key prefix {prefix:?} is not a plain relative path."
        ));
    }
    Ok((folder, name_start.to_string()))
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

    #[test]
    fn a_prefix_is_a_folder_and_the_start_of_names_in_it() {
        use super::prefix_path;
        use std::path::PathBuf;
        assert_eq!(
            prefix_path("photos/abc/"),
            Ok((PathBuf::from("photos/abc"), String::new()))
        );
        assert_eq!(
            prefix_path("uploads/abc"),
            Ok((PathBuf::from("uploads"), "abc".to_string()))
        );
        assert_eq!(prefix_path("up"), Ok((PathBuf::new(), "up".to_string())));
        for bad in ["", "/", "../", "a/../", "a//b", "/etc/", "a/b c", "a\\b/"] {
            assert!(prefix_path(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
