//! The event sources as AWS delivers them to the template's functions.

pub mod http_api;
