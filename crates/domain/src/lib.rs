//! The wisaw domain: what a photo is, how it moves through the pipeline, the
//! JSON contracts between the steps, and the ports every handler is written
//! against. It knows no database and no cloud: the adapters of the ports live in
//! `wisaw-adapters`, each behind a cargo feature.

pub mod contracts;
pub mod error;
pub mod events;
pub mod geo;
pub mod ids;
pub mod ingest;
pub mod keys;
pub mod model;
pub mod ports;
pub mod replay;
pub mod status;

pub use error::{PortError, Reason, StepError, StepErrorKind};
pub use ids::{DeviceId, ExecutionName, PhotoId};
pub use status::PhotoStatus;
