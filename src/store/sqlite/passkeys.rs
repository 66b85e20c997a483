//! The writes that change which passkeys an account has: adding one (with its account
//! and first session when signing up), deleting one, and deleting those added after a
//! time. Each is one transaction, and bumps the account's generation.

use webauthn_rs::prelude::Uuid;

use super::{backend, open_session_in, SqliteStore};
use crate::error::StoreError;
use crate::input::username_key;
use crate::store::{rows, Claim, CredentialRecord, Deleted, Deletion, Owner};

/// [`Store::add_credential`](super::super::Store::add_credential).
pub(super) async fn add(
    store: &SqliteStore,
    owner: Owner<'_>,
    credential: &CredentialRecord,
    claim: &Claim,
) -> Result<(), StoreError> {
    let passkey = serde_json::to_string(&credential.passkey)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let transports = serde_json::to_string(&credential.transports)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let epoch = store.cache.epoch();
    let mut tx = store.pool.begin().await.map_err(backend)?;
    let claimed = sqlx::query(
        "INSERT INTO passkey_finished_ceremonies (expires_at, id) VALUES (?, ?) \
             ON CONFLICT DO NOTHING",
    )
    .bind(claim.expires_at)
    .bind(&claim.id[..])
    .execute(&mut *tx)
    .await
    .map_err(backend)?
    .rows_affected();
    if claimed != 1 {
        tx.rollback().await.map_err(backend)?;
        return Err(StoreError::Replayed);
    }
    match owner {
        Owner::New { user, .. } => {
            sqlx::query(
                "INSERT INTO passkey_users (handle, user_id, username, username_key, \
                     display_name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            )
            .bind(&user.handle.as_bytes()[..])
            .bind(&user.user_id)
            .bind(&user.username)
            .bind(username_key(&user.username))
            .bind(&user.display_name)
            .bind(credential.created_at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        Owner::Existing {
            handle,
            session,
            generation,
            now,
            max_passkeys,
        } => {
            // The account must be as it was when the registration started, and the
            // session that started it still live.
            let changed = sqlx::query(
                "UPDATE passkey_users SET generation = generation + 1 \
                     WHERE handle = ?1 AND generation = ?2 AND EXISTS (SELECT 1 FROM \
                     passkey_sessions WHERE token_hash = ?3 AND user_handle = ?1 \
                     AND expires_at > ?4)",
            )
            .bind(&handle.as_bytes()[..])
            .bind(generation)
            .bind(&session[..])
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            if changed != 1 {
                tx.rollback().await.map_err(backend)?;
                return Err(StoreError::Stale);
            }
            let count: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM passkey_credentials WHERE user_handle = ?",
            )
            .bind(&handle.as_bytes()[..])
            .fetch_one(&mut *tx)
            .await
            .map_err(backend)?;
            if count >= max_passkeys as i64 {
                tx.rollback().await.map_err(backend)?;
                return Err(StoreError::TooMany(max_passkeys));
            }
        }
    }
    sqlx::query(
        "INSERT INTO passkey_credentials (credential_id, user_handle, passkey, name, aaguid, \
             transports, backup_eligible, backup_state, counter, rp_id, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&credential.credential_id)
    .bind(&credential.user_handle.as_bytes()[..])
    .bind(passkey)
    .bind(&credential.name)
    .bind(credential.aaguid.as_ref().map(|a| &a.as_bytes()[..]))
    .bind(transports)
    .bind(credential.backup_eligible)
    .bind(credential.backup_state)
    .bind(credential.counter as i64)
    .bind(&credential.rp_id)
    .bind(credential.created_at)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    if let Owner::New {
        session, replaces, ..
    } = owner
    {
        open_session_in(&mut tx, session, replaces).await?;
    }
    tx.commit().await.map_err(backend)?;
    // A new passkey is usually used soon (the next sign-in, on another device).
    store.cache.added(credential, epoch);
    if let Owner::New { user, .. } = owner {
        // The name now has an account.
        store.cache.forget_user(user.handle, &user.username);
    }
    Ok(())
}
/// [`Store::delete_credential`](super::super::Store::delete_credential).
pub(super) async fn delete(
    store: &SqliteStore,
    handle: Uuid,
    credential_id: &[u8],
    how: Deletion<'_>,
) -> Result<Deleted, StoreError> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    // One statement decides and deletes, so two deletes at once cannot both pass.
    let deleted = sqlx::query(
        "DELETE FROM passkey_credentials WHERE credential_id = ?1 AND user_handle = ?2 \
             AND (?3 OR (SELECT count(*) FROM passkey_credentials WHERE user_handle = ?2) > 1 \
               OR (SELECT other_sign_in FROM passkey_users WHERE handle = ?2) = 1)",
    )
    .bind(credential_id)
    .bind(&handle.as_bytes()[..])
    .bind(how.allow_last)
    .execute(&mut *tx)
    .await
    .map_err(backend)?
    .rows_affected();
    if deleted == 0 {
        let exists: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM passkey_credentials WHERE credential_id = ? AND user_handle = ?",
        )
        .bind(credential_id)
        .bind(&handle.as_bytes()[..])
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        tx.rollback().await.map_err(backend)?;
        return Ok(if exists.is_some() {
            Deleted::LastPasskey
        } else {
            Deleted::NotFound
        });
    }
    sqlx::query("UPDATE passkey_users SET generation = generation + 1 WHERE handle = ?")
        .bind(&handle.as_bytes()[..])
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    let mut ended = 0;
    if how.revoke {
        // By the account's sessions (indexed), of which those this passkey opened.
        ended = sqlx::query(
            "DELETE FROM passkey_sessions WHERE user_handle = ? AND credential_id = ? \
                 AND token_hash IS NOT ?",
        )
        .bind(&handle.as_bytes()[..])
        .bind(credential_id)
        .bind(how.keep.map(|hash| &hash[..]))
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
    }
    tx.commit().await.map_err(backend)?;
    store.cache.forget(credential_id, handle);
    Ok(Deleted::Done(ended))
}
/// [`Store::delete_credentials_added_after`](super::super::Store::delete_credentials_added_after).
pub(super) async fn delete_added_after(
    store: &SqliteStore,
    user_id: &str,
    after: i64,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    let handle: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT handle FROM passkey_users WHERE user_id = ?")
            .bind(user_id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
    let Some(handle) = handle else {
        tx.rollback().await.map_err(backend)?;
        return Ok(Vec::new());
    };
    let removed: Vec<Vec<u8>> = sqlx::query_scalar(
        "DELETE FROM passkey_credentials WHERE user_handle = ? AND created_at > ? \
             RETURNING credential_id",
    )
    .bind(&handle)
    .bind(after)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    for credential_id in &removed {
        sqlx::query("DELETE FROM passkey_sessions WHERE user_handle = ? AND credential_id = ?")
            .bind(&handle)
            .bind(credential_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
    }
    sqlx::query("UPDATE passkey_users SET generation = generation + 1 WHERE handle = ?")
        .bind(&handle)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    tx.commit().await.map_err(backend)?;
    let handle = rows::handle(&handle)?;
    for credential_id in &removed {
        store.cache.forget(credential_id, handle);
    }
    Ok(removed)
}
