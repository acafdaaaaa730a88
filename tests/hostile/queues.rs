//! Hostile input: queues.
