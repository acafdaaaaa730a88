//! `wisaw serve`: the whole pipeline in one process, until Ctrl-C.

use crate::stack::{LocalStack, StackOptions};
use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::Path;

pub async fn run(addr: SocketAddr, data_dir: &Path, options: StackOptions) -> Result<()> {
    let stack = LocalStack::open(data_dir, options).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let running = stack.start(listener).await?;
    println!(
        "wisaw serving on http://{} (data in {}); event channels on {}",
        running.addr,
        data_dir.display(),
        running.stack.events.endpoints().realtime_url
    );
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
