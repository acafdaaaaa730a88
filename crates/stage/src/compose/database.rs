//! The database secret of the stage: the JSON RDS keeps in Secrets Manager
//! (`username`, `password`, `host`, `port`, `dbname`), made from `--database-url` and
//! given to the template as its `DatabaseSecretArn`.

use anyhow::{Context, Result};
use serde_json::json;

/// The secret's value for a `postgres://user:password@host:port/database` URL.
pub fn secret_value(database_url: &str) -> Result<String> {
    let url = url::Url::parse(database_url).context("--database-url is not a URL")?;
    anyhow::ensure!(
        matches!(url.scheme(), "postgres" | "postgresql"),
        "--database-url must be a postgres:// URL"
    );
    let decoded = |text: &str| -> Result<String> {
        Ok(urlencoding::decode(text)
            .context("--database-url has a malformed escape")?
            .into_owned())
    };
    let host = url
        .host_str()
        .context("--database-url names no host")?
        .to_string();
    let dbname = url.path().trim_start_matches('/');
    Ok(json!({
        "engine": "postgres",
        "username": decoded(url.username())?,
        "password": decoded(url.password().unwrap_or_default())?,
        "host": host,
        "port": url.port().unwrap_or(5432),
        "dbname": if dbname.is_empty() { "postgres".to_string() } else { decoded(dbname)? },
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_becomes_the_rds_secret() {
        let secret: serde_json::Value = serde_json::from_str(
            &secret_value("postgres://app:p%40ss@127.0.0.1:6543/photos").unwrap(),
        )
        .unwrap();
        assert_eq!(secret["username"], "app");
        assert_eq!(secret["password"], "p@ss");
        assert_eq!(secret["port"], 6543);
        assert_eq!(secret["dbname"], "photos");
        assert!(secret_value("mysql://x@h/db").is_err());
    }
}
