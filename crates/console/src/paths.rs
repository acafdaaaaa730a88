//! The console's paths, in one place: the router declares its routes with these, and
//! every link, form and redirect of the pages is built from them.

use std::fmt::Display;

pub const ROOT: &str = "/console";
pub const LOGIN: &str = "/console/login";
pub const PHOTOS: &str = "/console/photos";
pub const PHOTO: &str = "/console/photos/{id}";
pub const EXECUTIONS: &str = "/console/executions";
pub const EXECUTION: &str = "/console/executions/{name}";
pub const DEAD_LETTERS: &str = "/console/dlq";
pub const DRY_RUN: &str = "/console/dlq/dry-run";
pub const REPLAY: &str = "/console/dlq/replay";
pub const REPLAYS: &str = "/console/replays";
pub const REPLAY_RECORD: &str = "/console/replays/{id}";
/// Any other console path: the console's own 404 (the mobile API keeps its fallback).
pub const ANY_OTHER: &str = "/console/{*rest}";

/// A photo's page.
pub fn photo(id: impl Display) -> String {
    format!("{PHOTOS}/{id}")
}

/// An execution's page (its name as one path segment).
pub fn execution(name: &str) -> String {
    format!("{EXECUTIONS}/{}", urlencoding::encode(name))
}

/// One replay's record.
pub fn replay_record(id: impl Display) -> String {
    format!("{REPLAYS}/{id}")
}

/// `path` with a query string (already encoded), or without one when it is empty.
pub fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The builders write what the routes match.
    #[test]
    fn links_follow_the_routes() {
        assert_eq!(photo("p1"), PHOTO.replace("{id}", "p1"));
        assert_eq!(execution("a-b"), EXECUTION.replace("{name}", "a-b"));
        assert_eq!(execution("a b"), EXECUTION.replace("{name}", "a%20b"));
        assert_eq!(replay_record(7), REPLAY_RECORD.replace("{id}", "7"));
        for path in [
            PHOTOS,
            EXECUTIONS,
            DEAD_LETTERS,
            DRY_RUN,
            REPLAY,
            REPLAYS,
            LOGIN,
        ] {
            assert!(path.starts_with(ROOT), "{path}");
        }
        assert_eq!(with_query(EXECUTIONS, ""), EXECUTIONS);
        assert_eq!(with_query(EXECUTIONS, "q=1"), "/console/executions?q=1");
    }
}
