//! JSON logs for CloudWatch: one object a line, with the fields of the enclosing
//! spans (the photo id, the Lambda request id) on every line, so that a Logs
//! Insights query on `photo_id` finds everything one photo went through.

use tracing_subscriber::EnvFilter;

/// Installs the JSON subscriber. `WISAW_LOG` (an env-filter) overrides the level.
pub fn init_json_logs() {
    let filter =
        EnvFilter::try_from_env("WISAW_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(true)
        // CloudWatch stamps each line already; the runtime's own time is kept for ordering
        // within one invocation, but colours would only be noise in a log group.
        .with_ansi(false)
        .with_target(false)
        .init();
}
