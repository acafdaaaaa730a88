//! The mobile app's HTTP contract (`POST /v1/uploads`, `GET /v1/photos/{id}`,
//! `GET /v1/feed`, `DELETE /v1/photos/{id}`, abuse reports).
//!
//! Every handler is a plain async function over the ports in [`ApiPorts`]; the
//! axum [`router`] is thin glue around them, served the same way by the local
//! stack and by Lambda.

pub mod abuse;
pub mod config;
pub mod cursor;
pub mod extract;
pub mod feed;
pub mod feed_window;
#[cfg(feature = "lambda")]
pub mod lambda;
pub mod openapi;
pub mod photos;
pub mod ports;
pub mod problem;
pub mod router;
pub mod tickets;
pub mod time;

pub use config::ApiConfig;
pub use cursor::CursorKey;
pub use ports::ApiPorts;
pub use problem::Problem;
pub use router::router;
