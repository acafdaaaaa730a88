//! What the tests of several packages share: real local stores and a recording
//! orchestrator ([`ports`]), photo-like files ([`images`]) and pictures with known pixels ([`pictures`]), a phone's HTTP calls
//! ([`client`]) the choice of metadata store with a Postgres schema per test ([`store`]),
//! and photo rows and signed URLs as the stores see them ([`photos`]). Never a dependency of anything that ships.

pub mod client;
pub mod images;
pub mod photos;
pub mod pictures;
pub mod ports;
pub mod store;

pub use client::*;
pub use store::{Store, TestSchema};
