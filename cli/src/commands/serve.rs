//! `wisaw serve`: the whole pipeline in one process, until Ctrl-C.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::Path;
use wisaw_local::{LocalStack, StackOptions, WorkflowType};

pub async fn run(addr: SocketAddr, data_dir: &Path, options: StackOptions) -> Result<()> {
    let stack = LocalStack::open(data_dir, options).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listening on {addr}"))?;
    let running = stack.start(listener).await?;
    println!(
        "wisaw serving on {} (data in {}); event channels on {}; {}",
        running.stack.public_url,
        data_dir.display(),
        running.stack.events.endpoints().realtime_url,
        workflow_semantics(running.stack.runner.state_machine().workflow_type())
    );
    if let Some(ca) = running
        .stack
        .tls
        .as_ref()
        .and_then(|tls| tls.ca_path.as_ref())
    {
        println!("{}", how_to_trust(ca));
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.shutdown().await
}

/// What the start-up line says of how executions run.
fn workflow_semantics(workflow_type: WorkflowType) -> &'static str {
    match workflow_type {
        WorkflowType::Standard => "Standard workflow: one execution per name",
        WorkflowType::Express => {
            "Express workflow: a repeated start runs again, each run five minutes at most"
        }
    }
}

/// What the start-up line says of the local authority: where it is, and how each kind of
/// client trusts it (once: it is kept across restarts).
fn how_to_trust(ca: &Path) -> String {
    let ca = ca.display();
    format!(
        "TLS certificates from the local authority {ca}; trust it once:\n\
         \x20 Node (Amplify):    NODE_EXTRA_CA_CERTS={ca} node app.mjs\n\
         \x20 iOS simulator:     xcrun simctl keychain booted add-root-cert {ca}\n\
         \x20 Android emulator:  adb push {ca} /sdcard/Download/wisaw-ca.pem, then Settings > \
         Security > Encryption & credentials > Install a certificate > CA certificate \
         (a debug build trusts user CAs through its network_security_config)\n\
         \x20 wisaw upload:      --tls-ca {ca}"
    )
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
