//! The AppSync Events real-time protocol, and a client of it: what a phone does to hear
//! about its photos. The server side is in [`crate::stack::events`].

pub mod client;
pub mod protocol;
