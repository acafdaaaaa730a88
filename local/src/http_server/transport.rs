//! What a connection speaks: plain HTTP, or HTTP over TLS (`wisaw serve --tls`). The
//! client's first byte tells which it is trying; one that speaks the other gets a refusal
//! it can read, in its own protocol, and the server goes on serving. The first byte and
//! the TLS handshake share one header timeout, counted from the accept; hyper then holds
//! the request's headers to it again, so a connection idles at most twice that before
//! its first request, plain or TLS.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use wisaw_api::problem::Problem;

/// Every TLS connection starts with a handshake record (RFC 8446 §5.1, `handshake(22)`).
const TLS_HANDSHAKE_RECORD: u8 = 0x16;

/// A fatal `handshake_failure` alert (RFC 8446 §6): the answer a TLS client understands
/// from a port that does not speak TLS. Seven bytes that no TLS library sends without a
/// session, so written here.
const TLS_HANDSHAKE_FAILURE_ALERT: [u8; 7] = [0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28];

/// How the server's port speaks.
#[derive(Clone)]
pub enum Transport {
    Plain,
    Tls(TlsAcceptor),
}

/// A connection ready for HTTP.
pub enum Opened {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// Why a connection was closed before any request.
#[derive(Debug, thiserror::Error)]
pub enum NotOpened {
    #[error("the client sent nothing for {0:?}")]
    Silent(Duration),
    #[error("the client closed the connection before a request")]
    Closed,
    #[error("the TLS handshake took longer than {0:?}")]
    HandshakeStalled(Duration),
    #[error("the TLS handshake failed: {0}")]
    Handshake(std::io::Error),
    #[error("a TLS client on the plain HTTP port (start the server with --tls for HTTPS)")]
    TlsOnPlainPort,
    #[error("a plain HTTP client on the HTTPS port")]
    PlainOnTlsPort,
    #[error("reading the connection: {0}")]
    Io(std::io::Error),
}

impl Transport {
    /// Reads what the client speaks and, for TLS, completes the handshake, both within
    /// `within` of now.
    pub async fn open(&self, stream: TcpStream, within: Duration) -> Result<Opened, NotOpened> {
        let deadline = tokio::time::Instant::now() + within;
        let speaks_tls = match tokio::time::timeout_at(deadline, first_byte(&stream)).await {
            Err(_) => return Err(NotOpened::Silent(within)),
            Ok(Err(error)) => return Err(NotOpened::Io(error)),
            Ok(Ok(None)) => return Err(NotOpened::Closed),
            Ok(Ok(Some(byte))) => byte == TLS_HANDSHAKE_RECORD,
        };
        match (self, speaks_tls) {
            (Self::Plain, false) => Ok(Opened::Plain(stream)),
            (Self::Plain, true) => {
                let mut stream = stream;
                let _ = stream.write_all(&TLS_HANDSHAKE_FAILURE_ALERT).await;
                linger_and_close(stream).await;
                Err(NotOpened::TlsOnPlainPort)
            }
            (Self::Tls(_), false) => {
                let mut stream = stream;
                answer_https_required(&mut stream, within).await;
                linger_and_close(stream).await;
                Err(NotOpened::PlainOnTlsPort)
            }
            (Self::Tls(acceptor), true) => {
                match tokio::time::timeout_at(deadline, acceptor.accept(stream)).await {
                    Err(_) => Err(NotOpened::HandshakeStalled(within)),
                    Ok(Err(error)) => Err(NotOpened::Handshake(error)),
                    Ok(Ok(tls)) => Ok(Opened::Tls(Box::new(tls))),
                }
            }
        }
    }
}

/// The first byte the client sent, left unread; `None` when it closed first.
async fn first_byte(stream: &TcpStream) -> std::io::Result<Option<u8>> {
    let mut byte = [0u8; 1];
    Ok(match stream.peek(&mut byte).await? {
        0 => None,
        _ => Some(byte[0]),
    })
}

/// How long a refused connection is drained after its answer, and how much of it.
const LINGER: Duration = Duration::from_millis(500);
const LINGER_BYTES: usize = 16 * 1024;

/// Closes after a refusal so that the client reads it: what the client sent and this side
/// never read (the rest of a ClientHello, a request's body) would make the close a reset,
/// which can throw the answer away before the client reads it. So: end this side's
/// writing, then read and drop what still comes, for a moment and up to a bound.
async fn linger_and_close(mut stream: TcpStream) {
    use tokio::io::AsyncReadExt;
    let _ = stream.shutdown().await;
    let drain = async {
        let mut buffer = [0u8; 4096];
        let mut drained = 0;
        while drained < LINGER_BYTES {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => drained += read,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER, drain).await;
}

/// Reads the plain request (through hyper, with the header timeout) and answers it with a
/// problem saying to use `https`.
async fn answer_https_required(stream: &mut TcpStream, within: Duration) {
    let mut builder = http1::Builder::new();
    builder
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(within)
        .keep_alive(false);
    let service = hyper::service::service_fn(|request: hyper::Request<hyper::body::Incoming>| {
        let host = request
            .headers()
            .get(hyper::header::HOST)
            .and_then(|host| host.to_str().ok())
            .unwrap_or("this server")
            .to_string();
        async move { Ok::<Response, Infallible>(https_required(&host)) }
    });
    let _ = builder
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

fn https_required(host: &str) -> Response {
    Problem::new(
        StatusCode::BAD_REQUEST,
        "https-required",
        "HTTPS required",
        format!("this port speaks HTTPS only: use https://{host}"),
    )
    .into_response()
}
