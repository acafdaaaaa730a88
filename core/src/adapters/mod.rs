//! Adapters of the ports.
