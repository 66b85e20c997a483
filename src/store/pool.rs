//! The `passkeys` database of rocket_db_pools: embedded SQLite (feature `sqlite`, on by
//! default), PostgreSQL (feature `postgres`) when the url says `postgres://`.

use std::str::FromStr;
use std::time::Duration;

use rocket::figment::Figment;
use rocket_db_pools::{Config as PoolConfig, Database};
#[cfg(feature = "sqlite")]
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};

/// The pool behind the `passkeys` database.
pub struct PasskeysPool(pub(crate) Backend);

/// Which database the pool talks to.
pub(crate) enum Backend {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::SqlitePool),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

/// A connection from [`PasskeysPool`].
#[allow(clippy::large_enum_variant)] // handed out one at a time; boxing would cost more
pub enum PasskeysConnection {
    /// A SQLite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl std::fmt::Debug for PasskeysPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => f.debug_tuple("PasskeysPool").field(pool).finish(),
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => f.debug_tuple("PasskeysPool").field(pool).finish(),
        }
    }
}

impl std::fmt::Debug for PasskeysConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let backend = match self {
            #[cfg(feature = "sqlite")]
            PasskeysConnection::Sqlite(_) => "Sqlite",
            #[cfg(feature = "postgres")]
            PasskeysConnection::Postgres(_) => "Postgres",
        };
        f.debug_tuple("PasskeysConnection").field(&backend).finish()
    }
}

impl PasskeysPool {
    /// The SQLite pool, for an app that keeps its own tables in the same database.
    #[cfg(feature = "sqlite")]
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
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(_) => None,
        }
    }

    /// Closes every connection (also done at shutdown).
    pub async fn close(&self) {
        match &self.0 {
            #[cfg(feature = "sqlite")]
            Backend::Sqlite(pool) => pool.close().await,
            #[cfg(feature = "postgres")]
            Backend::Postgres(pool) => pool.close().await,
        }
    }
}

/// The crate's database, configured under `[default.databases.passkeys]`.
#[derive(Database, Debug)]
#[database("passkeys")]
pub struct PasskeysDb(PasskeysPool);

/// The SQLite pool a `sqlite:` url names, set up for this crate.
#[cfg(feature = "sqlite")]
pub(crate) async fn sqlite(config: &PoolConfig) -> Result<sqlx::SqlitePool, sqlx::Error> {
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
    sqlx::pool::PoolOptions::new()
        .test_before_acquire(false)
        .max_connections(config.max_connections.max(1) as u32)
        .min_connections(config.min_connections.unwrap_or(1))
        .acquire_timeout(Duration::from_secs(config.connect_timeout))
        .idle_timeout(config.idle_timeout.map(Duration::from_secs))
        .connect_with(options)
        .await
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

#[cfg(feature = "sqlite")]
async fn embedded(config: &PoolConfig) -> Result<Backend, sqlx::Error> {
    sqlite(config).await.map(Backend::Sqlite)
}

#[cfg(not(feature = "sqlite"))]
async fn embedded(config: &PoolConfig) -> Result<Backend, sqlx::Error> {
    Err(sqlx::Error::Configuration(
        format!(
            "this build has no SQLite support (the `sqlite` feature of rocket_passkeys is \
             off): `databases.passkeys.url` must be a `postgres://` url, not `{}`",
            config.url.split(':').next().unwrap_or_default()
        )
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
                embedded(&config).await
            };
        backend
            .map(PasskeysPool)
            .map_err(rocket_db_pools::Error::Init)
    }

    async fn get(&self) -> Result<Self::Connection, Self::Error> {
        let connection = match &self.0 {
            #[cfg(feature = "sqlite")]
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
