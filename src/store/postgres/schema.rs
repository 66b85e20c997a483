//! The PostgreSQL schema: its migrations, and the secret kept in it.

use super::{backend, PgStore};
use crate::error::StoreError;
use crate::input::username_key;

/// The schema, in order; the version is kept in `passkey_schema`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/postgres/0001_init.sql"),
    include_str!("../../../migrations/postgres/0002_rate_limits.sql"),
    include_str!("../../../migrations/postgres/0003_account_changes.sql"),
    include_str!("../../../migrations/postgres/0004_sealed_ceremonies_and_factors.sql"),
    include_str!("../../../migrations/postgres/0005_sessions_shown_and_recovery.sql"),
];

/// Serialises migrations across instances starting at once.
const MIGRATION_LOCK: i64 = 0x7061_7373_6b65_7973; // "passkeys"

/// [`Store::migrate`](crate::store::Store::migrate).
pub(super) async fn migrate(store: &PgStore) -> Result<(), StoreError> {
    sqlx::raw_sql("CREATE TABLE IF NOT EXISTS passkey_schema (version INTEGER NOT NULL)")
        .execute(&store.pool)
        .await
        .map_err(backend)?;
    let version: Option<i32> = sqlx::query_scalar("SELECT max(version) FROM passkey_schema")
        .fetch_one(&store.pool)
        .await
        .map_err(backend)?;
    for (index, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .skip(version.unwrap_or(0).max(0) as usize)
    {
        // One script, one transaction, one instance at a time (the advisory lock is held
        // to the commit). The scripts are idempotent, so an instance that read an older
        // version while another migrated just repeats harmless statements.
        let script = format!(
            "BEGIN;\nSELECT pg_advisory_xact_lock({MIGRATION_LOCK});\n{sql}\n\
             INSERT INTO passkey_schema (version) VALUES ({});\nCOMMIT;",
            index + 1
        );
        sqlx::raw_sql(&script)
            .execute(&store.pool)
            .await
            .map_err(backend)?;
    }
    // Accounts from before usernames had keys get theirs.
    let unkeyed: Vec<(Vec<u8>, String)> =
        sqlx::query_as("SELECT handle, username FROM passkey_users WHERE username_key IS NULL")
            .fetch_all(&store.pool)
            .await
            .map_err(backend)?;
    for (handle, username) in unkeyed {
        let keyed = sqlx::query("UPDATE passkey_users SET username_key = $1 WHERE handle = $2")
            .bind(username_key(&username))
            .bind(&handle)
            .execute(&store.pool)
            .await;
        crate::store::keyed(keyed.map(|_| ()).map_err(backend), &username)?;
    }
    Ok(())
}

/// [`Store::secret`](crate::store::Store::secret).
pub(super) async fn secret(store: &PgStore) -> Result<[u8; 32], StoreError> {
    let fresh: [u8; 32] = rand::random();
    sqlx::query(
        "INSERT INTO passkey_meta (key, value) VALUES ('secret', $1) ON CONFLICT DO NOTHING",
    )
    .bind(&fresh[..])
    .execute(&store.pool)
    .await
    .map_err(backend)?;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT value FROM passkey_meta WHERE key = 'secret'")
        .fetch_one(&store.pool)
        .await
        .map_err(backend)?;
    stored
        .try_into()
        .map_err(|_| StoreError::Backend("the stored secret is not 32 bytes".into()))
}
