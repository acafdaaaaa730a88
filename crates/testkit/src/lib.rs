//! What the tests of several packages share: real local stores, a recording orchestrator
//! and a metadata store with one behaviour changed ([`ports`]), photo-like files
//! ([`images`]) and pictures with known pixels ([`pictures`]), a phone's HTTP calls
//! ([`client`]), the choice of metadata store with a Postgres schema per test and the
//! tests run on every store ([`store`]), recorded events ([`fixtures`]), and photo rows
//! and signed URLs as the stores see them ([`photos`]), a message off a queue
//! ([`queues`]); with the feature
//! `aws-emulator`, an AWS emulator's configuration and resources (`aws_emulator`) and what
//! `AwsEnvironment` refused (`aws_environment`); a Postgres of a test's own that it can
//! restart ([`own_postgres`]) and a proxy that takes a service away and brings it back
//! ([`outage_proxy`]). Never a
//! dependency of anything that ships.

#[cfg(feature = "aws-emulator")]
pub mod aws_emulator;
#[cfg(feature = "aws-emulator")]
pub mod aws_environment;
pub mod client;
pub mod fixtures;
pub mod images;
pub mod outage_proxy;
pub mod own_postgres;
pub mod photos;
pub mod pictures;
pub mod ports;
pub mod queues;
pub mod store;

pub use client::*;
pub use store::{FromStore, Store, TestSchema};

/// A port of 127.0.0.1 free a moment ago, for a server a test starts as another process.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
