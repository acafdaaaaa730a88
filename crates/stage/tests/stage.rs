//! The stage's tests, one binary: the template read, and functions run as Lambda runs them.

mod lambda;
mod template;
