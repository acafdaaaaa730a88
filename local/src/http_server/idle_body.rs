//! A request body that gives up when the client stops sending: hyper has a timeout for
//! headers but none for bodies, so an upload that stalls half-way would hold its
//! connection (and its handler) for good.

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

/// The client sent nothing of the body for this long.
#[derive(Debug, thiserror::Error)]
#[error("the client sent no part of the request body for {} seconds", .0.as_secs())]
pub struct BodyStalled(pub Duration);

/// Wraps a body: once it has waited `idle` for the next piece, it ends with [`BodyStalled`].
/// The clock runs only while the handler is waiting for data, so a handler that reads
/// late is not blamed on the client.
pub struct IdleTimeoutBody<B> {
    inner: B,
    idle: Duration,
    waiting_since: Option<Pin<Box<Sleep>>>,
}

impl<B> IdleTimeoutBody<B> {
    pub fn new(inner: B, idle: Duration) -> Self {
        Self {
            inner,
            idle,
            waiting_since: None,
        }
    }
}

impl<B> Body for IdleTimeoutBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            this.waiting_since = None;
            return Poll::Ready(frame.map(|result| result.map_err(Into::into)));
        }
        let idle = this.idle;
        let deadline = this
            .waiting_since
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(idle)));
        match deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(BodyStalled(idle).into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body as AxumBody;
    use futures::channel::mpsc;
    use futures::{SinkExt, StreamExt};
    use std::convert::Infallible;

    const IDLE: Duration = Duration::from_millis(300);

    /// A body fed piece by piece through the returned sender.
    fn fed_body() -> (
        mpsc::Sender<Result<Bytes, Infallible>>,
        axum::body::BodyDataStream,
    ) {
        let (sender, receiver) = mpsc::channel(4);
        let body = IdleTimeoutBody::new(AxumBody::from_stream(receiver), IDLE);
        (sender, AxumBody::new(body).into_data_stream())
    }

    #[tokio::test]
    async fn a_body_that_keeps_coming_passes_however_long_it_takes() {
        let (mut sender, mut body) = fed_body();
        let started = tokio::time::Instant::now();
        for _ in 0..5 {
            tokio::time::sleep(IDLE * 2 / 3).await;
            sender.send(Ok(Bytes::from_static(b"piece"))).await.unwrap();
            assert_eq!(body.next().await.unwrap().unwrap(), "piece");
        }
        drop(sender);
        assert!(body.next().await.is_none());
        assert!(started.elapsed() > IDLE * 3);
    }

    #[tokio::test]
    async fn a_body_that_stalls_ends_with_an_error_after_the_idle_time() {
        let (mut sender, mut body) = fed_body();
        sender.send(Ok(Bytes::from_static(b"half"))).await.unwrap();
        assert_eq!(body.next().await.unwrap().unwrap(), "half");
        let waiting = tokio::time::Instant::now();
        let error = body.next().await.unwrap().unwrap_err();
        let waited = waiting.elapsed();
        assert!(waited >= IDLE && waited < IDLE * 3, "{waited:?}");
        assert!(error.to_string().contains("sent no part"), "{error}");
        drop(sender);
    }

    #[tokio::test]
    async fn a_handler_that_reads_late_is_not_blamed_on_the_client() {
        let (mut sender, mut body) = fed_body();
        sender.send(Ok(Bytes::from_static(b"early"))).await.unwrap();
        tokio::time::sleep(IDLE * 3).await;
        assert_eq!(body.next().await.unwrap().unwrap(), "early");
    }
}
