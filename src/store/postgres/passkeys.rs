//! The writes of the PostgreSQL store that change an account's passkeys or use one:
//! adding one (with its account and first session when signing up), recording a
//! sign-in, deleting one, and deleting those added after a time. Each is one transaction
//! that locks the account's row first, so concurrent writes to one account take their
//! locks in one order.

use webauthn_rs::prelude::Uuid;

use super::{backend, open_session_in, PgStore};
use crate::error::StoreError;
use crate::input::username_key;
use crate::store::{Claim, CredentialRecord, CredentialUse, Deleted, Deletion, NewSession, Owner};

/// Records a finished ceremony in the transaction of what its finish writes; false when
/// it was finished before. A concurrent finish of the same ceremony waits on the row and
/// then finds it.
async fn claimed(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    claim: &Claim,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO passkey_finished_ceremonies (expires_at, id) VALUES ($1, $2) \
         ON CONFLICT DO NOTHING",
    )
    .bind(claim.expires_at)
    .bind(&claim.id[..])
    .execute(&mut **tx)
    .await
    .map_err(backend)?
    .rows_affected();
    Ok(inserted == 1)
}

/// [`Store::add_credential`](crate::store::Store::add_credential).
pub(super) async fn add(
    store: &PgStore,
    owner: Owner<'_>,
    credential: &CredentialRecord,
    claim: &Claim,
) -> Result<(), StoreError> {
    let passkey = serde_json::to_string(&credential.passkey)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let transports = serde_json::to_string(&credential.transports)
        .map_err(|e| StoreError::Backend(e.to_string()))?;
    let mut tx = store.pool.begin().await.map_err(backend)?;
    if !claimed(&mut tx, claim).await? {
        tx.rollback().await.map_err(backend)?;
        return Err(StoreError::Replayed);
    }
    match owner {
        Owner::New { user, .. } => {
            sqlx::query(
                "INSERT INTO passkey_users (handle, user_id, username, display_name, \
                     created_at, username_key) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&user.handle.as_bytes()[..])
            .bind(&user.user_id)
            .bind(&user.username)
            .bind(&user.display_name)
            .bind(credential.created_at)
            .bind(username_key(&user.username))
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
            // The account as it was when the registration started, and the session
            // that started it still live. Both rows stay locked to the commit, so
            // neither a sign-out nor another change can slip in between. The account
            // row is locked first, as every write that changes an account does
            // (`account_changed`, deleting a passkey), so two never wait on each other.
            let changed = sqlx::query(
                "UPDATE passkey_users SET generation = generation + 1 \
                     WHERE handle = $1 AND generation = $2",
            )
            .bind(&handle.as_bytes()[..])
            .bind(generation)
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
            let live: Option<i32> = sqlx::query_scalar(
                "SELECT 1 FROM passkey_sessions WHERE token_hash = $1 AND user_handle = $2 \
                     AND expires_at > $3 FOR SHARE",
            )
            .bind(&session[..])
            .bind(&handle.as_bytes()[..])
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
            if live.is_none() || changed != 1 {
                tx.rollback().await.map_err(backend)?;
                return Err(StoreError::Stale);
            }
            let count: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM passkey_credentials WHERE user_handle = $1",
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
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
    tx.commit().await.map_err(backend)
}

/// [`Store::record_sign_in`](crate::store::Store::record_sign_in).
pub(super) async fn record_sign_in(
    store: &PgStore,
    used: &CredentialUse,
    session: &NewSession,
    replaces: Option<&[u8; 32]>,
    claim: &Claim,
) -> Result<bool, StoreError> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    if !claimed(&mut tx, claim).await? {
        tx.rollback().await.map_err(backend)?;
        return Err(StoreError::Replayed);
    }
    // GREATEST: concurrent sign-ins may finish out of order; the counter never drops.
    // A counter that had to go up must still be above the stored one: the row lock
    // orders concurrent sign-ins with one passkey.
    let updated = sqlx::query(
        "UPDATE passkey_credentials SET counter = GREATEST(counter, $1), backup_state = $2, \
             last_used_at = $3 \
             WHERE credential_id = $4 AND user_handle = $5 AND (NOT $6 OR counter < $1)",
    )
    .bind(used.counter as i64)
    .bind(used.backup_state)
    .bind(used.used_at)
    .bind(&used.credential_id)
    .bind(&used.user_handle.as_bytes()[..])
    .bind(used.must_exceed)
    .execute(&mut *tx)
    .await
    .map_err(backend)?
    .rows_affected();
    if updated != 1 {
        let exists: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM passkey_credentials WHERE credential_id = $1 AND user_handle = $2",
        )
        .bind(&used.credential_id)
        .bind(&used.user_handle.as_bytes()[..])
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if exists.is_some() {
            tx.rollback().await.map_err(backend)?;
            return Err(StoreError::Regressed);
        }
        // The claim stays: the ceremony is spent either way.
        tx.commit().await.map_err(backend)?;
        return Ok(false);
    }
    open_session_in(&mut tx, session, replaces).await?;
    tx.commit().await.map_err(backend)?;
    Ok(true)
}

/// [`Store::delete_credential`](crate::store::Store::delete_credential).
pub(super) async fn delete(
    store: &PgStore,
    handle: Uuid,
    credential_id: &[u8],
    how: Deletion<'_>,
) -> Result<Deleted, StoreError> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    // The account row is locked first, so two deletes at once are decided one after
    // the other and cannot both take the last passkey.
    let other_sign_in: Option<bool> =
        sqlx::query_scalar("SELECT other_sign_in FROM passkey_users WHERE handle = $1 FOR UPDATE")
            .bind(&handle.as_bytes()[..])
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
    let Some(other_sign_in) = other_sign_in else {
        tx.rollback().await.map_err(backend)?;
        return Ok(Deleted::NotFound);
    };
    let owned: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT credential_id FROM passkey_credentials WHERE user_handle = $1")
            .bind(&handle.as_bytes()[..])
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
    if !owned.iter().any(|id| id == credential_id) {
        tx.rollback().await.map_err(backend)?;
        return Ok(Deleted::NotFound);
    }
    if owned.len() == 1 && !other_sign_in && !how.allow_last {
        tx.rollback().await.map_err(backend)?;
        return Ok(Deleted::LastPasskey);
    }
    sqlx::query("DELETE FROM passkey_credentials WHERE credential_id = $1 AND user_handle = $2")
        .bind(credential_id)
        .bind(&handle.as_bytes()[..])
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    sqlx::query("UPDATE passkey_users SET generation = generation + 1 WHERE handle = $1")
        .bind(&handle.as_bytes()[..])
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    let mut ended = 0;
    if how.revoke {
        ended = sqlx::query(
            "DELETE FROM passkey_sessions WHERE user_handle = $1 AND credential_id = $2 \
                 AND token_hash IS DISTINCT FROM $3",
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
    Ok(Deleted::Done(ended))
}

/// [`Store::delete_credentials_added_after`](crate::store::Store::delete_credentials_added_after).
pub(super) async fn delete_added_after(
    store: &PgStore,
    user_id: &str,
    after: i64,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let mut tx = store.pool.begin().await.map_err(backend)?;
    // The account row first, as every write that changes an account.
    let handle: Option<Vec<u8>> = sqlx::query_scalar(
        "UPDATE passkey_users SET generation = generation + 1 WHERE user_id = $1 \
             RETURNING handle",
    )
    .bind(user_id)
    .fetch_optional(&mut *tx)
    .await
    .map_err(backend)?;
    let Some(handle) = handle else {
        tx.rollback().await.map_err(backend)?;
        return Ok(Vec::new());
    };
    let removed: Vec<Vec<u8>> = sqlx::query_scalar(
        "DELETE FROM passkey_credentials WHERE user_handle = $1 AND created_at > $2 \
             RETURNING credential_id",
    )
    .bind(&handle)
    .bind(after)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    sqlx::query("DELETE FROM passkey_sessions WHERE user_handle = $1 AND credential_id = ANY($2)")
        .bind(&handle)
        .bind(&removed)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    tx.commit().await.map_err(backend)?;
    Ok(removed)
}
