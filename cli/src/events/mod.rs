//! A client of the AppSync Events real-time protocol: what a phone does to hear about its
//! photos. The protocol and the server side are `wisaw_local::events`.

pub mod client;
