//! The adapters of the domain's ports, each behind a cargo feature so that a Lambda
//! function builds only the backends it calls.
//!
//! - `s3`, `sqs`, `step-functions`, `secrets`, `appsync-events`: the AWS services, and [`aws::AwsEnvironment`],
//!   which builds them from a function's environment variables.
//! - `sigv4`: SigV4 alone ([`aws::sigv4`]), signing a request or checking a received one.
//! - `postgres`: the production metadata store, and `sqlite`: the embedded one; both are
//!   [`sql_store::SqlStore`], over a dialect of their own.
//! - `sqlite`: also the embedded metadata store of `wisaw serve` and the tests, and the one place
//!   that opens a SQLite file ([`sqlite_file`]).
//! - `queues-sqlite`: the local queues, in SQLite.
//! - `blobs-fs`: the local blob store, a folder with signed URLs.

#[cfg(any(
    feature = "aws-base",
    feature = "sigv4",
    feature = "execution-log-format"
))]
pub mod aws;
#[cfg(feature = "blobs-fs")]
pub mod blobs_fs;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod db_error;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod fetch;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod outcome_columns;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod photo_rows;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(feature = "queues-sqlite")]
pub mod queues_sqlite;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod replay_rows;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub mod sql_store;
#[cfg(feature = "sqlite")]
pub mod sqlite;
#[cfg(feature = "sqlite")]
pub mod sqlite_file;
