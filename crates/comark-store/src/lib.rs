//! The database: the one crate that knows SQL.
//!
//! A [`Store`] wraps either a SQLite or a PostgreSQL pool, chosen from the URL. Queries are
//! written once and compiled against both pools by the [`on_pool!`] and [`write_tx!`] macros;
//! the rare dialect-specific statement sits beside its portable twin.
//!
//! Tenant tables are reached only through [`Store::org`], which takes an [`OrgScope`]: a
//! proof of membership that only this crate can mint (see [`scope`]).

pub mod accounts;
pub mod assessment;
mod audit;
mod connections;
pub mod engagement;
pub mod exit;
pub mod goals;
pub mod import_runs;
pub mod intake;
mod invitations;
mod jobs;
pub mod maturity;
mod orgs;
pub mod partnerships;
mod profiles;
pub mod records;
pub mod scope;
mod sessions;
mod tokens;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};

pub use connections::{ConnectionLink, LiveLink, CLOSED_LINKS_SHOWN_FOR};
pub use jobs::{ClaimedJob, JobCounts, NewJob};
pub use profiles::StoredProfile;
pub use records::*;
pub use scope::{OrgScope, OrgStore, ScopeOrigin};
pub use sessions::NewSession;
pub use users::{Backoff, NewSignup};

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row, or not visible to the caller: the two are deliberately the same.
    #[error("not found")]
    NotFound,
    /// A unique value is taken; the payload names the field in the user's words.
    #[error("{0} is already taken")]
    Conflict(&'static str),
    /// The change breaks a rule the store enforces (for example, the last owner leaving).
    #[error("{0}")]
    Rule(String),
    /// The URL names no database we support.
    #[error("unsupported database URL `{0}`: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be read back (a bug or a hand-edited database).
    #[error("corrupt value in column {column}: {detail}")]
    Corrupt {
        /// Where.
        column: &'static str,
        /// What.
        detail: String,
    },
}

/// The result of a store call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

#[derive(Clone, Debug)]
pub(crate) enum Pools {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The database handle shared by the server, the CLI and the workers.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pools: Pools,
    /// Wakes local workers when a job is queued (SQLite, and PostgreSQL within one process).
    pub(crate) job_signal: std::sync::Arc<tokio::sync::Notify>,
}

/// Runs `$body` with `$pool` bound to whichever pool the store holds.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite($pool) => $body,
            $crate::Pools::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` in a write transaction bound to `$tx` and commits it; an early return
/// (through `?`) drops the transaction, which rolls it back. SQLite takes the write lock
/// up front (`BEGIN IMMEDIATE`) so a read-then-write cannot fail to upgrade.
macro_rules! write_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite(pool) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::Pools::Postgres(pool) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

pub(crate) use {on_pool, write_tx};

/// Now, at the precision both databases keep (microseconds), so values read back compare equal.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// A short fingerprint of the PostgreSQL migrations (versions and checksums), so a test
/// template made from an older schema is never reused.
pub fn schema_fingerprint() -> String {
    // FNV-1a: stable across runs and builds, unlike the standard hasher.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for migration in POSTGRES_MIGRATIONS.iter() {
        for byte in migration
            .version
            .to_le_bytes()
            .iter()
            .chain(migration.checksum.iter())
        {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

/// Each SQLite connection's page cache, in KiB (negative, as `PRAGMA cache_size` takes it).
pub(crate) const SQLITE_CACHE: &str = "-32768";

impl Store {
    /// Connects to `url` (`sqlite://PATH` or `postgres://...`), creating a SQLite file if missing.
    pub async fn connect(url: &str) -> Result<Store> {
        let pools = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .foreign_keys(true)
                // An acknowledged write must survive a power cut.
                .synchronous(SqliteSynchronous::Full)
                .busy_timeout(Duration::from_secs(10))
                // The default page cache (2 MiB) spills to the file many times over while a
                // recompute stores a million matches; it grows only as pages are used.
                .pragma("cache_size", SQLITE_CACHE);
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await?;
            Pools::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Pools::Postgres(pool)
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        Ok(Store {
            pools,
            job_signal: Default::default(),
        })
    }

    /// The URL of the SQLite file inside a data directory.
    pub fn sqlite_url_in(data_dir: &Path) -> String {
        format!("sqlite://{}", data_dir.join("comark.db").display())
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite(_) => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Brings the schema up to date. Safe to run from several instances at once:
    /// sqlx takes an advisory lock on PostgreSQL.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pools {
            Pools::Sqlite(pool) => SQLITE_MIGRATIONS.run(pool).await?,
            Pools::Postgres(pool) => POSTGRES_MIGRATIONS.run(pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        on_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    /// Writes a consistent copy of a SQLite database to `target` while it is in use.
    pub async fn backup_sqlite_to(&self, target: &Path) -> Result<()> {
        match &self.pools {
            Pools::Sqlite(pool) => {
                sqlx::query("VACUUM INTO $1")
                    .bind(target.display().to_string())
                    .execute(pool)
                    .await?;
                Ok(())
            }
            Pools::Postgres(_) => Err(StoreError::Rule(
                "online backup is built in for SQLite only; for PostgreSQL use pg_dump".into(),
            )),
        }
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        on_pool!(self, pool => pool.close().await)
    }

    /// Every table and its columns, for the test that keeps the two schemas in step.
    pub async fn schema_outline(&self) -> Result<Vec<(String, Vec<String>)>> {
        let rows: Vec<(String, String)> = match &self.pools {
            Pools::Sqlite(pool) => {
                sqlx::query_as(
                    "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'
                     ORDER BY m.name, p.name",
                )
                .fetch_all(pool)
                .await?
            }
            Pools::Postgres(pool) => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'
                     ORDER BY table_name, column_name",
                )
                .fetch_all(pool)
                .await?
            }
        };
        let mut outline: Vec<(String, Vec<String>)> = Vec::new();
        for (table, column) in rows {
            match outline.last_mut() {
                Some((last, columns)) if *last == table => columns.push(column),
                _ => outline.push((table, vec![column])),
            }
        }
        Ok(outline)
    }
}

/// Hides the password in a database URL before it reaches a log or an error.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => {
                    format!("{}://{user}:***@{}", &url[..scheme_end], &url[at + 1..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Turns a unique violation into a named conflict, and passes other errors through.
pub(crate) fn on_unique(field: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(field),
        _ => StoreError::Database(error),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_logs() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/comark"),
            "postgres://app:***@db:5432/comark"
        );
        assert_eq!(redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }
}
