//! How the Postgres store connects: from a URL, or from the JSON of the secret AWS
//! Secrets Manager keeps for an RDS database. TLS is required whenever the database is
//! not on this machine, and the pool is small, since each Lambda instance serves one
//! request at a time.

use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
use std::fmt;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;
use wisaw_domain::error::{PortError, Reason};
use wisaw_domain::ports::PortResult;

/// One connection per Lambda instance: it handles one request at a time.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 1;
/// Long enough for a cold connection with TLS, short enough to fail a request quickly.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// The server ends a session left idle this long. A Lambda instance frozen between
/// invocations cannot close its pooled connection itself, and a database that pauses
/// when idle (Aurora Serverless v2) pauses only once no session is open; the pool tests
/// a connection before handing it out and opens a new one when the server ended it.
pub const IDLE_SESSION_TIMEOUT: &str = "60s";

/// Where and how to connect; build it with [`Self::from_url`] or [`Self::from_rds_secret`].
#[derive(Clone)]
pub struct PostgresSettings {
    options: PgConnectOptions,
    max_connections: u32,
    acquire_timeout: Duration,
}

/// The members of an RDS secret this store needs; the others (`engine` aside) are ignored.
#[derive(Deserialize)]
struct RdsSecret {
    username: String,
    password: String,
    host: String,
    port: Option<serde_json::Value>,
    dbname: Option<String>,
    engine: Option<String>,
}

fn invalid(message: impl Into<String>) -> PortError {
    PortError::Invalid(Reason::from(message.into()))
}

/// `localhost`, 127.0.0.0/8 and ::1: traffic that never leaves the machine.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host.eq_ignore_ascii_case("localhost.") {
        return true;
    }
    host.parse::<IpAddr>()
        .is_ok_and(|ip| ip.to_canonical().is_loopback())
}

/// Requires TLS towards any host that is not this machine; a Unix socket is local too.
fn require_tls_off_machine(options: PgConnectOptions) -> PortResult<PgConnectOptions> {
    if options.get_socket().is_some() || is_loopback_host(options.get_host()) {
        return Ok(options);
    }
    match options.get_ssl_mode() {
        PgSslMode::Disable => Err(invalid(format!(
            "refusing to connect to the database at {} without TLS (sslmode=disable); \
             TLS is required for any host but this machine",
            options.get_host()
        ))),
        // These fall back to plain text when TLS fails: not acceptable over a network.
        PgSslMode::Allow | PgSslMode::Prefer => Ok(options.ssl_mode(PgSslMode::Require)),
        PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull => Ok(options),
    }
}

fn port_of(value: Option<serde_json::Value>) -> PortResult<Option<u16>> {
    let bad = || invalid("the database secret's port is not a port number");
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(Some)
            .ok_or_else(bad),
        // Secrets written by hand often quote it.
        Some(serde_json::Value::String(s)) => s.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

impl PostgresSettings {
    fn new(options: PgConnectOptions) -> PortResult<Self> {
        let options = match options.get_application_name() {
            Some(_) => options,
            // Lets an operator tell this store's sessions apart in pg_stat_activity.
            None => options.application_name("wisaw"),
        };
        let options = options.options([("idle_session_timeout", IDLE_SESSION_TIMEOUT)]);
        Ok(Self {
            options: require_tls_off_machine(options)?,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            acquire_timeout: DEFAULT_ACQUIRE_TIMEOUT,
        })
    }

    /// From a `postgres://user:password@host:port/database?sslmode=...` URL.
    pub fn from_url(url: &str) -> PortResult<Self> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e| invalid(format!("the database URL is not valid: {e}")))?;
        Self::new(options)
    }

    /// From the JSON secret Secrets Manager keeps for an RDS or Aurora Postgres database:
    /// `{"username", "password", "host", "port", "dbname", "engine", ...}`.
    pub fn from_rds_secret(json: &str) -> PortResult<Self> {
        // serde_json's message names the problem, never the secret's values.
        let secret: RdsSecret = serde_json::from_str(json)
            .map_err(|e| invalid(format!("the database secret is not valid: {e}")))?;
        if let Some(engine) = secret.engine.as_deref() {
            if !matches!(engine, "postgres" | "aurora-postgresql") {
                return Err(invalid(format!(
                    "the database secret is for `{engine}`, not Postgres"
                )));
            }
        }
        let mut options = PgConnectOptions::new_without_pgpass()
            .host(&secret.host)
            .username(&secret.username)
            .password(&secret.password)
            .port(port_of(secret.port)?.unwrap_or(5432));
        if let Some(dbname) = secret.dbname.as_deref() {
            options = options.database(dbname);
        }
        Self::new(options)
    }

    /// Verifies the server's certificate and host name against this CA bundle
    /// (for RDS, the region's bundle from AWS).
    pub fn with_ssl_root_cert(mut self, ca_file: impl AsRef<Path>) -> Self {
        self.options = self
            .options
            .ssl_mode(PgSslMode::VerifyFull)
            .ssl_root_cert(ca_file);
        self
    }

    /// At least 1; the default is [`DEFAULT_MAX_CONNECTIONS`].
    pub fn with_max_connections(mut self, max_connections: u32) -> Self {
        self.max_connections = max_connections.max(1);
        self
    }

    pub fn with_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Which schemas unqualified names resolve to (the extensions live in `public`,
    /// so it should stay on the list).
    pub fn with_search_path(mut self, search_path: &str) -> Self {
        self.options = self.options.options([("search_path", search_path)]);
        self
    }

    pub fn connect_options(&self) -> &PgConnectOptions {
        &self.options
    }

    pub fn max_connections(&self) -> u32 {
        self.max_connections
    }

    pub fn acquire_timeout(&self) -> Duration {
        self.acquire_timeout
    }

    /// No idle connection is kept open for nothing: `min_connections` is 0.
    pub fn pool_options(&self) -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(self.max_connections)
            .min_connections(0)
            .acquire_timeout(self.acquire_timeout)
    }
}

/// Never prints the password.
impl fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSettings")
            .field("host", &self.options.get_host())
            .field("port", &self.options.get_port())
            .field("database", &self.options.get_database())
            .field("username", &self.options.get_username())
            .field("ssl_mode", &self.options.get_ssl_mode())
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(settings: &PostgresSettings) -> PgSslMode {
        settings.connect_options().get_ssl_mode()
    }

    #[test]
    fn loopback_hosts_are_recognised_and_nothing_else() {
        for host in [
            "localhost",
            "LOCALHOST",
            "127.0.0.1",
            "127.8.9.10",
            "::1",
            "[::1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "db.example.com",
            "10.0.0.5",
            "128.0.0.1",
            "::2",
            "localhost.example.com",
            "mydb.abc123.eu-west-1.rds.amazonaws.com",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn a_remote_url_gets_tls_required_even_when_it_only_prefers_it() {
        for url in [
            "postgres://u:p@db.example.com/app",
            "postgres://u:p@db.example.com/app?sslmode=prefer",
            "postgres://u:p@10.0.0.5:6432/app?sslmode=allow",
        ] {
            let settings = PostgresSettings::from_url(url).unwrap();
            assert!(matches!(mode(&settings), PgSslMode::Require), "{url}");
        }
        let strict =
            PostgresSettings::from_url("postgres://u:p@db.example.com/app?sslmode=verify-full")
                .unwrap();
        assert!(matches!(mode(&strict), PgSslMode::VerifyFull));
    }

    #[test]
    fn a_remote_url_asking_for_no_tls_is_refused() {
        let refused =
            PostgresSettings::from_url("postgres://u:p@db.example.com/app?sslmode=disable")
                .unwrap_err();
        let message = refused.to_string();
        assert!(matches!(refused, PortError::Invalid(_)), "{refused:?}");
        assert!(
            message.contains("db.example.com") && message.contains("TLS"),
            "{message}"
        );
        assert!(!message.contains(":p@"), "no password in errors: {message}");
    }

    #[test]
    fn a_local_database_may_go_without_tls() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
            "postgres://postgres@localhost/test?sslmode=disable",
            "postgres://postgres@[::1]:5432/test?sslmode=disable",
        ] {
            let settings = PostgresSettings::from_url(url).unwrap();
            assert!(matches!(mode(&settings), PgSslMode::Disable), "{url}");
        }
        let default = PostgresSettings::from_url("postgres://postgres@127.0.0.1/test").unwrap();
        assert!(matches!(mode(&default), PgSslMode::Prefer));
    }

    #[test]
    fn a_ca_file_turns_on_full_verification() {
        let settings = PostgresSettings::from_url("postgres://u:p@db.example.com/app")
            .unwrap()
            .with_ssl_root_cert("rds-global-bundle.pem");
        assert!(matches!(mode(&settings), PgSslMode::VerifyFull));
    }

    #[test]
    fn an_rds_secret_gives_host_port_database_and_credentials() {
        let secret = r#"{"username":"wisaw","password":"s3cr:t@/x","engine":"postgres",
            "host":"wisaw.abc123.eu-west-1.rds.amazonaws.com","port":5433,"dbname":"photos",
            "dbInstanceIdentifier":"wisaw"}"#;
        let settings = PostgresSettings::from_rds_secret(secret).unwrap();
        let options = settings.connect_options();
        assert_eq!(
            options.get_host(),
            "wisaw.abc123.eu-west-1.rds.amazonaws.com"
        );
        assert_eq!(options.get_port(), 5433);
        assert_eq!(options.get_username(), "wisaw");
        assert_eq!(options.get_database(), Some("photos"));
        assert!(matches!(mode(&settings), PgSslMode::Require));
        assert!(
            !format!("{settings:?}").contains("s3cr"),
            "Debug hides the password"
        );
    }

    #[test]
    fn an_rds_secret_may_quote_its_port_or_leave_it_out() {
        let quoted = r#"{"username":"u","password":"p","host":"db.internal","port":"6543"}"#;
        let settings = PostgresSettings::from_rds_secret(quoted).unwrap();
        assert_eq!(settings.connect_options().get_port(), 6543);
        assert_eq!(settings.connect_options().get_database(), None);

        let no_port =
            r#"{"username":"u","password":"p","host":"db.internal","engine":"aurora-postgresql"}"#;
        let settings = PostgresSettings::from_rds_secret(no_port).unwrap();
        assert_eq!(settings.connect_options().get_port(), 5432);
    }

    #[test]
    fn a_secret_that_is_not_for_postgres_or_is_malformed_is_refused() {
        for secret in [
            r#"{"username":"u","password":"p","host":"h","engine":"mysql"}"#,
            r#"{"username":"u","password":"p","host":"h","port":"x"}"#,
            r#"{"username":"u","password":"p","host":"h","port":70000}"#,
            r#"{"username":"u","host":"h"}"#,
            "not json",
        ] {
            let error = PostgresSettings::from_rds_secret(secret).unwrap_err();
            assert!(
                matches!(error, PortError::Invalid(_)),
                "{secret}: {error:?}"
            );
        }
    }

    #[test]
    fn the_pool_is_small_by_default_and_configurable() {
        let settings = PostgresSettings::from_url("postgres://postgres@127.0.0.1/test").unwrap();
        assert_eq!(settings.max_connections(), 1);
        assert_eq!(settings.acquire_timeout(), DEFAULT_ACQUIRE_TIMEOUT);
        let pool = settings.pool_options();
        assert_eq!(pool.get_max_connections(), 1);
        assert_eq!(pool.get_min_connections(), 0);

        let settings = settings
            .with_max_connections(0)
            .with_acquire_timeout(Duration::from_secs(2));
        assert_eq!(settings.max_connections(), 1, "never zero");
        assert_eq!(
            settings.pool_options().get_acquire_timeout(),
            Duration::from_secs(2)
        );
        let settings = settings.with_max_connections(8);
        assert_eq!(settings.pool_options().get_max_connections(), 8);
    }
}
