//! `GET /openapi.json`: the contract's OpenAPI description (docs/openapi.yaml), as JSON.
//! The YAML is compiled in and converted once, at the first request.

use crate::problem::Problem;
use axum::response::{IntoResponse, Response};
use axum::Json;
use std::sync::LazyLock;

const SOURCE: &str = include_str!("../../docs/openapi.yaml");

static DESCRIPTION: LazyLock<Result<serde_json::Value, String>> =
    LazyLock::new(|| serde_norway::from_str(SOURCE).map_err(|e| e.to_string()));

/// The description as JSON, or why it cannot be read.
pub fn parsed() -> Result<&'static serde_json::Value, &'static str> {
    DESCRIPTION.as_ref().map_err(String::as_str)
}

pub async fn description() -> Response {
    match parsed() {
        Ok(json) => Json(json).into_response(),
        Err(error) => {
            tracing::error!(%error, "docs/openapi.yaml does not parse");
            Problem::internal().into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_description_parses_and_is_openapi() {
        let json = super::parsed().unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3."));
        assert!(json["paths"]["/v1/feed"]["get"].is_object());
    }
}
