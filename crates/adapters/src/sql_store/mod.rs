//! The metadata store on SQL, written once for SQLite (the embedded store of the local
//! stack and the tests) and Postgres (production): [`SqlStore`] over a [`Dialect`].
//!
//! Every write is one SQL statement (an outcome: with its announcement, in one
//! transaction) guarded by the photo's current status, so two workers racing on the same
//! photo cannot both move it, and repeating a write that already happened changes
//! nothing (not even `updated_at`).
//!
//! A failed outcome is stored with `reason_code` = the error name (e.g. `Wisaw.Transient`,
//! `States.Timeout`) and `reason` = its cause, as Step Functions reports them.
//!
//! The same database keeps the audit log of dead-letter replays ([`ReplayAudit`]).
//!
//! The statements here are written in the SQL both databases speak: `$n` placeholders
//! (SQLite reads `$n` as the n-th bound value too) and `IS NOT DISTINCT FROM` to compare
//! columns that may be NULL. Adding a store dialect touches these places and no others:
//!
//! - `impl Dialect` for its sqlx database, in `src/<dialect>/dialect.rs`: how a UUID and a
//!   time are bound, the photo's insert-if-absent, the feed, how abuse reports from one
//!   address take turns;
//! - `impl StoredColumns` for its row type, in the same file: how a UUID and a time are read;
//! - its migrations, `migrations/<dialect>/`, and the constructor that runs them,
//!   `src/<dialect>/mod.rs`;
//! - its cargo feature (`Cargo.toml`) and its modules in `src/lib.rs`.
//!
//! The `where` clauses of the generic impls list what their statements ask of sqlx: the
//! executors, and the value types they bind. Rust does not pass a trait's `where` clauses
//! on to its users, so [`Dialect`] cannot carry them; sqlx's databases all meet them.
//!
//! [`ReplayAudit`]: wisaw_domain::ports::ReplayAudit

mod dialect;
mod metadata;
mod replays;

pub use dialect::Dialect;

use sqlx::Pool;
use wisaw_domain::status::PhotoStatus;

/// The metadata store and replays' audit log on the database `D`.
#[derive(Debug)]
pub struct SqlStore<D: Dialect> {
    pool: Pool<D>,
}

impl<D: Dialect> Clone for SqlStore<D> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
        }
    }
}

impl<D: Dialect> SqlStore<D> {
    /// The store over a pool whose schema is up to date: each dialect's constructor
    /// migrates it first.
    pub(crate) fn migrated(pool: Pool<D>) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &Pool<D> {
        &self.pool
    }
}

/// The statuses a photo may be in to move to `next`, as an SQL list of literals.
/// They come from [`PhotoStatus::as_str`], never from input, so inlining them is safe.
fn statuses_that_can_become(next: PhotoStatus) -> String {
    PhotoStatus::ALL
        .into_iter()
        .filter(|status| status.can_become(next))
        .map(|status| format!("'{}'", status.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}
