//! What hostile and ordinary clients broke, each kept broken-proof by a test
//! against a running local stack: one module per part of the pipeline.

mod api;
mod blobs;
mod events;
mod notify;
mod orientation;
mod queues;
