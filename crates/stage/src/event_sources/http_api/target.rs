//! What a route's Lambda integration invokes: a function as Lambda runs it, or, in a test,
//! a closure with the same contract (the event's JSON in, the function's answer out).

use crate::lambda::{InvokeError, LocalFunction};
use std::future::Future;
use std::pin::Pin;

pub type Invocation<'a> = Pin<Box<dyn Future<Output = Result<Vec<u8>, InvokeError>> + Send + 'a>>;

/// A synchronous (`RequestResponse`) invocation of a function.
pub trait Invoke: Send + Sync {
    fn invoke(&self, payload: Vec<u8>) -> Invocation<'_>;
}

impl Invoke for LocalFunction {
    fn invoke(&self, payload: Vec<u8>) -> Invocation<'_> {
        Box::pin(LocalFunction::invoke(self, payload))
    }
}

impl<F, Fut> Invoke for F
where
    F: Fn(Vec<u8>) -> Fut + Send + Sync,
    Fut: Future<Output = Result<Vec<u8>, InvokeError>> + Send + 'static,
{
    fn invoke(&self, payload: Vec<u8>) -> Invocation<'_> {
        Box::pin(self(payload))
    }
}
