//! The HTTP server of the local stack: axum's router on hyper, with the limits a
//! server facing phones needs and `axum::serve` does not set. A client that stalls in
//! its headers or its body is disconnected, at most [`MAX_CONNECTIONS`] connections
//! are served at once (the rest wait in the listen queue), and a shutdown lets requests
//! in flight finish for a moment, then closes what is left. Handlers can read the
//! client's address as `ConnectInfo<SocketAddr>`. Over TLS the same limits hold, the
//! handshake held to the header timeout ([`transport`]).

mod idle_body;
pub mod transport;

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
use transport::{Opened, Transport};

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
    transport: Transport,
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
        let (builder, transport, shutdown) = (builder.clone(), transport.clone(), shutdown.clone());
        connections.spawn(async move {
            let opened = tokio::select! {
                opened = transport.open(stream, limits.header_read_timeout) => opened,
                () = shutdown.cancelled() => return,
            };
            let ended = match opened {
                Ok(Opened::Plain(stream)) => {
                    serve_connection(&builder, TokioIo::new(stream), service, &shutdown).await
                }
                Ok(Opened::Tls(stream)) => {
                    serve_connection(&builder, TokioIo::new(stream), service, &shutdown).await
                }
                Err(refused) => {
                    tracing::debug!(%client, %refused, "connection closed before a request");
                    Ok(())
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

/// Serves one connection's requests until it ends, or until `shutdown`: then the request
/// in flight finishes and no other is taken.
async fn serve_connection<I>(
    builder: &http1::Builder,
    io: I,
    service: impl hyper::service::Service<
            hyper::Request<Incoming>,
            Response = axum::response::Response,
            Error = Infallible,
            Future = RouteFuture<Infallible>,
        > + Send
        + 'static,
    shutdown: &CancellationToken,
) -> Result<(), hyper::Error>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    // With upgrades: the event channels are WebSockets. (An upgraded connection leaves
    // this server's count; the event server bounds its own.)
    let connection = builder.serve_connection(io, service).with_upgrades();
    tokio::pin!(connection);
    tokio::select! {
        ended = connection.as_mut() => ended,
        () = shutdown.cancelled() => {
            connection.as_mut().graceful_shutdown();
            connection.await
        }
    }
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

    /// An app that answers `body` at `path` after 300 ms: a request still in flight.
    fn slow_app(path: &str, body: &'static str) -> Router {
        Router::new().route(
            path,
            get(move || async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                body
            }),
        )
    }

    fn small_limits() -> HttpLimits {
        HttpLimits {
            header_read_timeout: Duration::from_secs(2),
            body_idle_timeout: Duration::from_secs(2),
            max_connections: 2,
            drain_grace: Duration::from_secs(2),
        }
    }

    type Started = (
        SocketAddr,
        CancellationToken,
        tokio::task::JoinHandle<Result<()>>,
    );

    /// A server of `app` on a free port; cancel the token to stop it.
    async fn start(app: Router) -> Started {
        start_speaking(app, Transport::Plain).await
    }

    async fn start_speaking(app: Router, transport: Transport) -> Started {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let server = tokio::spawn(serve(
            listener,
            transport,
            app,
            small_limits(),
            shutdown.clone(),
        ));
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
        let app = slow_app("/slow", "done");
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

    mod over_tls {
        use super::*;
        use crate::tls::{ClientTrust, ServerTls, TlsOptions};
        use rustls_pki_types::ServerName;
        use tokio_rustls::client::TlsStream;
        use tokio_rustls::TlsConnector;

        /// The start of a ClientHello record (a handshake record of 512 bytes), and no more.
        const CLIENT_HELLO_START: [u8; 11] = [
            0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03,
        ];

        struct TlsServer {
            started: Started,
            trust: ClientTrust,
            _dir: tempfile::TempDir,
        }

        /// A server of a hello route over TLS, with a certificate of a fresh local authority.
        async fn start_tls() -> TlsServer {
            start_tls_app(Router::new().route("/", get(|| async { "hello" }))).await
        }

        async fn start_tls_app(app: Router) -> TlsServer {
            let dir = tempfile::tempdir().unwrap();
            let options = TlsOptions::LocalAuthority {
                hosts: vec!["localhost".into(), "127.0.0.1".into()],
            };
            let tls = ServerTls::prepare(&options, dir.path()).unwrap();
            let trust = ClientTrust::with_ca_file(tls.ca_path.as_ref().unwrap()).unwrap();
            let started = start_speaking(app, Transport::Tls(tls.config.clone().into())).await;
            TlsServer {
                started,
                trust,
                _dir: dir,
            }
        }

        async fn tls_connect(server: &TlsServer) -> std::io::Result<TlsStream<TcpStream>> {
            let stream = TcpStream::connect(server.started.0).await?;
            let connector = TlsConnector::from(server.trust.rustls_config());
            let name = ServerName::try_from("127.0.0.1").unwrap();
            connector.connect(name, stream).await
        }

        async fn ask_tls(server: &TlsServer) -> String {
            let mut stream = tls_connect(server).await.unwrap();
            let request = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
            stream.write_all(request.as_bytes()).await.unwrap();
            let mut answer = String::new();
            // A server may end TLS without close_notify once it has answered.
            let _ = stream.read_to_string(&mut answer).await;
            answer
        }

        /// Sends `bytes` over a new TLS connection, then reads until the server closes it.
        async fn tls_send_until_closed(server: &TlsServer, bytes: &[u8]) -> (Duration, Vec<u8>) {
            let mut stream = tls_connect(server).await.unwrap();
            stream.write_all(bytes).await.unwrap();
            read_until_closed(&mut stream).await
        }

        /// The server closed at its `limit`, not before and not long after.
        fn assert_closed_on_time(waited: Duration, limit: Duration) {
            assert!(waited >= limit - Duration::from_millis(100), "{waited:?}");
            assert!(waited < limit * 2, "{waited:?}");
        }

        /// Reads until the server closes; how long that took.
        async fn closed_within(stream: &mut TcpStream) -> Duration {
            read_until_closed(stream).await.0
        }

        /// Reads until the server closes: how long that took, and what it sent.
        async fn read_until_closed<S>(stream: &mut S) -> (Duration, Vec<u8>)
        where
            S: tokio::io::AsyncRead + Unpin,
        {
            let started = tokio::time::Instant::now();
            let mut answer = Vec::new();
            let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
                .await
                .expect("the server closed the connection");
            (started.elapsed(), answer)
        }

        #[tokio::test]
        async fn a_client_trusting_the_local_authority_is_served() {
            let server = start_tls().await;
            let answer = ask_tls(&server).await;
            assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
            assert!(answer.ends_with("hello"), "{answer}");
            // A client that trusts only the public roots refuses the certificate.
            let stream = TcpStream::connect(server.started.0).await.unwrap();
            let public = TlsConnector::from(ClientTrust::public().rustls_config());
            let name = ServerName::try_from("127.0.0.1").unwrap();
            let error = public.connect(name, stream).await.unwrap_err();
            assert!(error.to_string().contains("UnknownIssuer"), "{error}");
            server.started.1.cancel();
        }

        #[tokio::test]
        async fn plain_http_to_the_tls_port_is_told_to_use_https_and_the_server_serves_on() {
            let server = start_tls().await;
            let mut stream = TcpStream::connect(server.started.0).await.unwrap();
            let answer = ask(&mut stream, "/").await;
            assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
            assert!(answer.contains("application/problem+json"), "{answer}");
            assert!(answer.contains("https://t"), "{answer}");
            assert!(ask_tls(&server).await.ends_with("hello"));
            server.started.1.cancel();
        }

        #[tokio::test]
        async fn a_tls_hello_to_the_plain_port_gets_an_alert_and_the_server_serves_on() {
            let dir = tempfile::tempdir().unwrap();
            let options = TlsOptions::LocalAuthority {
                hosts: vec!["127.0.0.1".into()],
            };
            let tls = ServerTls::prepare(&options, dir.path()).unwrap();
            let trust = ClientTrust::with_ca_file(tls.ca_path.as_ref().unwrap()).unwrap();
            let (addr, shutdown, _server) =
                start(Router::new().route("/", get(|| async { "hello" }))).await;
            let stream = TcpStream::connect(addr).await.unwrap();
            let name = ServerName::try_from("127.0.0.1").unwrap();
            let error = TlsConnector::from(trust.rustls_config())
                .connect(name, stream)
                .await
                .unwrap_err();
            assert!(error.to_string().contains("HandshakeFailure"), "{error}");
            let mut stream = TcpStream::connect(addr).await.unwrap();
            assert!(ask(&mut stream, "/").await.ends_with("hello"));
            shutdown.cancel();
        }

        #[tokio::test]
        async fn a_tls_client_that_sends_nothing_is_dropped_on_the_header_timeout() {
            let server = start_tls().await;
            let mut silent = TcpStream::connect(server.started.0).await.unwrap();
            let waited = closed_within(&mut silent).await;
            assert_closed_on_time(waited, small_limits().header_read_timeout);
            server.started.1.cancel();
        }

        #[tokio::test]
        async fn a_tls_client_that_stops_halfway_through_the_handshake_is_dropped() {
            let server = start_tls().await;
            let mut stalled = TcpStream::connect(server.started.0).await.unwrap();
            stalled.write_all(&CLIENT_HELLO_START).await.unwrap();
            let waited = closed_within(&mut stalled).await;
            assert_closed_on_time(waited, small_limits().header_read_timeout);
            // Meanwhile, and after, others are served.
            assert!(ask_tls(&server).await.ends_with("hello"));
            server.started.1.cancel();
        }

        #[tokio::test]
        async fn after_the_handshake_stalled_headers_are_dropped_as_in_clear() {
            let server = start_tls().await;
            // Headers begun, never finished.
            let (waited, _) =
                tls_send_until_closed(&server, b"GET / HTTP/1.1\r\nHost: t\r\n").await;
            assert_closed_on_time(waited, small_limits().header_read_timeout);

            server.started.1.cancel();
        }

        #[tokio::test]
        async fn a_body_that_stalls_over_tls_ends_its_request() {
            let app = Router::new().route(
                "/upload",
                axum::routing::put(|body: axum::body::Bytes| async move {
                    format!("{} bytes", body.len())
                }),
            );
            let server = start_tls_app(app).await;
            let half = b"PUT /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nhalf";
            let (waited, answer) = tls_send_until_closed(&server, half).await;
            assert_closed_on_time(waited, small_limits().body_idle_timeout);
            let answer = String::from_utf8_lossy(&answer);
            assert!(!answer.contains("100 bytes"), "{answer}");
            server.started.1.cancel();
        }

        #[tokio::test]
        async fn a_shutdown_lets_a_tls_request_in_flight_finish() {
            let app = super::slow_app("/", "hello");
            let server = start_tls_app(app).await;
            let mut stream = tls_connect(&server).await.unwrap();
            let request = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
            stream.write_all(request.as_bytes()).await.unwrap();
            tokio::time::sleep(Duration::from_millis(100)).await;
            let (addr, shutdown, running) = server.started;
            shutdown.cancel();
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer).await;
            assert!(answer.ends_with("hello"), "{answer}");
            running.await.unwrap().unwrap();
            assert!(TcpStream::connect(addr).await.is_err(), "still listening");
        }

        #[tokio::test]
        async fn connections_still_handshaking_count_against_the_bound() {
            let server = start_tls().await;
            let mut held = Vec::new();
            for _ in 0..small_limits().max_connections {
                let mut stream = TcpStream::connect(server.started.0).await.unwrap();
                stream.write_all(&CLIENT_HELLO_START).await.unwrap();
                held.push(stream);
            }
            let waiting = tokio::spawn(async move {
                let answer = ask_tls(&server).await;
                (server, answer)
            });
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert!(!waiting.is_finished(), "served beyond the bound");
            drop(held.pop());
            // Well before the held ones' own timeout (2 s after their accept) frees a slot.
            let (server, answer) = tokio::time::timeout(Duration::from_secs(1), waiting)
                .await
                .expect("served once a connection is free")
                .unwrap();
            assert!(answer.ends_with("hello"), "{answer}");
            server.started.1.cancel();
        }
    }
}
