//! Whom the project's own clients trust: the public roots, and the local authority of a
//! `wisaw serve --tls` when given its `ca.pem`. One TLS configuration for the HTTP
//! client and the WebSocket client, so both decide alike.

use anyhow::{Context, Result};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct ClientTrust {
    /// Authorities trusted beside the public roots.
    extra: Vec<CertificateDer<'static>>,
}

impl ClientTrust {
    /// The public roots only, as a phone trusts a deployed stage.
    pub fn public() -> Self {
        Self::default()
    }

    /// The public roots and the certificates in `path` (a `ca.pem`).
    pub fn with_ca_file(path: &Path) -> Result<Self> {
        let extra = CertificateDer::pem_file_iter(path)
            .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
            .map_err(|error| anyhow::anyhow!("{error}"))
            .with_context(|| format!("reading the certificate authority {}", path.display()))?;
        anyhow::ensure!(
            !extra.is_empty(),
            "{}: no certificate in it",
            path.display()
        );
        Ok(Self { extra })
    }

    pub fn rustls_config(&self) -> Arc<ClientConfig> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in &self.extra {
            // Checked when read: a certificate rustls cannot use would fail every handshake.
            if let Err(error) = roots.add(cert.clone()) {
                tracing::warn!(%error, "a trusted certificate that cannot be used");
            }
        }
        let config = ClientConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Arc::new(config)
    }

    /// An HTTP client with this trust.
    pub fn http_client(&self) -> Result<reqwest::Client> {
        reqwest::Client::builder()
            .use_preconfigured_tls((*self.rustls_config()).clone())
            .build()
            .context("building the HTTP client")
    }

    /// The WebSocket client's TLS, with this trust.
    pub fn websocket_connector(&self) -> tokio_tungstenite::Connector {
        tokio_tungstenite::Connector::Rustls(self.rustls_config())
    }
}
