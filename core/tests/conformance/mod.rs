//! The metadata store's contract, written once and run against every store.

pub mod backend;
pub mod cases;
pub mod feed;
pub mod fixtures;
pub mod races;
pub mod standing;
