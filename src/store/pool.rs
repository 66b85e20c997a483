//! The `passkeys` database of rocket_db_pools: embedded SQLite by default, PostgreSQL
//! (feature `postgres`) when the url says `postgres://`.

use std::str::FromStr;
use std::time::Duration;

use rocket::figment::Figment;
use rocket_db_pools::{Config as PoolConfig, Database};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

/// The pool behind the `passkeys` database.
pub struct PasskeysPool(pub(crate) Backend);

/// Which database the pool talks to.
pub(crate) enum Backend {
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// A connection from [`PasskeysPool`].
#[allow(clippy::large_enum_variant)] // handed out one at a time; boxing would cost more
pub enum PasskeysConnection {
    /// A SQLite connection.
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl PasskeysPool {
    /// The SQLite pool, for an app that keeps its own tables in the same database.
    pub fn sqlite(&self) -> Option<&sqlx::SqlitePool> {
        match &self.0 {
            Backend::Sqlite(pool) => Some(pool),
            #[cfg(feature = "postgres")]
            Backend::Postgres(_) => None,
        }
    }

    /// The PostgreSQL pool, for an app that keeps its own tables in the same database.
    #[cfg(feature = "postgres")]
    pub fn postgres(&self) -> Option<&sqlx::PgPool> {
        match &self.0 {
            Backend::Postgres(pool) => Some(pool),
            Backend::Sqlite(_) => None,
        }
    }

    /// Closes every connection (also done at shutdown).
    pub async fn close(&self) {
        match &self.0 {
            Backend::Sqlite(pool) => pool.close().await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// The crate's database, configured under `[default.databases.passkeys]`.
#[derive(Database)]
#[database("passkeys")]
pub struct PasskeysDb(PasskeysPool);

async fn sqlite(config: &PoolConfig) -> Result<Backend, sqlx::Error> {
    // WAL is set once and persists in the file; synchronous=NORMAL and foreign keys are
    // per connection. One writer at a time: a small pool.
    let options = SqliteConnectOptions::from_str(&config.url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(config.connect_timeout))
        .statement_cache_capacity(64);
    // An embedded database cannot drop a connection the way a server can: no ping before
    // each use (sqlx's default, a round trip to its SQLite thread every time).
    let pool = sqlx::pool::PoolOptions::new()
        .test_before_acquire(false)
        .max_connections(config.max_connections.max(1) as u32)
        .min_connections(config.min_connections.unwrap_or(1))
        .acquire_timeout(Duration::from_secs(config.connect_timeout))
        .idle_timeout(config.idle_timeout.map(Duration::from_secs))
        .connect_with(options)
        .await?;
    Ok(Backend::Sqlite(pool))
}

#[cfg(feature = "postgres")]
async fn postgres(config: &PoolConfig) -> Result<Backend, sqlx::Error> {
    let options = sqlx::postgres::PgConnectOptions::from_str(&config.url)?;
    let pool = sqlx::pool::PoolOptions::new()
        .max_connections(config.max_connections.max(1) as u32)
        .min_connections(config.min_connections.unwrap_or(0))
        .acquire_timeout(Duration::from_secs(config.connect_timeout))
        .idle_timeout(config.idle_timeout.map(Duration::from_secs))
        .connect_with(options)
        .await?;
    Ok(Backend::Postgres(pool))
}

#[cfg(not(feature = "postgres"))]
async fn postgres(_: &PoolConfig) -> Result<Backend, sqlx::Error> {
    Err(sqlx::Error::Configuration(
        "this build has no PostgreSQL support: enable the `postgres` feature of rocket_passkeys"
            .into(),
    ))
}

#[rocket::async_trait]
impl rocket_db_pools::Pool for PasskeysPool {
    type Connection = PasskeysConnection;
    type Error = rocket_db_pools::Error<sqlx::Error>;

    async fn init(figment: &Figment) -> Result<Self, Self::Error> {
        let config: PoolConfig = figment.extract()?;
        let backend =
            if config.url.starts_with("postgres:") || config.url.starts_with("postgresql:") {
                postgres(&config).await
            } else {
                sqlite(&config).await
            };
        backend
            .map(PasskeysPool)
            .map_err(rocket_db_pools::Error::Init)
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        let connection = match &self.0 {
            Backend::Sqlite(pool) => pool.acquire().await.map(PasskeysConnection::Sqlite),
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => pool.acquire().await.map(PasskeysConnection::Postgres),
        };
        connection.map_err(rocket_db_pools::Error::Get)
    }

    async fn close(&self) {
        PasskeysPool::close(self).await;
    }
}
