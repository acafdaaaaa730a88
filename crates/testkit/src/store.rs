//! Where a test keeps its metadata: SQLite, or a Postgres schema of its own.

use sqlx::postgres::PgConnection;
use sqlx::Connection;
use std::sync::Arc;

pub const DATABASE_URL_VAR: &str = "WISAW_TEST_DATABASE_URL";
pub const REQUIRE_POSTGRES_VAR: &str = "WISAW_REQUIRE_POSTGRES";

/// A schema of its own in the database of `WISAW_TEST_DATABASE_URL`, so tests run in
/// parallel; dropped with the last handle on it, even when the test fails.
#[derive(Debug)]
pub struct TestSchema {
    base_url: String,
    pub name: String,
}

impl TestSchema {
    /// A fresh schema named `{prefix}_{random}`. Without `WISAW_TEST_DATABASE_URL` this is
    /// `None` (the Postgres variant of a test is skipped, and says so), unless
    /// `WISAW_REQUIRE_POSTGRES=1` (as in CI), where it fails.
    pub async fn create(prefix: &str) -> Option<Self> {
        let base_url = match std::env::var(DATABASE_URL_VAR) {
            Ok(url) if !url.trim().is_empty() => url,
            _ => {
                assert!(
                    std::env::var(REQUIRE_POSTGRES_VAR).as_deref() != Ok("1"),
                    "{REQUIRE_POSTGRES_VAR}=1 but {DATABASE_URL_VAR} is not set"
                );
                eprintln!("skipped on Postgres: {DATABASE_URL_VAR} is not set");
                return None;
            }
        };
        let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&base_url)
            .await
            .unwrap_or_else(|e| panic!("connecting to {DATABASE_URL_VAR}: {e}"));
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        admin.close().await.unwrap();
        Some(Self { base_url, name })
    }

    /// The database's URL, as `WISAW_TEST_DATABASE_URL` gives it.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A URL whose connections find this schema first (`search_path`).
    pub fn url(&self) -> String {
        let separator = if self.base_url.contains('?') {
            '&'
        } else {
            '?'
        };
        format!(
            "{}{separator}options=-c%20search_path%3D{}%2Cpublic",
            self.base_url, self.name
        )
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let (url, name) = (self.base_url.clone(), self.name.clone());
        // Drop cannot await: a thread with a runtime of its own does the cleanup.
        let cleanup = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the cleanup");
            runtime.block_on(async {
                if let Ok(mut connection) = PgConnection::connect(&url).await {
                    let dropped = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                        .execute(&mut connection)
                        .await;
                    if let Err(e) = dropped {
                        eprintln!("could not drop the test schema {name}: {e}");
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

/// Where a test stack keeps its metadata.
#[derive(Clone, Debug)]
pub enum Store {
    Sqlite,
    /// A schema of this test's own.
    Postgres(Arc<TestSchema>),
}

impl Store {
    pub fn database_url(&self) -> Option<String> {
        match self {
            Store::Sqlite => None,
            Store::Postgres(schema) => Some(schema.url()),
        }
    }

    /// A fresh schema; see [`TestSchema::create`].
    pub async fn postgres() -> Option<Store> {
        let schema = TestSchema::create("e2e").await?;
        Some(Store::Postgres(Arc::new(schema)))
    }
}

/// What a test body runs on, built from the store of its variant: the [`Store`] itself,
/// or a fixture of the test's own (e.g. a metadata store opened on it).
pub trait FromStore: Sized {
    fn from_store(store: Store) -> impl std::future::Future<Output = Self>;
}

impl FromStore for Store {
    async fn from_store(store: Store) -> Self {
        store
    }
}

/// Runs `body` on what it takes, built from `store`.
pub async fn run_on<T, F>(store: Store, body: impl FnOnce(T) -> F)
where
    T: FromStore,
    F: std::future::Future<Output = ()>,
{
    body(T::from_store(store).await).await
}

/// Runs async test bodies on SQLite and, when available, on Postgres. A body takes one
/// argument, a [`Store`] or anything [`FromStore`] builds from one.
///
/// - `on_every_store!(body, ...)`: a module per body, with the tests `sqlite` and
///   `postgres` on two worker threads.
/// - `on_every_store!(by_store: module::case, ...; postgres_only: module::case, ...)`: the
///   modules `sqlite` and `postgres`, with a test per case on the current thread; the
///   cases after `postgres_only:` (optional) need what only Postgres has.
#[macro_export]
macro_rules! on_every_store {
    (by_store: $($module:ident :: $case:ident),* $(,)?
     $(; postgres_only: $($pg_module:ident :: $pg_case:ident),* $(,)?)?) => {
        mod sqlite {
            $($crate::on_every_store!(@sqlite [] $case = super::$module::$case);)*
        }
        mod postgres {
            $($crate::on_every_store!(@postgres [] $case = super::$module::$case);)*
            $($($crate::on_every_store!(@postgres [] $pg_case = super::$pg_module::$pg_case);)*)?
        }
    };
    (@sqlite [$($runtime:tt)*] $test:ident = $body:path) => {
        #[tokio::test($($runtime)*)]
        async fn $test() {
            $crate::store::run_on($crate::Store::Sqlite, $body).await
        }
    };
    (@postgres [$($runtime:tt)*] $test:ident = $body:path) => {
        #[tokio::test($($runtime)*)]
        async fn $test() {
            if let Some(store) = $crate::Store::postgres().await {
                $crate::store::run_on(store, $body).await
            }
        }
    };
    ($($body:ident),* $(,)?) => {$(
        mod $body {
            $crate::on_every_store!(
                @sqlite [flavor = "multi_thread", worker_threads = 2] sqlite = super::$body
            );
            $crate::on_every_store!(
                @postgres [flavor = "multi_thread", worker_threads = 2] postgres = super::$body
            );
        }
    )*};
}
