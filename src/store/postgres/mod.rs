//! The PostgreSQL backend (feature `postgres`): several app instances on one database.
//! Finished ceremonies are recorded here, so a ceremony that one instance started
//! finishes once on whichever instance. The writes that change or use an account's
//! passkeys are in [`passkeys`].

mod enrollment;
mod passkeys;
mod recovery;
mod schema;
mod sessions;

use webauthn_rs::prelude::Uuid;

use super::rows::{
    self, CREDENTIAL_COLUMNS, CREDENTIAL_FROM, NEW_SESSION_COLUMNS, SESSION_COLUMNS, SESSION_FROM,
    USER_COLUMNS,
};
use super::{
    Claim, CredentialRecord, CredentialUse, Deleted, Deletion, EnrollmentEvent, EnrollmentRecord,
    NewSession, Owner, SessionListing, SessionRecord, SharedCounts, Store, UserRecord,
};
use crate::error::StoreError;
use crate::input::username_key;

/// The [`Store`] over a PostgreSQL pool.
pub(crate) struct PgStore {
    pool: sqlx::PgPool,
}

pub(super) fn backend(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            return match db.constraint() {
                Some("passkey_users_username")
                | Some("passkey_users_username_key")
                | Some("passkey_users_user_id_key") => StoreError::Duplicate("username"),
                Some("passkey_credentials_pkey") => StoreError::Duplicate("credential"),
                _ => StoreError::Backend(e.to_string()),
            };
        }
    }
    StoreError::Backend(e.to_string())
}

impl PgStore {
    /// The store over this pool (which it shares with the app).
    pub(crate) fn new(pool: &sqlx::PgPool) -> Self {
        PgStore { pool: pool.clone() }
    }
}

/// Opens `session` and ends the one it `replaces`, inside the caller's transaction.
pub(super) async fn open_session_in(
    tx: &mut sqlx::PgConnection,
    session: &NewSession,
    replaces: Option<&[u8; 32]>,
) -> Result<(), StoreError> {
    if let Some(old) = replaces {
        sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = $1")
            .bind(&old[..])
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
    }
    sqlx::query(&format!(
        "INSERT INTO passkey_sessions ({NEW_SESSION_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $6)"
    ))
    .bind(&session.token_hash[..])
    .bind(&session.user_handle.as_bytes()[..])
    .bind(session.factors as i64)
    .bind(session.user_verified)
    .bind(session.credential_id.as_deref())
    .bind(session.created_at)
    .bind(session.expires_at)
    .bind(&session.id[..])
    .execute(tx)
    .await
    .map_err(backend)?;
    Ok(())
}

#[rocket::async_trait]
impl Store for PgStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        schema::migrate(self).await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM passkey_users WHERE username_key = $1"
        ))
        .bind(username_key(username))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|row| rows::user(&row))
        .transpose()
    }

    async fn credentials(&self, handle: Uuid) -> Result<Vec<CredentialRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM {CREDENTIAL_FROM} WHERE c.user_handle = $1 \
             ORDER BY c.created_at, c.seq"
        ))
        .bind(&handle.as_bytes()[..])
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(rows::credential)
        .collect()
    }

    async fn credential(
        &self,
        handle: Uuid,
        credential_id: &[u8],
    ) -> Result<Option<CredentialRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM {CREDENTIAL_FROM} \
             WHERE c.credential_id = $1 AND c.user_handle = $2"
        ))
        .bind(credential_id)
        .bind(&handle.as_bytes()[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|row| rows::credential(&row))
        .transpose()
    }

    async fn add_credential(
        &self,
        owner: Owner<'_>,
        credential: &CredentialRecord,
        claim: &Claim,
    ) -> Result<(), StoreError> {
        passkeys::add(self, owner, credential, claim).await
    }

    async fn generation(&self, handle: Uuid) -> Result<i64, StoreError> {
        let generation: Option<i64> =
            sqlx::query_scalar("SELECT generation FROM passkey_users WHERE handle = $1")
                .bind(&handle.as_bytes()[..])
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
        Ok(generation.unwrap_or(0))
    }

    async fn account_changed(
        &self,
        user_id: &str,
        keep: Option<&[u8; 32]>,
    ) -> Result<u64, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("UPDATE passkey_users SET generation = generation + 1 WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let ended = sqlx::query(
            "DELETE FROM passkey_sessions WHERE user_handle = \
             (SELECT handle FROM passkey_users WHERE user_id = $1) \
             AND token_hash IS DISTINCT FROM $2",
        )
        .bind(user_id)
        .bind(keep.map(|hash| &hash[..]))
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        tx.commit().await.map_err(backend)?;
        Ok(ended)
    }

    async fn record_sign_in(
        &self,
        used: &CredentialUse,
        session: &NewSession,
        replaces: Option<&[u8; 32]>,
        claim: &Claim,
    ) -> Result<bool, StoreError> {
        passkeys::record_sign_in(self, used, session, replaces, claim).await
    }

    async fn session(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(&token_hash[..])
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|row| rows::session(&row))
        .transpose()
    }

    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = $1")
            .bind(&token_hash[..])
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn upsert_user(&self, user: &UserRecord, now: i64) -> Result<UserRecord, StoreError> {
        let row = sqlx::query(
            "INSERT INTO passkey_users (handle, user_id, username, display_name, created_at, \
             other_sign_in, account_factors, username_key) VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7) \
             ON CONFLICT (user_id) DO UPDATE SET \
             username = EXCLUDED.username, display_name = EXCLUDED.display_name, \
             username_key = EXCLUDED.username_key, \
             other_sign_in = TRUE, account_factors = EXCLUDED.account_factors \
             RETURNING handle, user_id, username, display_name, account_factors",
        )
        .bind(&user.handle.as_bytes()[..])
        .bind(&user.user_id)
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(now)
        .bind(i64::from(user.factors))
        .bind(username_key(&user.username))
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        rows::user(&row)
    }

    async fn open_session(
        &self,
        session: &NewSession,
        replaces: Option<&[u8; 32]>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        open_session_in(&mut tx, session, replaces).await?;
        tx.commit().await.map_err(backend)
    }

    async fn enrollment(&self, handle: Uuid) -> Result<EnrollmentRecord, StoreError> {
        enrollment::enrollment(self, handle).await
    }

    async fn record_enrollment(
        &self,
        handle: Uuid,
        event: EnrollmentEvent,
        now: i64,
    ) -> Result<(), StoreError> {
        enrollment::record_enrollment(self, handle, event, now).await
    }

    async fn counters(&self) -> Result<Vec<(String, i64)>, StoreError> {
        enrollment::counters(self).await
    }

    async fn rename_credential(
        &self,
        handle: Uuid,
        credential_id: &[u8],
        name: &str,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE passkey_credentials SET name = $1 WHERE credential_id = $2 AND user_handle = $3",
        )
        .bind(name)
        .bind(credential_id)
        .bind(&handle.as_bytes()[..])
        .execute(&self.pool)
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(updated == 1)
    }

    async fn delete_credential(
        &self,
        handle: Uuid,
        credential_id: &[u8],
        how: Deletion<'_>,
    ) -> Result<Deleted, StoreError> {
        passkeys::delete(self, handle, credential_id, how).await
    }

    async fn user_by_id(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError> {
        sessions::user_by_id(self, user_id).await
    }

    async fn touch_session(
        &self,
        token_hash: &[u8; 32],
        now: i64,
        device: &str,
    ) -> Result<(), StoreError> {
        sessions::touch(self, token_hash, now, device).await
    }

    async fn sessions_of(&self, handle: Uuid, now: i64) -> Result<Vec<SessionListing>, StoreError> {
        sessions::list(self, handle, now).await
    }

    async fn end_session(&self, handle: Uuid, id: &[u8; 16]) -> Result<bool, StoreError> {
        sessions::end(self, handle, id).await
    }

    async fn end_sessions(&self, handle: Uuid, keep: Option<&[u8; 32]>) -> Result<u64, StoreError> {
        sessions::end_all(self, handle, keep).await
    }

    async fn set_recovery_codes(
        &self,
        handle: Uuid,
        hashes: &[[u8; 32]],
        now: i64,
    ) -> Result<(), StoreError> {
        recovery::set(self, handle, hashes, now).await
    }

    async fn recovery_codes_left(&self, handle: Uuid) -> Result<i64, StoreError> {
        recovery::left(self, handle).await
    }

    async fn recover(
        &self,
        handle: Uuid,
        code_hash: &[u8; 32],
        session: &NewSession,
        replaces: Option<&[u8; 32]>,
    ) -> Result<Option<u64>, StoreError> {
        recovery::recover(self, handle, code_hash, session, replaces).await
    }

    async fn finished(&self, claim: &Claim) -> Result<bool, StoreError> {
        let found: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM passkey_finished_ceremonies WHERE expires_at = $1 AND id = $2",
        )
        .bind(claim.expires_at)
        .bind(&claim.id[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(found.is_some())
    }

    async fn purge_finished(&self, before: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM passkey_finished_ceremonies WHERE expires_at < $1")
                .bind(before)
                .execute(&self.pool)
                .await
                .map_err(backend)?
                .rows_affected(),
        )
    }

    async fn delete_credentials_added_after(
        &self,
        user_id: &str,
        after: i64,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        passkeys::delete_added_after(self, user_id, after).await
    }

    async fn passkey_shapes(&self, accounts: usize) -> Result<Vec<(Uuid, Vec<usize>)>, StoreError> {
        let rows: Vec<(Vec<u8>, i32)> = sqlx::query_as(
            "SELECT user_handle, length(credential_id) FROM passkey_credentials \
             WHERE user_handle IN (SELECT DISTINCT user_handle FROM passkey_credentials \
             ORDER BY user_handle LIMIT $1) ORDER BY user_handle, created_at, seq",
        )
        .bind(accounts as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        super::shapes(rows.into_iter().map(|(h, n)| (h, i64::from(n))).collect())
    }

    async fn rp_ids(&self) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query_as("SELECT rp_id, count(*) FROM passkey_credentials GROUP BY rp_id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)
    }

    async fn purge_sessions(&self, now: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM passkey_sessions WHERE expires_at <= $1")
                .bind(now)
                .execute(&self.pool)
                .await
                .map_err(backend)?
                .rows_affected(),
        )
    }

    async fn secret(&self) -> Result<[u8; 32], StoreError> {
        schema::secret(self).await
    }
}

#[rocket::async_trait]
impl SharedCounts for PgStore {
    async fn count_request(&self, key: &str, window: i64) -> Result<i64, StoreError> {
        sqlx::query_scalar(
            "INSERT INTO passkey_rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT (key, window_start) DO UPDATE SET count = passkey_rate_limits.count + 1 \
             RETURNING count",
        )
        .bind(key)
        .bind(window)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)
    }

    async fn purge_requests(&self, window: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM passkey_rate_limits WHERE window_start < $1")
            .bind(window)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
