//! The two engines a store runs on: which one a URL names, how each is opened, and how a write transaction starts
//! on each.

use super::StoreError;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};

/// The database engine behind a [`Store`](super::Store).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// An embedded SQLite file (the default).
    Sqlite,
    /// A PostgreSQL server (several relays can share it).
    Postgres,
}

impl Engine {
    /// The engine a database URL names, if Tandem runs on it.
    pub fn of(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

/// Opens the SQLite file at `url`, creating it and its folder if missing, and migrates it.
pub(super) async fn open_sqlite(url: &str) -> Result<AnyPool, StoreError> {
    if let Some(path) = sqlite_file_path(url) {
        if let Some(dir) = std::path::Path::new(&path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Db(sqlx::Error::Io(e)))?;
        }
    }
    // `mode=rwc`: created if missing. The rest is set on each connection (sqlx's Any pool takes only a URL).
    let url = if url.contains("mode=") {
        url.to_string()
    } else {
        format!("{url}{}mode=rwc", if url.contains('?') { '&' } else { '?' })
    };
    let pool = AnyPoolOptions::new()
        .max_connections(4)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // An acknowledged write survives a crash of the process or the machine.
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                     PRAGMA busy_timeout = 5000",
                )
                .await?;
                Ok(())
            })
        })
        // A write that failed for lack of disk space makes SQLite roll its transaction back by itself; the
        // ROLLBACK that sqlx sends when the transaction is dropped then fails ("no transaction is active"),
        // and sqlx goes on counting the connection as inside one: every later `BEGIN IMMEDIATE` on it would
        // fail. Such a connection is closed instead of reused (a new one is opened).
        .before_acquire(|conn, _| Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) }))
        .connect(&url)
        .await?;
    sqlx::migrate!("./migrations").run(&pool).await?;
    Ok(pool)
}

/// A transaction that writes, one at a time. On SQLite it takes the write lock at its start (`BEGIN IMMEDIATE`), so
/// it waits its turn (the busy timeout) instead of failing at once with SQLITE_BUSY when it reads first and another
/// connection wrote meanwhile, as a deferred transaction does on its first write. On PostgreSQL it takes a lock held
/// until it ends, the same for every write transaction of every relay: the checks that read before they write
/// (five feedback each, even two at once) hold as on SQLite, under READ COMMITTED.
pub(super) async fn begin_write(
    pool: &AnyPool,
    engine: Engine,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    match engine {
        Engine::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
        Engine::Postgres => {
            let mut tx = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

/// The PostgreSQL advisory lock of write transactions ([`begin_write`]): "Tandem" in ASCII.
pub const WRITE_LOCK: i64 = 0x54_61_6e_64_65_6d;

/// The file path of a `sqlite:` URL, if it names a file.
pub(super) fn sqlite_file_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| path.to_string())
}
