//! TLS for `wisaw serve --tls` and for the clients that reach it. The server's
//! certificate is the local authority's ([`authority`]) or the operator's own files; the
//! clients (`wisaw upload`, the tests) trust the public roots and, when given, the local
//! authority's `ca.pem`: never by turning verification off.

pub mod authority;
mod client;

pub use client::ClientTrust;

use anyhow::{Context, Result};
use authority::{LocalAuthority, ServerIdentity, TLS_DIR};
use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};
use tokio_util::sync::CancellationToken;

/// How often a running server checks whether its certificate needs renewing.
const RENEWAL_CHECK: Duration = Duration::from_secs(6 * 60 * 60);

/// Where the server's certificate comes from.
#[derive(Clone, Debug)]
pub enum TlsOptions {
    /// The local authority in `DATA_DIR/tls/` issues it for these hosts
    /// ([`TlsOptions::local`] says which).
    LocalAuthority { hosts: Vec<String> },
    /// The operator's own certificate chain and key (PEM).
    Files { cert: PathBuf, key: PathBuf },
}

/// The hosts every local certificate covers.
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

impl TlsOptions {
    /// The local authority's certificate for a server at `public_url` listening on
    /// `listening` (when that is one address, not all): it covers the loopback names, the
    /// URL's host, that address and each of `more` (a LAN address a phone uses).
    pub fn local(public_url: &str, listening: Option<IpAddr>, more: Vec<String>) -> Result<Self> {
        // An IPv6 host comes bracketed (`[::1]`); a certificate names it bare.
        let public_host = url::Url::parse(public_url)
            .with_context(|| format!("the public URL {public_url:?}"))?
            .host_str()
            .map(|host| {
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .to_string()
            });
        let listening = listening
            .filter(|ip| !ip.is_unspecified())
            .map(|ip| ip.to_string());
        let mut hosts: Vec<String> = LOOPBACK_HOSTS.map(String::from).to_vec();
        for host in public_host.into_iter().chain(listening).chain(more) {
            // What a certificate cannot name (a wildcard, a bracketed address) would have it
            // issued anew at every start, and never accepted.
            anyhow::ensure!(
                ServerName::try_from(host.as_str()).is_ok(),
                "{host:?} is not a host name or an IP address a certificate can name"
            );
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        Ok(Self::LocalAuthority { hosts })
    }
}

/// The certificates of a PEM file, at least one; an error names the file.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>> {
    let certificates = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| anyhow::anyhow!("{error}"))
        .with_context(|| format!("reading PEM certificates from {}", path.display()))?;
    anyhow::ensure!(
        !certificates.is_empty(),
        "{}: no certificate in the file",
        path.display()
    );
    Ok(certificates)
}

/// The ring provider: the one sqlx and the AWS client already use here.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The server side, ready to accept.
pub struct ServerTls {
    pub config: Arc<ServerConfig>,
    /// The authority's certificate, for a device to trust (none with the operator's files).
    pub ca_path: Option<PathBuf>,
    renewal: Option<Renewal>,
}

struct Renewal {
    authority: LocalAuthority,
    hosts: Vec<String>,
    current: Arc<CurrentCertificate>,
}

impl ServerTls {
    /// Loads or makes the server's certificate; a file that cannot be read, or a key that
    /// is not the certificate's, is an error that says which.
    pub fn prepare(options: &TlsOptions, data_dir: &Path) -> Result<Self> {
        match options {
            TlsOptions::Files { cert, key } => {
                let chain = read_certificates(cert)
                    .with_context(|| format!("--tls-cert {}", cert.display()))?;
                let key_der = PrivateKeyDer::from_pem_file(key)
                    .map_err(|error| anyhow::anyhow!("{error}"))
                    .with_context(|| {
                        format!("--tls-key {}: reading a PEM private key", key.display())
                    })?;
                let certified = ServerIdentity {
                    chain,
                    key: key_der,
                }
                .certified()
                .with_context(|| {
                    format!(
                        "--tls-key {} does not go with --tls-cert {}",
                        key.display(),
                        cert.display()
                    )
                })?;
                Ok(Self {
                    config: server_config(Arc::new(CurrentCertificate::new(certified)))?,
                    ca_path: None,
                    renewal: None,
                })
            }
            TlsOptions::LocalAuthority { hosts } => {
                let authority = LocalAuthority::open_or_create(&data_dir.join(TLS_DIR))?;
                let certified = authority.server_certificate(hosts, SystemTime::now())?;
                let current = Arc::new(CurrentCertificate::new(certified));
                Ok(Self {
                    config: server_config(current.clone())?,
                    ca_path: Some(authority.ca_path()),
                    renewal: Some(Renewal {
                        authority,
                        hosts: hosts.clone(),
                        current,
                    }),
                })
            }
        }
    }

    /// Renews the local authority's certificate before it expires, for a server that runs
    /// for months; returns at `shutdown` (at once with the operator's own files).
    pub async fn keep_renewed(self: Arc<Self>, shutdown: CancellationToken) {
        let Some(renewal) = &self.renewal else {
            return;
        };
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(RENEWAL_CHECK) => {}
            }
            match renewal
                .authority
                .server_certificate(&renewal.hosts, SystemTime::now())
            {
                Ok(certified) => renewal.current.replace_if_renewed(certified),
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "renewing the certificate")
                }
            }
        }
    }
}

fn server_config(current: Arc<CurrentCertificate>) -> Result<Arc<ServerConfig>> {
    let mut config = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_cert_resolver(current);
    // The server speaks HTTP/1.1 only (WebSockets upgrade from it).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The certificate handshakes are answered with, replaced when renewed.
#[derive(Debug)]
struct CurrentCertificate(RwLock<Arc<CertifiedKey>>);

impl CurrentCertificate {
    fn new(certified: Arc<CertifiedKey>) -> Self {
        Self(RwLock::new(certified))
    }

    fn replace_if_renewed(&self, certified: Arc<CertifiedKey>) {
        let mut current = self
            .0
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if current.cert != certified.cert {
            tracing::info!("serving the renewed certificate");
            *current = certified;
        }
    }
}

impl ResolvesServerCert for CurrentCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.0
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepare_files(cert: &Path, key: &Path) -> String {
        let options = TlsOptions::Files {
            cert: cert.into(),
            key: key.into(),
        };
        let dir = tempfile::tempdir().unwrap();
        match ServerTls::prepare(&options, dir.path()) {
            Ok(_) => panic!("{} and {} were accepted", cert.display(), key.display()),
            Err(error) => format!("{error:#}"),
        }
    }

    /// A local authority's certificate and key, as an operator's own files would be.
    fn issued(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
        let authority = LocalAuthority::open_or_create(&dir.join(name)).unwrap();
        authority
            .server_certificate(&["localhost".into()], SystemTime::now())
            .unwrap();
        let tls = dir.join(name);
        (
            tls.join(authority::SERVER_CERT_FILE),
            tls.join(authority::SERVER_KEY_FILE),
        )
    }

    #[test]
    fn a_local_certificate_names_loopback_the_public_host_the_address_and_the_hosts_asked() {
        let hosts = |options: TlsOptions| match options {
            TlsOptions::LocalAuthority { hosts } => hosts,
            files => panic!("{files:?}"),
        };
        let lan = TlsOptions::local(
            "https://photos.lan:3000",
            Some("192.168.1.20".parse().unwrap()),
            vec!["10.0.0.7".into(), "photos.lan".into()],
        )
        .unwrap();
        let expected = [
            "localhost",
            "127.0.0.1",
            "::1",
            "photos.lan",
            "192.168.1.20",
            "10.0.0.7",
        ];
        assert_eq!(hosts(lan), expected);
        // Listening everywhere names no address; a bracketed IPv6 host is named bare.
        let all = TlsOptions::local(
            "https://[::1]:3000",
            Some("0.0.0.0".parse().unwrap()),
            vec![],
        );
        assert_eq!(hosts(all.unwrap()), LOOPBACK_HOSTS);
        // A name no certificate can carry is refused at start.
        let wildcard = TlsOptions::local("https://127.0.0.1", None, vec!["*.lan".into()]);
        assert!(format!("{:#}", wildcard.unwrap_err()).contains("*.lan"));
    }

    #[test]
    fn the_operators_own_certificate_and_key_are_served() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = issued(dir.path(), "own");
        let options = TlsOptions::Files { cert, key };
        let tls = ServerTls::prepare(&options, dir.path()).unwrap();
        assert!(tls.ca_path.is_none());
    }

    #[test]
    fn wrong_certificate_or_key_files_are_clear_errors() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key) = issued(dir.path(), "a");
        let (_, other_key) = issued(dir.path(), "b");
        let missing = dir.path().join("missing.pem");
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate").unwrap();

        let error = prepare_files(&missing, &key);
        assert!(
            error.contains("--tls-cert") && error.contains("missing.pem"),
            "{error}"
        );
        let error = prepare_files(&junk, &key);
        assert!(
            error.contains("--tls-cert") && error.contains("junk.pem"),
            "{error}"
        );
        let error = prepare_files(&cert, &junk);
        assert!(
            error.contains("--tls-key") && error.contains("junk.pem"),
            "{error}"
        );
        // A certificate's own key swapped for another's.
        let error = prepare_files(&cert, &other_key);
        assert!(error.contains("does not go with"), "{error}");
        // The two swapped: a key where the certificate belongs.
        let error = prepare_files(&key, &cert);
        assert!(error.contains("--tls-cert"), "{error}");
    }
}
