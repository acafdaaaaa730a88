//! wisaw workers
