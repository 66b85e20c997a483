//! The SQLite schema: its migrations, and the secret kept in it.

use super::{backend, SqliteStore};
use crate::error::StoreError;
use crate::input::username_key;

/// The schema, in order. Each runs once; the version is kept in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../../migrations/sqlite/0001_init.sql"),
    include_str!("../../../migrations/sqlite/0002_enrollment.sql"),
    include_str!("../../../migrations/sqlite/0003_management.sql"),
    include_str!("../../../migrations/sqlite/0004_account_changes.sql"),
    include_str!("../../../migrations/sqlite/0005_sessions_by_token.sql"),
    include_str!("../../../migrations/sqlite/0006_sealed_ceremonies_and_factors.sql"),
    include_str!("../../../migrations/sqlite/0007_sessions_shown_and_recovery.sql"),
];

/// [`Store::migrate`](crate::store::Store::migrate).
pub(super) async fn migrate(store: &SqliteStore) -> Result<(), StoreError> {
    let version: i64 = sqlx::query_scalar("PRAGMA user_version")
        .fetch_one(&store.pool)
        .await
        .map_err(backend)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
        // One script on one connection: the schema and its version commit together.
        let script = format!(
            "BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {};\nCOMMIT;",
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
        let keyed = sqlx::query("UPDATE passkey_users SET username_key = ? WHERE handle = ?")
            .bind(username_key(&username))
            .bind(&handle)
            .execute(&store.pool)
            .await;
        crate::store::keyed(keyed.map(|_| ()).map_err(backend), &username)?;
    }
    Ok(())
}

/// [`Store::secret`](crate::store::Store::secret).
pub(super) async fn secret(store: &SqliteStore) -> Result<[u8; 32], StoreError> {
    let fresh: [u8; 32] = rand::random();
    // Insert-or-keep, then read: every instance ends up with the same secret.
    sqlx::query("INSERT OR IGNORE INTO passkey_meta (key, value) VALUES ('secret', ?)")
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
