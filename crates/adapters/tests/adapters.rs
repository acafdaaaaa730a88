//! Every adapter against the real thing it speaks to: the metadata stores' one contract
//! on SQLite and Postgres, the local blob store and queues, and the AWS adapters with
//! the real SDK against an emulator.

mod aws;
mod blobs_fs;
mod conformance;
mod queues_sqlite;
