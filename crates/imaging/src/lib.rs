//! The image work of the pipeline, as pure functions on bytes: [`validate::inspect`]
//! judges an upload, [`thumbnail::render`] makes its renditions. No store, no async,
//! no cloud: the validate and thumbnail steps call these, and so do the fuzz target,
//! the benchmarks and `wisaw render`.

pub mod decode;
pub mod thumbnail;
pub mod validate;

pub use thumbnail::{render, Renditions};
pub use validate::inspect;
