//! Sessions as their owners see them: listed, seen, ended one by one or all at once.

use webauthn_rs::prelude::Uuid;

use super::{backend, PgStore};
use crate::error::StoreError;
use crate::store::rows::{self, LISTING_COLUMNS, LISTING_FROM, USER_COLUMNS};
use crate::store::{SessionListing, UserRecord};

/// [`Store::user_by_id`](crate::store::Store::user_by_id).
pub(super) async fn user_by_id(
    store: &PgStore,
    user_id: &str,
) -> Result<Option<UserRecord>, StoreError> {
    sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM passkey_users WHERE user_id = $1"
    ))
    .bind(user_id)
    .fetch_optional(&store.pool)
    .await
    .map_err(backend)?
    .map(|row| rows::user(&row))
    .transpose()
}

/// [`Store::touch_session`](crate::store::Store::touch_session).
pub(super) async fn touch(
    store: &PgStore,
    token_hash: &[u8; 32],
    now: i64,
    device: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE passkey_sessions SET last_seen_at = $1, \
         device = CASE WHEN device = '' THEN $2 ELSE device END WHERE token_hash = $3",
    )
    .bind(now)
    .bind(device)
    .bind(&token_hash[..])
    .execute(&store.pool)
    .await
    .map_err(backend)?;
    Ok(())
}

/// [`Store::sessions_of`](crate::store::Store::sessions_of).
pub(super) async fn list(
    store: &PgStore,
    handle: Uuid,
    now: i64,
) -> Result<Vec<SessionListing>, StoreError> {
    sqlx::query(&format!(
        "SELECT {LISTING_COLUMNS} FROM {LISTING_FROM} \
         WHERE s.user_handle = $1 AND s.expires_at > $2 \
         ORDER BY coalesce(s.last_seen_at, s.created_at) DESC, s.created_at DESC, s.id"
    ))
    .bind(&handle.as_bytes()[..])
    .bind(now)
    .fetch_all(&store.pool)
    .await
    .map_err(backend)?
    .iter()
    .map(rows::listing)
    .collect()
}

/// [`Store::end_session`](crate::store::Store::end_session).
pub(super) async fn end(store: &PgStore, handle: Uuid, id: &[u8; 16]) -> Result<bool, StoreError> {
    let ended = sqlx::query("DELETE FROM passkey_sessions WHERE user_handle = $1 AND id = $2")
        .bind(&handle.as_bytes()[..])
        .bind(&id[..])
        .execute(&store.pool)
        .await
        .map_err(backend)?
        .rows_affected();
    Ok(ended > 0)
}

/// [`Store::end_sessions`](crate::store::Store::end_sessions).
pub(super) async fn end_all(
    store: &PgStore,
    handle: Uuid,
    keep: Option<&[u8; 32]>,
) -> Result<u64, StoreError> {
    Ok(sqlx::query(
        "DELETE FROM passkey_sessions WHERE user_handle = $1 \
             AND token_hash IS DISTINCT FROM $2",
    )
    .bind(&handle.as_bytes()[..])
    .bind(keep.map(|hash| &hash[..]))
    .execute(&store.pool)
    .await
    .map_err(backend)?
    .rows_affected())
}
