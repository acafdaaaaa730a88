//! Hostile input: blobs.
