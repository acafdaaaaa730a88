//! Hostile input: orientation.
