//! Recovery codes: set, counted, used once.

use webauthn_rs::prelude::Uuid;

use super::{backend, open_session_in, PgStore};
use crate::error::StoreError;
use crate::store::NewSession;

/// [`Store::set_recovery_codes`](crate::store::Store::set_recovery_codes).
pub(super) async fn set(
    store: &PgStore,
    handle: Uuid,
    hashes: &[[u8; 32]],
    now: i64,
) -> Result<(), StoreError> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    sqlx::query("DELETE FROM passkey_recovery_codes WHERE user_handle = $1")
        .bind(&handle.as_bytes()[..])
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    for hash in hashes {
        sqlx::query(
            "INSERT INTO passkey_recovery_codes (user_handle, code_hash, created_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(&handle.as_bytes()[..])
        .bind(&hash[..])
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    tx.commit().await.map_err(backend)
}

/// [`Store::recovery_codes_left`](crate::store::Store::recovery_codes_left).
pub(super) async fn left(store: &PgStore, handle: Uuid) -> Result<i64, StoreError> {
    sqlx::query_scalar("SELECT count(*) FROM passkey_recovery_codes WHERE user_handle = $1")
        .bind(&handle.as_bytes()[..])
        .fetch_one(&store.pool)
        .await
        .map_err(backend)
}

/// [`Store::recover`](crate::store::Store::recover).
pub(super) async fn recover(
    store: &PgStore,
    handle: Uuid,
    code_hash: &[u8; 32],
    session: &NewSession,
    replaces: Option<&[u8; 32]>,
) -> Result<Option<u64>, StoreError> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    // The delete decides: of two uses of one code at once, one deletes it.
    let used =
        sqlx::query("DELETE FROM passkey_recovery_codes WHERE user_handle = $1 AND code_hash = $2")
            .bind(&handle.as_bytes()[..])
            .bind(&code_hash[..])
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
    if used == 0 {
        tx.rollback().await.map_err(backend)?;
        return Ok(None);
    }
    sqlx::query("UPDATE passkey_users SET generation = generation + 1 WHERE handle = $1")
        .bind(&handle.as_bytes()[..])
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    let ended = sqlx::query("DELETE FROM passkey_sessions WHERE user_handle = $1")
        .bind(&handle.as_bytes()[..])
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
    open_session_in(&mut tx, session, replaces).await?;
    tx.commit().await.map_err(backend)?;
    Ok(Some(ended))
}
