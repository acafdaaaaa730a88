//! Adapters of the ports.
//!
//! Local ones, for `wisaw serve` and the tests: [`sqlite::SqliteMetadataStore`],
//! [`sqlite_queue::LocalQueues`] and [`local_fs::LocalBlobStore`].

pub mod aws;
pub mod local_fs;
mod outcome_columns;
pub mod postgres;
pub mod sqlite;
pub mod sqlite_file;
pub mod sqlite_queue;
