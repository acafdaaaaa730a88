//! `wisaw console`: the console's pages on their own port, against the local stack's
//! stores or a deployed stage (`--aws --stage S`), through the operator's ports.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use tokio_util::sync::CancellationToken;
use wisaw_console::{Console, ConsoleOptions};
use wisaw_local::http_server::transport::Transport;
use wisaw_operator::OperatorPorts;

pub async fn run(addr: SocketAddr, ports: OperatorPorts, options: ConsoleOptions) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let addr = listener.local_addr()?;
    let target = ports.target.clone();
    let app = wisaw_console::router(Console::new(ports, addr, options)).route(
        "/",
        axum::routing::get(|| async { axum::response::Redirect::to("/console") }),
    );
    println!("wisaw console on http://{addr}/console ({target})");
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    tokio::spawn(async move {
        super::serve::shutdown_signal().await;
        stop.cancel();
    });
    wisaw_local::http_server::serve(
        listener,
        Transport::Plain,
        app,
        Default::default(),
        shutdown,
    )
    .await
}
