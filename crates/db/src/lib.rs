//! Stoa's storage layer: sea-orm entities and the queries the rest of the server runs.
//!
//! This crate knows SQL and the schema, nothing of forum rules or HTTP. Functions take any
//! `ConnectionTrait` so that services can run them inside their own transactions.

pub mod entities;
pub mod queries;
pub mod writes;

use std::time::Duration;

pub use entities::*;
pub use sea_orm;
use sea_orm::{ConnectOptions, Database};
pub use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, TransactionSession,
    TransactionTrait,
};
use stoa_migration::{Migrator, MigratorTrait};

/// Opens a connection pool for a `sqlite:` or `postgres:` URL.
///
/// SQLite gets WAL, a busy timeout and foreign keys switched on explicitly: WAL lets readers run
/// beside the one writer, and the busy timeout makes a writer wait instead of failing.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .sqlx_logging(false)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30));
    if url.starts_with("sqlite:") {
        use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
        options
            .max_connections(8)
            .min_connections(1)
            .map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .statement_cache_capacity(SQLITE_STATEMENT_CACHE)
            });
    } else {
        // Kept open: the reply writers and the delivery worker use some all the time.
        options.max_connections(16).min_connections(4);
    }
    Database::connect(options).await
}

/// Prepared statements each SQLite connection keeps. The statements that run often have fixed
/// text and stay; the writers' multi-row statements change with the number of rows, and each
/// kept one holds a compiled program of its own, so a long cache fills with them: at the default
/// of 100, a server under inbound load peaked at about 105 MiB, at 16 under 60 MiB, no slower
/// (docs/performance.md).
const SQLITE_STATEMENT_CACHE: usize = 16;

/// Whether a statement failed because a row with the same unique key exists.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

/// Begins a transaction that will write. On SQLite it takes the write lock up front
/// (`BEGIN IMMEDIATE`): a deferred transaction that reads first and writes later can fail at once
/// with "database is locked" when another writer got there in between, whatever the busy
/// timeout; an immediate one waits its turn instead.
pub async fn begin_write<C: TransactionTrait>(db: &C) -> Result<C::Transaction, DbErr> {
    db.begin_with_options(sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    })
    .await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Rolls every migration back (used by the migration round-trip test and `stoa migrate --revert-all`).
pub async fn migrate_down_all(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::down(db, None).await
}

/// Creates an empty PostgreSQL database with a random `stoa_test_` name next to the one
/// `admin_url` points at, and returns its URL. Test suites use it to give each test its own
/// database; `.ci/test` drops the leftovers.
pub async fn create_scratch_postgres_database(admin_url: &str) -> Result<String, DbErr> {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    let name = format!("stoa_test_{:016x}", hasher.finish());
    let admin = connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    admin.close().await?;
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let prefix = base.rsplit_once('/').map(|(p, _)| p).unwrap_or(base);
    Ok(match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    })
}
