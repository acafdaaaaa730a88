//! The stores under test, each on a database of its own: a SQLite file in a temporary
//! folder, or the fresh Postgres schema of a testkit [`Store`].

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqlitePool;
use std::path::PathBuf;
use std::sync::Arc;
use wisaw_adapters::postgres::{PostgresMetadataStore, PostgresSettings};
use wisaw_adapters::sqlite::SqliteMetadataStore;
use wisaw_adapters::sqlite_file::to_micros;
use wisaw_domain::model::Photo;
use wisaw_domain::ports::{MetadataStore, ReplayAudit};
use wisaw_domain::PhotoId;
use wisaw_testkit::{FromStore, Store, TestSchema};

pub struct Backend {
    store: Arc<dyn MetadataStore>,
    /// The same store, as the replays' audit log.
    audit: Arc<dyn ReplayAudit>,
    database: Database,
}

enum Database {
    Sqlite {
        pool: SqlitePool,
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres {
        store: PostgresMetadataStore,
        settings: Box<PostgresSettings>,
        _schema: Arc<TestSchema>,
    },
}

impl FromStore for Backend {
    async fn from_store(store: Store) -> Self {
        match store {
            Store::Sqlite => Self::sqlite().await,
            Store::Postgres(schema) => Self::postgres(schema).await,
        }
    }
}

impl Backend {
    async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        // A folder that does not exist yet: opening creates it.
        let path = dir.path().join("nested").join("meta.db");
        let store = Arc::new(SqliteMetadataStore::open(&path).await.unwrap());
        Self {
            database: Database::Sqlite {
                pool: store.pool().clone(),
                path,
                _dir: dir,
            },
            audit: store.clone(),
            store,
        }
    }

    async fn postgres(schema: Arc<TestSchema>) -> Self {
        let settings = PostgresSettings::from_url(schema.base_url())
            .unwrap()
            .with_search_path(&format!("{},public", schema.name))
            .with_max_connections(4);
        let store = PostgresMetadataStore::connect(&settings).await.unwrap();
        Self {
            store: Arc::new(store.clone()),
            audit: Arc::new(store.clone()),
            database: Database::Postgres {
                store,
                settings: Box::new(settings),
                _schema: schema,
            },
        }
    }

    pub fn store(&self) -> &dyn MetadataStore {
        self.store.as_ref()
    }

    pub fn shared_store(&self) -> Arc<dyn MetadataStore> {
        Arc::clone(&self.store)
    }

    pub fn audit(&self) -> &dyn ReplayAudit {
        self.audit.as_ref()
    }

    pub fn postgres_store(&self) -> Option<&PostgresMetadataStore> {
        match &self.database {
            Database::Postgres { store, .. } => Some(store),
            Database::Sqlite { .. } => None,
        }
    }

    /// A second store over the same database, as a restarted process would open it
    /// (migrations run again).
    pub async fn reopened(&self) -> Arc<dyn MetadataStore> {
        self.reopened_audit().await.0
    }

    /// [`Self::reopened`], as both the metadata store and the replays' audit log.
    pub async fn reopened_audit(&self) -> (Arc<dyn MetadataStore>, Arc<dyn ReplayAudit>) {
        match &self.database {
            Database::Sqlite { path, .. } => {
                let store = Arc::new(SqliteMetadataStore::open(path).await.unwrap());
                (store.clone(), store)
            }
            Database::Postgres { settings, .. } => {
                let store = Arc::new(PostgresMetadataStore::connect(settings).await.unwrap());
                (store.clone(), store)
            }
        }
    }

    /// Closes the connections of the store under test.
    pub async fn close(&self) {
        match &self.database {
            Database::Sqlite { pool, .. } => pool.close().await,
            Database::Postgres { store, .. } => store.pool().close().await,
        }
    }

    /// How many abuse reports and announcements still point at `photo`.
    pub async fn rows_referencing(&self, photo: PhotoId) -> (i64, i64) {
        match &self.database {
            Database::Sqlite { pool, .. } => sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM abuse_reports WHERE photo_id = ?1), \
                        (SELECT COUNT(*) FROM photo_events WHERE photo_id = ?1)",
            )
            .bind(photo.to_string())
            .fetch_one(pool)
            .await
            .unwrap(),
            Database::Postgres { store, .. } => sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM abuse_reports WHERE photo_id = $1), \
                        (SELECT COUNT(*) FROM photo_events WHERE photo_id = $1)",
            )
            .bind(photo.0)
            .fetch_one(store.pool())
            .await
            .unwrap(),
        }
    }

    /// Where the database lets a test interleave statements exactly (Postgres), makes
    /// every later INSERT statement on `photos` delete the photo `id` as it ends, even
    /// when it inserted nothing: a DELETE landing right after a create's insert, before
    /// anything else it does. Returns false where that cannot be arranged (SQLite has no
    /// statement triggers).
    pub async fn delete_at_the_end_of_each_insert(&self, id: PhotoId) -> bool {
        let Database::Postgres { store, .. } = &self.database else {
            return false;
        };
        sqlx::query(&format!(
            "CREATE FUNCTION delete_raced_photo() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN DELETE FROM photos WHERE id = '{}'; RETURN NULL; END $$",
            id.0
        ))
        .execute(store.pool())
        .await
        .unwrap();
        sqlx::query(
            "CREATE TRIGGER delete_raced_photo AFTER INSERT ON photos \
             FOR EACH STATEMENT EXECUTE FUNCTION delete_raced_photo()",
        )
        .execute(store.pool())
        .await
        .unwrap();
        true
    }

    /// Writes whole rows at once, in one transaction: thousands of photos through the
    /// store's own calls would take most of a test's time.
    pub async fn insert_photos(&self, photos: &[Photo]) {
        match &self.database {
            Database::Sqlite { pool, .. } => insert_sqlite(pool, photos).await,
            Database::Postgres { store, .. } => insert_postgres(store, photos).await,
        }
    }
}

async fn insert_sqlite(pool: &SqlitePool, photos: &[Photo]) {
    let mut tx = pool.begin().await.unwrap();
    for p in photos {
        sqlx::query(
            "INSERT INTO photos (id, device_id, lat, lon, status, content_type, content_length, \
             reason_code, reason, width, height, thumb_key, display_key, execution_name, \
             created_at, updated_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.id.to_string())
        .bind(p.device_id.to_string())
        .bind(p.lat)
        .bind(p.lon)
        .bind(p.status.as_str())
        .bind(&p.content_type)
        .bind(p.content_length as i64)
        .bind(&p.reason_code)
        .bind(&p.reason)
        .bind(p.width.map(i64::from))
        .bind(p.height.map(i64::from))
        .bind(&p.thumb_key)
        .bind(&p.display_key)
        .bind(&p.execution_name)
        .bind(to_micros(p.created_at))
        .bind(to_micros(p.updated_at))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn insert_postgres(store: &PostgresMetadataStore, photos: &[Photo]) {
    fn column<T>(photos: &[Photo], f: impl Fn(&Photo) -> T) -> Vec<T> {
        photos.iter().map(f).collect()
    }
    let times = |f: fn(&Photo) -> DateTime<Utc>| column(photos, f);
    sqlx::query(
        "INSERT INTO photos (id, device_id, lat, lon, status, content_type, content_length, \
         reason_code, reason, width, height, thumb_key, display_key, execution_name, \
         created_at, updated_at) \
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::float8[], $4::float8[], $5::text[], \
         $6::text[], $7::int8[], $8::text[], $9::text[], $10::int8[], $11::int8[], $12::text[], \
         $13::text[], $14::text[], $15::timestamptz[], $16::timestamptz[])",
    )
    .bind(column(photos, |p| p.id.0))
    .bind(column(photos, |p| p.device_id.0))
    .bind(column(photos, |p| p.lat))
    .bind(column(photos, |p| p.lon))
    .bind(column(photos, |p| p.status.as_str().to_string()))
    .bind(column(photos, |p| p.content_type.clone()))
    .bind(column(photos, |p| p.content_length as i64))
    .bind(column(photos, |p| p.reason_code.clone()))
    .bind(column(photos, |p| p.reason.clone()))
    .bind(column(photos, |p| p.width.map(i64::from)))
    .bind(column(photos, |p| p.height.map(i64::from)))
    .bind(column(photos, |p| p.thumb_key.clone()))
    .bind(column(photos, |p| p.display_key.clone()))
    .bind(column(photos, |p| p.execution_name.clone()))
    .bind(times(|p| p.created_at))
    .bind(times(|p| p.updated_at))
    .execute(store.pool())
    .await
    .unwrap();
    // What autovacuum would soon do: give the planner the table's real size.
    sqlx::query("ANALYZE photos")
        .execute(store.pool())
        .await
        .unwrap();
}

/// A pooled session is ended by the server once idle a minute: a Lambda instance frozen
/// with its connection open would otherwise keep a pausing database (Aurora Serverless
/// v2) awake, which pauses only once no session is open.
pub async fn an_idle_session_is_ended_by_the_server(backend: Backend) {
    let store = backend.postgres_store().expect("a Postgres store");
    let timeout: String = sqlx::query_scalar("SHOW idle_session_timeout")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(timeout, "1min");
}

/// A database resuming from an automatic pause holds a new connection until it is back
/// (Aurora Serverless v2: about 15 s): a request that waits longer than that gets its
/// connection, one that waits less fails. What `WISAW_DATABASE_WAIT_SECONDS` sets.
pub async fn a_connection_waits_out_a_database_that_resumes(backend: Backend) {
    use std::time::{Duration, Instant};
    use wisaw_testkit::outage_proxy::OutageProxy;
    let Database::Postgres { settings, .. } = &backend.database else {
        panic!("a Postgres store");
    };
    let options = settings.connect_options();
    let upstream = format!("{}:{}", options.get_host(), options.get_port());
    let proxy = OutageProxy::start(upstream.parse().unwrap()).await;
    let through_proxy = |wait: Duration| {
        let address = proxy.url().replace("http://", "");
        let url = format!(
            "postgres://{}@{address}/{}",
            options.get_username(),
            options.get_database().unwrap_or("postgres")
        );
        PostgresSettings::from_url(&url)
            .unwrap()
            .with_acquire_timeout(wait)
    };
    let select_one = |settings: PostgresSettings| async move {
        let pool = settings
            .pool_options()
            .connect_lazy_with(settings.connect_options().clone());
        sqlx::query_scalar::<_, i32>("SELECT 1")
            .fetch_one(&pool)
            .await
    };

    let resume = Duration::from_secs(2);
    proxy.hold_new_connections(resume);
    let impatient = select_one(through_proxy(Duration::from_millis(500))).await;
    assert!(impatient.is_err(), "{impatient:?}");

    proxy.hold_new_connections(resume);
    let started = Instant::now();
    let patient = select_one(through_proxy(resume * 3)).await;
    assert_eq!(patient.unwrap(), 1);
    assert!(started.elapsed() >= resume, "{:?}", started.elapsed());
}

/// A schema is brought up to date by its own migration record: another schema further
/// along the search path that is up to date already (here, this backend's) must not make
/// a new one look migrated, or its writes would land in the other schema's tables.
pub async fn a_schema_is_migrated_whatever_schema_follows_it(backend: Backend) {
    let Database::Postgres { _schema, .. } = &backend.database else {
        panic!("a Postgres store");
    };
    let front = wisaw_testkit::TestSchema::create("conformance_front")
        .await
        .expect("Postgres");
    let settings = PostgresSettings::from_url(front.base_url())
        .unwrap()
        .with_search_path(&format!("{},{},public", front.name, _schema.name));
    let store = PostgresMetadataStore::connect(&settings).await.unwrap();
    let own_table: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
        .bind(format!("{}.photos", front.name))
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert!(own_table.is_some(), "{} has no photos table", front.name);
}
