//! Whom the project's own clients trust: the public roots, and the local authority of a
//! `wisaw serve --tls` when given its `ca.pem`. One TLS configuration for the HTTP
//! client and the WebSocket client, so both decide alike.

use anyhow::{Context, Result};
use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use std::path::Path;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct ClientTrust {
    /// Built once: the public roots, and the authorities given.
    config: Arc<ClientConfig>,
}

impl ClientTrust {
    /// The public roots only, as a phone trusts a deployed stage.
    pub fn public() -> Self {
        Self::trusting(Vec::new()).expect("the public roots are usable")
    }

    /// The public roots and the certificates in `path` (a `ca.pem`); an error when the
    /// file holds none, or one that cannot serve as a root.
    pub fn with_ca_file(path: &Path) -> Result<Self> {
        let extra = super::read_certificates(path)
            .with_context(|| format!("reading the certificate authority {}", path.display()))?;
        Self::trusting(extra).with_context(|| format!("trusting {}", path.display()))
    }

    fn trusting(extra: Vec<CertificateDer<'static>>) -> Result<Self> {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for cert in extra {
            roots.add(cert)?;
        }
        let config = ClientConfig::builder_with_provider(super::provider())
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            config: Arc::new(config),
        })
    }

    pub fn rustls_config(&self) -> Arc<ClientConfig> {
        self.config.clone()
    }

    /// An HTTP client with this trust.
    pub fn http_client(&self) -> Result<reqwest::Client> {
        reqwest::Client::builder()
            .use_preconfigured_tls((*self.config).clone())
            .build()
            .context("building the HTTP client")
    }

    /// The WebSocket client's TLS, with this trust.
    pub fn websocket_connector(&self) -> tokio_tungstenite::Connector {
        tokio_tungstenite::Connector::Rustls(self.config.clone())
    }
}
