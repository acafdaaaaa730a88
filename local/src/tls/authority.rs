//! The local certificate authority of `wisaw serve --tls`, in `DATA_DIR/tls/`: made once
//! and kept, so a phone, a simulator or Node trusts `ca.pem` once; the server certificate
//! it issues is reused while it covers the hosts asked and has time left, and issued
//! again otherwise.

use anyhow::{bail, Context, Result};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use rustls::client::danger::ServerCertVerifier;
use rustls::client::WebPkiServerVerifier;
use rustls::sign::CertifiedKey;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The folder under the data folder, and its files.
pub const TLS_DIR: &str = "tls";
/// What a device installs (and Node reads through `NODE_EXTRA_CA_CERTS`).
pub const CA_CERT_FILE: &str = "ca.pem";
pub const CA_KEY_FILE: &str = "ca-key.pem";
pub const SERVER_CERT_FILE: &str = "server.pem";
pub const SERVER_KEY_FILE: &str = "server-key.pem";

const DAY: Duration = Duration::from_secs(24 * 60 * 60);
/// Long enough that a device trusts it once for the life of a laptop.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 60 * 60);
/// Within what Apple's platforms accept for a certificate under a user-installed root
/// (825 days), and short as the web's own are.
pub const SERVER_VALIDITY: Duration = Duration::from_secs(90 * 24 * 60 * 60);
/// A server certificate with less than this left is issued again.
pub const RENEW_BEFORE: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The authority's name, as a device's settings show it.
const CA_NAME: &str = "wisaw local development CA";

/// A server certificate and its key.
pub struct ServerIdentity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

impl ServerIdentity {
    /// The certificate with its key loaded for signing; an error when the key is not the
    /// certificate's.
    pub fn certified(self) -> Result<Arc<CertifiedKey>> {
        Ok(Arc::new(CertifiedKey::from_der(
            self.chain,
            self.key,
            &super::provider(),
        )?))
    }
}

/// The authority, open on its folder.
pub struct LocalAuthority {
    dir: PathBuf,
    issuer: Issuer<'static, KeyPair>,
    /// What a client trusting only this authority accepts.
    verifier: Arc<WebPkiServerVerifier>,
}

impl LocalAuthority {
    /// Opens the authority in `dir`, making it on first use.
    pub fn open_or_create(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let (cert_path, key_path) = (dir.join(CA_CERT_FILE), dir.join(CA_KEY_FILE));
        let (ca_pem, key_pem) = match (cert_path.exists(), key_path.exists()) {
            (true, true) => (read(&cert_path)?, read(&key_path)?),
            (false, false) => {
                let (ca_pem, key_pem) = new_authority()?;
                // The key first: a certificate on disk always has its key beside it.
                write_private(&key_path, &key_pem)?;
                write_public(&cert_path, &ca_pem)?;
                (ca_pem, key_pem)
            }
            _ => bail!(
                "{} holds one of {CA_CERT_FILE} and {CA_KEY_FILE} without the other: \
                 restore it, or remove both to make a new authority (devices must then \
                 trust the new {CA_CERT_FILE})",
                dir.display()
            ),
        };
        let key = KeyPair::from_pem(&key_pem)
            .with_context(|| format!("reading the key {}", key_path.display()))?;
        let ca_der = CertificateDer::from_pem_slice(ca_pem.as_bytes())
            .with_context(|| format!("reading the certificate {}", cert_path.display()))?;
        let issuer = Issuer::from_ca_cert_pem(&ca_pem, key)
            .with_context(|| format!("reading the authority {}", cert_path.display()))?;
        let mut roots = RootCertStore::empty();
        roots.add(ca_der)?;
        let verifier =
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), super::provider())
                .build()?;
        Ok(Self {
            dir: dir.to_path_buf(),
            issuer,
            verifier,
        })
    }

    /// The certificate devices install.
    pub fn ca_path(&self) -> PathBuf {
        self.dir.join(CA_CERT_FILE)
    }

    /// The server certificate for `hosts` (names or IP addresses): the one in the folder
    /// when its key goes with it and a client trusting this authority would accept it for
    /// each of them now and [`RENEW_BEFORE`] from now, else a new one, written in its place.
    pub fn server_certificate(
        &self,
        hosts: &[String],
        now: SystemTime,
    ) -> Result<Arc<CertifiedKey>> {
        let (cert_path, key_path) = (
            self.dir.join(SERVER_CERT_FILE),
            self.dir.join(SERVER_KEY_FILE),
        );
        if let Some(identity) = read_identity(&cert_path, &key_path) {
            let cert = &identity.chain[0];
            if self.covers(cert, hosts, now) && self.covers(cert, hosts, now + RENEW_BEFORE) {
                if let Ok(certified) = identity.certified() {
                    return Ok(certified);
                }
            }
        }
        let key = KeyPair::generate().context("making a server key")?;
        let cert = server_params(hosts, now)?
            .signed_by(&key, &self.issuer)
            .context("issuing the server certificate")?;
        write_private(&key_path, &key.serialize_pem())?;
        write_public(&cert_path, &cert.pem())?;
        tracing::info!(hosts = ?hosts, "issued a server certificate");
        ServerIdentity {
            chain: vec![cert.der().clone()],
            key: PrivateKeyDer::try_from(key.serialize_der())
                .map_err(|error| anyhow::anyhow!("the new server key: {error}"))?,
        }
        .certified()
    }

    /// Whether a client trusting this authority accepts `cert` for every host at `at`.
    pub fn covers(&self, cert: &CertificateDer<'_>, hosts: &[String], at: SystemTime) -> bool {
        let at = UnixTime::since_unix_epoch(
            at.duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
        );
        hosts.iter().all(|host| {
            ServerName::try_from(host.as_str()).is_ok_and(|name| {
                self.verifier
                    .verify_server_cert(cert, &[], &name, &[], at)
                    .is_ok()
            })
        })
    }
}

/// A new authority: its certificate and key, as PEM.
fn new_authority() -> Result<(String, String)> {
    let key = KeyPair::generate().context("making the authority's key")?;
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    name.push(DnType::OrganizationName, "wisaw");
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let now = SystemTime::now();
    params.not_before = (now - DAY).into();
    params.not_after = (now + CA_VALIDITY).into();
    params.serial_number = Some(random_serial());
    let cert = params.self_signed(&key).context("signing the authority")?;
    Ok((cert.pem(), key.serialize_pem()))
}

fn server_params(hosts: &[String], now: SystemTime) -> Result<CertificateParams> {
    let mut params = CertificateParams::new(hosts.to_vec())
        .with_context(|| format!("a certificate for {hosts:?}"))?;
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, "wisaw serve");
    params.distinguished_name = name;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    // A little in the past, for a device whose clock runs behind.
    params.not_before = (now - DAY).into();
    params.not_after = (now + SERVER_VALIDITY).into();
    params.serial_number = Some(random_serial());
    Ok(params)
}

/// 16 random bytes, positive (RFC 5280 §4.1.2.2 allows up to 20).
fn random_serial() -> SerialNumber {
    let mut bytes = *uuid::Uuid::new_v4().as_bytes();
    bytes[0] &= 0x7f;
    SerialNumber::from_slice(&bytes)
}

/// The server certificate and key in the folder, when both are there and readable.
fn read_identity(cert_path: &Path, key_path: &Path) -> Option<ServerIdentity> {
    let chain = super::read_certificates(cert_path).ok()?;
    let key = PrivateKeyDer::from_pem_file(key_path).ok()?;
    Some(ServerIdentity { chain, key })
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn write_public(path: &Path, pem: &str) -> Result<()> {
    write_whole(path, pem, 0o644)
}

/// A key readable by its owner only (0600), from the moment it exists.
fn write_private(path: &Path, pem: &str) -> Result<()> {
    write_whole(path, pem, 0o600)
}

/// Writes beside `path`, then renames over it: a reader (or a restart after a crash)
/// sees the old file or the new one, never half of one.
fn write_whole(path: &Path, pem: &str, mode: u32) -> Result<()> {
    use std::io::Write;
    let partial = path.with_extension("pem.partial");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(mode);
        // A partial file left by a crash keeps its mode on open: set it again.
        if partial.exists() {
            std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(mode))
                .with_context(|| format!("protecting {}", partial.display()))?;
        }
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options
        .open(&partial)
        .with_context(|| format!("writing {}", partial.display()))?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The chain `server_certificate` answers with for `hosts` at `at`.
    fn chain_for(
        authority: &LocalAuthority,
        hosts: &[String],
        at: SystemTime,
    ) -> Vec<CertificateDer<'static>> {
        authority
            .server_certificate(hosts, at)
            .unwrap()
            .cert
            .clone()
    }

    fn hosts() -> Vec<String> {
        ["localhost", "127.0.0.1", "::1", "phone.lan"]
            .map(String::from)
            .to_vec()
    }

    /// An authority made in a folder of its own.
    fn fresh_authority() -> (tempfile::TempDir, LocalAuthority) {
        let dir = tempfile::tempdir().unwrap();
        let authority = LocalAuthority::open_or_create(dir.path()).unwrap();
        (dir, authority)
    }

    #[test]
    fn the_authority_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalAuthority::open_or_create(dir.path()).unwrap();
        let ca = std::fs::read(first.ca_path()).unwrap();
        drop(first);
        let again = LocalAuthority::open_or_create(dir.path()).unwrap();
        assert_eq!(std::fs::read(again.ca_path()).unwrap(), ca);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(CA_KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_server_certificate_is_valid_for_the_hosts_asked_and_no_other() {
        let (_dir, authority) = fresh_authority();
        let now = SystemTime::now();
        let certified = authority.server_certificate(&hosts(), now).unwrap();
        let cert = &certified.cert[0];
        assert!(authority.covers(cert, &hosts(), now));
        for host in hosts() {
            assert!(
                authority.covers(cert, std::slice::from_ref(&host), now),
                "{host}"
            );
        }
        assert!(!authority.covers(cert, &["example.com".into()], now));
        assert!(!authority.covers(cert, &["192.168.1.9".into()], now));
        // Expired after its validity.
        assert!(!authority.covers(cert, &hosts(), now + SERVER_VALIDITY + DAY));
    }

    #[test]
    fn the_server_certificate_is_reused_then_renewed_before_it_expires() {
        let (_dir, authority) = fresh_authority();
        let now = SystemTime::now();
        let first = chain_for(&authority, &hosts(), now);
        let same = chain_for(&authority, &hosts(), now + DAY);
        assert_eq!(same, first, "reused while it has time left");
        let near_expiry = now + SERVER_VALIDITY - RENEW_BEFORE + DAY;
        let renewed = chain_for(&authority, &hosts(), near_expiry);
        assert_ne!(
            renewed, first,
            "renewed with less than {RENEW_BEFORE:?} left"
        );
        assert!(authority.covers(&renewed[0], &hosts(), near_expiry + RENEW_BEFORE));
        // A host not covered yet: issued again, for it too.
        let mut more = hosts();
        more.push("10.0.0.7".into());
        let widened = chain_for(&authority, &more, near_expiry);
        assert_ne!(widened, renewed);
        assert!(authority.covers(&widened[0], &more, near_expiry));
    }

    #[test]
    fn a_certificate_of_another_authority_is_issued_again() {
        let (dir, authority) = fresh_authority();
        let now = SystemTime::now();
        let first = chain_for(&authority, &hosts(), now);
        std::fs::remove_file(dir.path().join(CA_CERT_FILE)).unwrap();
        std::fs::remove_file(dir.path().join(CA_KEY_FILE)).unwrap();
        let other = LocalAuthority::open_or_create(dir.path()).unwrap();
        assert!(!other.covers(&first[0], &hosts(), now));
        let issued = chain_for(&other, &hosts(), now);
        assert!(other.covers(&issued[0], &hosts(), now));
    }

    #[test]
    fn a_key_that_does_not_go_with_the_certificate_has_it_issued_again() {
        let (dir, authority) = fresh_authority();
        let now = SystemTime::now();
        let first = chain_for(&authority, &hosts(), now);
        // As a crash between the key's write and the certificate's could have left it.
        let other_key = KeyPair::generate().unwrap().serialize_pem();
        std::fs::write(dir.path().join(SERVER_KEY_FILE), other_key).unwrap();
        let issued = authority.server_certificate(&hosts(), now).unwrap();
        assert_ne!(issued.cert, first);
        assert!(issued.keys_match().is_ok());
    }

    #[test]
    fn half_an_authority_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        LocalAuthority::open_or_create(dir.path()).unwrap();
        std::fs::remove_file(dir.path().join(CA_KEY_FILE)).unwrap();
        let error = LocalAuthority::open_or_create(dir.path()).err().unwrap();
        assert!(
            format!("{error:#}").contains("without the other"),
            "{error:#}"
        );
    }
}
