//! A TCP proxy a test puts in front of a service, so it can take the service away and
//! bring it back as a restart of it looks from outside: every open connection cut, new
//! ones refused for a while, then accepted again; the service itself keeps its state, as
//! AWS's services do across their own restarts. (The AWS emulator keeps its state in
//! memory only: restarting its process would lose every bucket and queue, which no AWS
//! restart does.)

use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;

pub struct OutageProxy {
    address: SocketAddr,
    up: watch::Sender<bool>,
    /// New connections reach the service no earlier than this.
    held_until: watch::Sender<Option<Instant>>,
    serving: tokio::task::JoinHandle<()>,
}

impl OutageProxy {
    /// A proxy on a free port of 127.0.0.1 to `upstream`, accepting at once.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let (up, watching) = watch::channel(true);
        let (held_until, holding) = watch::channel(None);
        let serving = tokio::spawn(serve(listener, upstream, watching, holding));
        Self {
            address,
            up,
            held_until,
            serving,
        }
    }

    /// The proxy for the `http://host:port` service `url`.
    pub async fn for_url(url: &str) -> Self {
        let parsed = reqwest::Url::parse(url).expect("a service URL");
        let upstream = parsed.socket_addrs(|| None).expect("the service's address")[0];
        Self::start(upstream).await
    }

    /// `http://127.0.0.1:PORT`, the service's URL through the proxy.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Holds each connection made from now on for `length` before it reaches the service,
    /// as a database resuming from an automatic pause holds the connections asked of it.
    pub fn hold_new_connections(&self, length: Duration) {
        self.held_until.send_replace(Some(Instant::now() + length));
    }

    /// Cuts every connection, refuses new ones for `length`, then accepts again.
    pub async fn outage(&self, length: Duration) {
        self.up.send_replace(false);
        tokio::time::sleep(length).await;
        self.up.send_replace(true);
        // Back once a connection is accepted again.
        while TcpStream::connect(self.address).await.is_err() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for OutageProxy {
    fn drop(&mut self) {
        self.serving.abort();
    }
}

/// Accepts and forwards while up; while down, holds no listening socket (a connection is
/// refused) and no connection (each was cut).
async fn serve(
    first: TcpListener,
    upstream: SocketAddr,
    mut up: watch::Receiver<bool>,
    held_until: watch::Receiver<Option<Instant>>,
) {
    let address = first.local_addr().unwrap();
    let mut listener = Some(first);
    loop {
        let accepting = match listener.take() {
            Some(listener) => listener,
            None => loop {
                // The port was ours a moment ago: taken again as soon as it is free.
                match TcpListener::bind(address).await {
                    Ok(listener) => break listener,
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            },
        };
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                accepted = accepting.accept() => {
                    if let Ok((inbound, _)) = accepted {
                        let held_until = *held_until.borrow();
                        connections.spawn(forward(inbound, upstream, held_until));
                    }
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                changed = up.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if !*up.borrow_and_update() {
                        break;
                    }
                }
            }
        }
        drop(accepting);
        connections.shutdown().await;
        while !*up.borrow_and_update() {
            if up.changed().await.is_err() {
                return;
            }
        }
    }
}

async fn forward(mut inbound: TcpStream, upstream: SocketAddr, held_until: Option<Instant>) {
    if let Some(until) = held_until {
        tokio::time::sleep_until(until).await;
    }
    if let Ok(mut outbound) = TcpStream::connect(upstream).await {
        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
    }
}
