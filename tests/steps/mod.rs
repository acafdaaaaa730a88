//! Each step's handler through the step edge, over real local stores.

mod edge;
mod exif_corpus;
mod handlers;
