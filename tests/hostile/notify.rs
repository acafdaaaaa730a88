//! Hostile input: notify.
