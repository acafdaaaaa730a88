//! The HTTP server of the local stack: axum's router on hyper, with the limits a
//! server facing phones needs and `axum::serve` does not set. A client that stalls in
//! its headers or its body is disconnected, at most [`MAX_CONNECTIONS`] connections
//! are served at once (the rest wait in the listen queue), and a shutdown lets requests
//! in flight finish for a moment, then closes what is left. Handlers can read the
//! client's address as `ConnectInfo<SocketAddr>`.

mod idle_body;

use anyhow::Result;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::routing::future::RouteFuture;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use idle_body::IdleTimeoutBody;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::Service;

pub use idle_body::BodyStalled;

/// A client gets this long to send a request's line and headers (a few hundred bytes),
/// and a kept-alive connection this long to start its next request. Generous for a phone
/// on a poor network; short enough that a client that stops mid-headers frees its
/// connection long before it could matter.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A request body may pause this long between two reads. Measured between reads, not
/// over the whole body, so a large photo on a slow but moving link always gets through;
/// as Apache's `mod_reqtimeout` allows a body 20 s without data.
pub const BODY_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// At most this many connections are served at once; more wait in the listen queue until
/// one closes. Each holds a file descriptor: this stays well under the common limit of
/// 1,024 per process, leaving room for the stores' files and connections.
pub const MAX_CONNECTIONS: usize = 512;

/// At shutdown, connections get this long to finish their requests before they are
/// closed: enough for an API answer, and a cut upload is retried by the phone.
pub const CONNECTION_DRAIN_GRACE: Duration = Duration::from_secs(3);

/// How long to pause when accepting fails for lack of resources (too many open files),
/// rather than spin on the error.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// The server's limits; [`Default`] is the constants above.
#[derive(Clone, Copy, Debug)]
pub struct HttpLimits {
    pub header_read_timeout: Duration,
    pub body_idle_timeout: Duration,
    pub max_connections: usize,
    pub drain_grace: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_idle_timeout: BODY_IDLE_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            drain_grace: CONNECTION_DRAIN_GRACE,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` is cancelled, then drains.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: HttpLimits,
    shutdown: CancellationToken,
) -> Result<()> {
    let builder = connection_builder(&limits);
    let free_connections = Arc::new(Semaphore::new(limits.max_connections));
    let mut connections = JoinSet::new();
    loop {
        // A free slot first, then a connection: beyond the bound, clients wait unaccepted.
        let slot = tokio::select! {
            _ = shutdown.cancelled() => break,
            slot = free_connections.clone().acquire_owned() => slot?,
        };
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (stream, client) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                if !is_connection_error(&error) {
                    tracing::warn!(%error, "accepting a connection failed");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                }
                continue;
            }
        };
        let service = request_service(app.clone(), client, limits.body_idle_timeout);
        // With upgrades: the event channels are WebSockets. (An upgraded connection leaves
        // this server's count; the event server bounds its own.)
        let connection = builder
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            tokio::pin!(connection);
            let ended = tokio::select! {
                ended = connection.as_mut() => ended,
                () = shutdown.cancelled() => {
                    // Finish the request in flight, take no other.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = ended {
                tracing::debug!(%client, error = %error, "connection ended with an error");
            }
            drop(slot);
        });
        // Forget the connections that have ended, so the set holds only open ones.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    tokio::select! {
        () = drained => {}
        () = tokio::time::sleep(limits.drain_grace) => {
            tracing::warn!("closing the connections still open after the grace");
        }
    }
    connections.shutdown().await;
    Ok(())
}

/// HTTP/1 only, hyper's own connection: its header timeout guards every request from the
/// first byte (detecting HTTP/2, which no client of this server speaks in clear text,
/// would wait for the client's first bytes with no timeout at all).
fn connection_builder(limits: &HttpLimits) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
}

/// What serves each request of one connection: the router, with the client's address
/// and a body that gives up on a stalled client.
fn request_service(
    app: Router,
    client: SocketAddr,
    body_idle_timeout: Duration,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = Infallible,
    Future = RouteFuture<Infallible>,
> + Clone {
    hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        let mut request =
            request.map(|body| Body::new(IdleTimeoutBody::new(body, body_idle_timeout)));
        request.extensions_mut().insert(ConnectInfo(client));
        // A router is always ready: calling it without `poll_ready` is what axum does too.
        app.clone().call(request)
    })
}

/// Errors of one connection, which say nothing about the listener.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    fn small_limits() -> HttpLimits {
        HttpLimits {
            header_read_timeout: Duration::from_secs(2),
            body_idle_timeout: Duration::from_secs(2),
            max_connections: 2,
            drain_grace: Duration::from_secs(2),
        }
    }

    /// A server of `app` on a free port; cancel the token to stop it.
    async fn start(
        app: Router,
    ) -> (
        SocketAddr,
        CancellationToken,
        tokio::task::JoinHandle<Result<()>>,
    ) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(serve(listener, app, small_limits(), shutdown.clone()));
        (addr, shutdown, server)
    }

    /// Sends one request and reads the answer to the end (the request asks for a close).
    async fn ask(stream: &mut TcpStream, path: &str) -> String {
        let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        answer
    }

    #[tokio::test]
    async fn handlers_see_the_clients_address() {
        let app = Router::new().route(
            "/whoami",
            get(|ConnectInfo(client): ConnectInfo<SocketAddr>| async move { client.to_string() }),
        );
        let (addr, shutdown, server) = start(app).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let local = stream.local_addr().unwrap();
        let answer = ask(&mut stream, "/whoami").await;
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(&local.to_string()), "{answer}");
        shutdown.cancel();
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn beyond_the_bound_a_connection_waits_for_a_free_one() {
        let app = Router::new().route("/", get(|| async { "hello" }));
        let (addr, shutdown, server) = start(app).await;
        let mut held = Vec::new();
        for _ in 0..small_limits().max_connections {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(b"GET / HT").await.unwrap();
            held.push(stream);
        }
        let waiting = tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            ask(&mut stream, "/").await
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(!waiting.is_finished(), "served beyond the bound");
        drop(held.pop());
        let answer = tokio::time::timeout(Duration::from_secs(1), waiting)
            .await
            .expect("served once a connection is free")
            .unwrap();
        assert!(answer.ends_with("hello"), "{answer}");
        shutdown.cancel();
        server.await.unwrap().unwrap();
    }

    #[tokio::test]
    async fn a_shutdown_lets_a_request_in_flight_finish() {
        let app = Router::new().route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(300)).await;
                "done"
            }),
        );
        let (addr, shutdown, server) = start(app).await;
        let asking = tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.unwrap();
            ask(&mut stream, "/slow").await
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        shutdown.cancel();
        let answer = asking.await.unwrap();
        assert!(answer.ends_with("done"), "{answer}");
        server.await.unwrap().unwrap();
        assert!(TcpStream::connect(addr).await.is_err(), "still listening");
    }
}
