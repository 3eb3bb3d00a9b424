//! Database access: connecting, migrating, and the small helpers every repository uses.

pub mod entities;
#[cfg(test)]
pub mod testing;

use std::path::Path;

use app::error::ApiError;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

/// Connects and applies pending migrations. For SQLite, creates the file's directory first.
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    if let Some(dir) = sqlite_path(url)
        .and_then(|p| Path::new(p).parent())
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = ConnectOptions::new(url.to_string());
    opts.sqlx_logging(false)
        .max_connections(if sqlite_path(url).is_some() { 4 } else { 16 });
    let db = Database::connect(opts).await?;
    if db.get_database_backend() == DbBackend::Sqlite {
        // Foreign keys are off by default in SQLite; WAL lets readers run beside the writer.
        use sea_orm::ConnectionTrait;
        db.execute_unprepared(
            "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;",
        )
        .await?;
    }
    Ok(db)
}

/// Starts a transaction that is going to write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first cannot upgrade to a writer once
/// another connection has committed after its read, and fails at once with "database is
/// locked" whatever the busy timeout. MySQL and PostgreSQL begin as usual.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

fn sqlite_path(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (path != ":memory:" && !path.is_empty()).then_some(path)
}

/// Seconds since the Unix epoch.
/// At most `max` characters, for bounded columns.
pub fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// RFC 3339 for the API, from stored Unix seconds (`2026-11-25T10:00:00Z`).
pub fn rfc3339(ts: i64) -> String {
    chrono::DateTime::from_timestamp(ts, 0)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Maps a unique-constraint violation to 409 on `field`; anything else is internal.
pub fn conflict_or_internal(e: DbErr, field: &str, code: app::error::Code) -> ApiError {
    match e.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => ApiError::conflict(field, code),
        _ => ApiError::from(e),
    }
}

/// Pool figures for `/metrics`: (open connections, idle connections).
pub fn pool_stats(db: &DatabaseConnection) -> (u32, u32) {
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let p = db.get_sqlite_connection_pool();
            (p.size(), p.num_idle() as u32)
        }
        DbBackend::MySql => {
            let p = db.get_mysql_connection_pool();
            (p.size(), p.num_idle() as u32)
        }
        DbBackend::Postgres => {
            let p = db.get_postgres_connection_pool();
            (p.size(), p.num_idle() as u32)
        }
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            sqlite_path("sqlite://data/gemscope.db?mode=rwc"),
            Some("data/gemscope.db")
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://x/y"), None);
    }

    #[test]
    fn timestamps_format() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
    }

    /// Read-then-write transactions racing with plain writers on a SQLite file: every one
    /// commits and no increment is lost. With a deferred `BEGIN` some of them fail with
    /// "database is locked" (a stale read snapshot cannot become a writer).
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite_write_transactions_never_fail_on_a_stale_snapshot() {
        use sea_orm::{ConnectionTrait, Statement};
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/race.db?mode=rwc", dir.path().display());
        let db = connect(&url).await.expect("connect");
        db.execute_unprepared(
            "CREATE TABLE counter (n INTEGER NOT NULL); INSERT INTO counter VALUES (0);
             CREATE TABLE noise (id INTEGER PRIMARY KEY AUTOINCREMENT);",
        )
        .await
        .expect("schema");
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let db = db.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..25 {
                    let txn = begin_write(&db).await?;
                    let row = txn
                        .query_one_raw(Statement::from_string(
                            DbBackend::Sqlite,
                            "SELECT n FROM counter",
                        ))
                        .await?
                        .ok_or_else(|| DbErr::Custom("no counter".into()))?;
                    let n: i64 = row.try_get("", "n")?;
                    tokio::task::yield_now().await;
                    txn.execute_unprepared(&format!("UPDATE counter SET n = {}", n + 1))
                        .await?;
                    txn.commit().await?;
                }
                Ok::<_, DbErr>(())
            }));
        }
        let noise = {
            let db = db.clone();
            tokio::spawn(async move {
                for _ in 0..100 {
                    db.execute_unprepared("INSERT INTO noise DEFAULT VALUES")
                        .await?;
                }
                Ok::<_, DbErr>(())
            })
        };
        for t in tasks {
            t.await.expect("task").expect("read-then-write transaction");
        }
        noise.await.expect("task").expect("plain writes");
        let row = db
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT n FROM counter",
            ))
            .await
            .expect("read")
            .expect("row");
        assert_eq!(row.try_get::<i64>("", "n").expect("n"), 100);
    }
}
