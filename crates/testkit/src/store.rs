//! Where a test keeps its metadata: SQLite, or a Postgres schema of its own.

/// Where a test stack keeps its metadata.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite,
    /// A URL whose search_path is a schema of this test's own.
    Postgres(String),
}

impl Store {
    pub fn database_url(&self) -> Option<String> {
        match self {
            Store::Sqlite => None,
            Store::Postgres(url) => Some(url.clone()),
        }
    }

    pub async fn drop_schema(&self) {
        if let Store::Postgres(url) = self {
            let schema = url
                .rsplit("search_path%3D")
                .next()
                .unwrap()
                .split("%2C")
                .next()
                .unwrap();
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }

    /// A fresh schema in the database of `WISAW_TEST_DATABASE_URL`. Without that
    /// variable the Postgres variant of a test is skipped, unless
    /// `WISAW_REQUIRE_POSTGRES=1` (as in CI), where it fails.
    pub async fn postgres() -> Option<Store> {
        let Ok(base) = std::env::var("WISAW_TEST_DATABASE_URL") else {
            assert!(
                std::env::var("WISAW_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "WISAW_REQUIRE_POSTGRES=1 but WISAW_TEST_DATABASE_URL is not set"
            );
            eprintln!("skipped on Postgres: WISAW_TEST_DATABASE_URL is not set");
            return None;
        };
        let schema = format!("e2e_{}", uuid::Uuid::new_v4().simple());
        let pool = sqlx::PgPool::connect(&base)
            .await
            .expect("connecting to the test Postgres");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let separator = if base.contains('?') { '&' } else { '?' };
        Some(Store::Postgres(format!(
            "{base}{separator}options=-c%20search_path%3D{schema}%2Cpublic"
        )))
    }
}

/// Runs one async test body on SQLite and, when available, on Postgres:
/// `on_every_store!(body_fn)` makes a module `body_fn` with tests `sqlite` and `postgres`.
#[macro_export]
macro_rules! on_every_store {
    ($($body:ident),* $(,)?) => {$(
        mod $body {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body($crate::Store::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(store) = $crate::Store::postgres().await {
                    super::$body(store).await
                }
            }
        }
    )*};
}
