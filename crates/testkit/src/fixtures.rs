//! The recorded events a package keeps in `tests/fixtures/events/`.

use serde::de::DeserializeOwned;

/// The event file `name` of the package at `manifest_dir` (its `CARGO_MANIFEST_DIR`),
/// read as a `T`.
pub fn event_fixture<T: DeserializeOwned>(manifest_dir: &str, name: &str) -> T {
    let path = format!("{manifest_dir}/tests/fixtures/events/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{path} is no {}: {e}", std::any::type_name::<T>()))
}
