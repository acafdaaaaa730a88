//! The steps of the `upload` state machine: validate, thumbnail, persist and notify.
//!
//! Each step is a `handle` function over the ports of [`wisaw_core::ports`], so the
//! Lambda binaries and the local runner call the very same code with different
//! adapters. The image work is also exposed as pure functions on bytes
//! ([`validate::inspect`], [`thumbnail::render`]) for tools that have a file, not a blob.

pub mod decode;
pub mod lambda;
pub mod notify;
pub mod persist;
pub mod thumbnail;
pub mod validate;

pub use thumbnail::{render, Renditions};
pub use validate::inspect;

use wisaw_core::StepError;

/// A blocking task that did not finish. A panic would repeat on the same bytes, so it
/// is permanent; a cancellation (the runtime shutting down) is worth another try.
pub(crate) fn blocking_failed(step: &str, error: tokio::task::JoinError) -> StepError {
    if error.is_panic() {
        StepError::permanent(format!("{step} crashed on this image"))
    } else {
        StepError::transient(format!("{step} was interrupted"))
    }
}
