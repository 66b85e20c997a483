//! The embedded SQLite backend (sqlx through rocket_db_pools).
//!
//! Set up for its job: WAL journal (set once, it persists in the file),
//! `synchronous=NORMAL` and foreign keys on every connection, a small pool (one writer
//! at a time), and few round trips on the sign-in path: credentials are cached in memory
//! (this process is the only writer of the passkey tables, [`cache`]), and the writes of
//! sign-ins finishing at the same time share one transaction (group commit,
//! [`sign_ins`]). The writes that change an account's passkeys are in [`passkeys`].

mod cache;
mod enrollment;
mod passkeys;
mod recovery;
mod schema;
mod sessions;
mod sign_ins;

use webauthn_rs::prelude::Uuid;

use self::cache::Cache;
use self::sign_ins::{SignIn, SignInWriter};
use super::rows::{
    self, CREDENTIAL_COLUMNS, CREDENTIAL_FROM, NEW_SESSION_COLUMNS, SESSION_COLUMNS, SESSION_FROM,
    USER_COLUMNS,
};
use super::{
    Claim, CredentialRecord, CredentialUse, Deleted, Deletion, EnrollmentEvent, EnrollmentRecord,
    NewSession, Owner, SessionListing, SessionRecord, Store, UserRecord,
};
use crate::error::StoreError;
use crate::input::username_key;

/// The [`Store`] over a SQLite pool.
pub(crate) struct SqliteStore {
    pool: sqlx::SqlitePool,
    cache: std::sync::Arc<Cache>,
    sign_ins: SignInWriter,
}

pub(super) fn backend(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_unique_violation() {
            let message = db.message();
            if message.contains("passkey_users.username")
                || message.contains("passkey_users.user_id")
            {
                return StoreError::Duplicate("username");
            }
            if message.contains("passkey_credentials") {
                return StoreError::Duplicate("credential");
            }
        }
    }
    StoreError::Backend(e.to_string())
}

impl SqliteStore {
    /// The store, with its sign-in writer running on the current runtime.
    pub(crate) fn new(pool: &sqlx::SqlitePool) -> Self {
        let cache = std::sync::Arc::new(Cache::default());
        SqliteStore {
            pool: pool.clone(),
            sign_ins: SignInWriter::spawn(pool.clone(), cache.clone()),
            cache,
        }
    }
}

pub(super) type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds a session row's nine columns, in the order of [`NEW_SESSION_COLUMNS`] (it is
/// last seen when it opens).
pub(super) fn bind_session<'q>(query: Query<'q>, session: &'q NewSession) -> Query<'q> {
    query
        .bind(&session.token_hash[..])
        .bind(&session.user_handle.as_bytes()[..])
        .bind(session.factors as i64)
        .bind(session.user_verified)
        .bind(session.credential_id.as_deref())
        .bind(session.created_at)
        .bind(session.expires_at)
        .bind(&session.id[..])
        .bind(session.created_at)
}

/// Whether this ceremony is recorded as finished (on the pool, or on a connection the
/// caller holds: the sign-in writer's pool may have no other).
pub(super) async fn finished<'c, E>(executor: E, claim: &Claim) -> Result<bool, sqlx::Error>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 1 FROM passkey_finished_ceremonies WHERE expires_at = ? AND id = ?",
    )
    .bind(claim.expires_at)
    .bind(&claim.id[..])
    .fetch_optional(executor)
    .await?;
    Ok(found.is_some())
}

/// Opens `session` and ends the one it `replaces`, inside the caller's transaction.
pub(super) async fn open_session_in(
    tx: &mut sqlx::SqliteConnection,
    session: &NewSession,
    replaces: Option<&[u8; 32]>,
) -> Result<(), StoreError> {
    if let Some(old) = replaces {
        sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = ?")
            .bind(&old[..])
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
    }
    let sql = format!(
        "INSERT INTO passkey_sessions ({NEW_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    );
    bind_session(sqlx::query(&sql), session)
        .execute(tx)
        .await
        .map_err(backend)?;
    Ok(())
}

#[rocket::async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        schema::migrate(self).await
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        // A name without an account is cached too: a name's lookup takes the same time
        // whether or not it has one (sign-in must not tell).
        if let Some(user) = self.cache.user(username) {
            return Ok(user);
        }
        let epoch = self.cache.epoch();
        let user = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM passkey_users WHERE username_key = ?"
        ))
        .bind(username_key(username))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|row| rows::user(&row))
        .transpose()?;
        self.cache.put_user(username, user.as_ref(), epoch);
        Ok(user)
    }

    async fn credentials(&self, handle: Uuid) -> Result<Vec<CredentialRecord>, StoreError> {
        if let Some(list) = self.cache.list(handle) {
            return Ok(list);
        }
        let epoch = self.cache.epoch();
        let list = sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM {CREDENTIAL_FROM} WHERE c.user_handle = ? \
             ORDER BY c.created_at, c.rowid"
        ))
        .bind(&handle.as_bytes()[..])
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(rows::credential)
        .collect::<Result<Vec<_>, _>>()?;
        self.cache.put_list(handle, &list, epoch);
        Ok(list)
    }

    async fn credential(
        &self,
        handle: Uuid,
        credential_id: &[u8],
    ) -> Result<Option<CredentialRecord>, StoreError> {
        if let Some(cached) = self.cache.credential(credential_id) {
            // Ids are unique across accounts: another account's id is none of this one's.
            return Ok((cached.user_handle == handle).then_some(cached));
        }
        let epoch = self.cache.epoch();
        let found = sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM {CREDENTIAL_FROM} \
             WHERE c.credential_id = ? AND c.user_handle = ?"
        ))
        .bind(credential_id)
        .bind(&handle.as_bytes()[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|row| rows::credential(&row))
        .transpose()?;
        if let Some(found) = &found {
            self.cache.put_credential(found, epoch);
        }
        Ok(found)
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
            sqlx::query_scalar("SELECT generation FROM passkey_users WHERE handle = ?")
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
        sqlx::query("UPDATE passkey_users SET generation = generation + 1 WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        let ended = sqlx::query(
            "DELETE FROM passkey_sessions WHERE user_handle = \
             (SELECT handle FROM passkey_users WHERE user_id = ?) AND token_hash IS NOT ?",
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
        self.sign_ins
            .write(SignIn {
                used: used.clone(),
                session: session.clone(),
                replaces: replaces.copied(),
                claim: *claim,
            })
            .await
    }

    async fn finished(&self, claim: &Claim) -> Result<bool, StoreError> {
        finished(&self.pool, claim).await.map_err(backend)
    }

    async fn purge_finished(&self, before: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM passkey_finished_ceremonies WHERE expires_at < ?")
                .bind(before)
                .execute(&self.pool)
                .await
                .map_err(backend)?
                .rows_affected(),
        )
    }

    async fn session(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM {SESSION_FROM} \
             WHERE s.token_hash = ? AND s.expires_at > ?"
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
        sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = ?")
            .bind(&token_hash[..])
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn upsert_user(&self, user: &UserRecord, now: i64) -> Result<UserRecord, StoreError> {
        let row = sqlx::query(
            "INSERT INTO passkey_users (handle, user_id, username, username_key, display_name, \
             created_at, other_sign_in, account_factors) VALUES (?, ?, ?, ?, ?, ?, 1, ?) \
             ON CONFLICT (user_id) DO UPDATE SET \
             username = excluded.username, username_key = excluded.username_key, \
             display_name = excluded.display_name, \
             other_sign_in = 1, account_factors = excluded.account_factors \
             RETURNING handle, user_id, username, display_name, account_factors",
        )
        .bind(&user.handle.as_bytes()[..])
        .bind(&user.user_id)
        .bind(&user.username)
        .bind(username_key(&user.username))
        .bind(&user.display_name)
        .bind(now)
        .bind(i64::from(user.factors))
        // All rows, not the first: SQLite commits a statement with RETURNING when it
        // has run to its end, and a read on another connection right after this
        // returns must see the account (found by the store contract).
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        let row = row
            .first()
            .ok_or_else(|| StoreError::Backend("an upsert returned no row".into()))?;
        let stored = rows::user(row)?;
        // Its username or display name may have changed, or the name is new.
        self.cache.forget_user(stored.handle, &stored.username);
        Ok(stored)
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
            "UPDATE passkey_credentials SET name = ? WHERE credential_id = ? AND user_handle = ?",
        )
        .bind(name)
        .bind(credential_id)
        .bind(&handle.as_bytes()[..])
        .execute(&self.pool)
        .await
        .map_err(backend)?
        .rows_affected();
        self.cache.forget(credential_id, handle);
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

    async fn delete_credentials_added_after(
        &self,
        user_id: &str,
        after: i64,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        passkeys::delete_added_after(self, user_id, after).await
    }

    async fn passkey_shapes(&self, accounts: usize) -> Result<Vec<(Uuid, Vec<usize>)>, StoreError> {
        let rows: Vec<(Vec<u8>, i64)> = sqlx::query_as(
            "SELECT user_handle, length(credential_id) FROM passkey_credentials \
             WHERE user_handle IN (SELECT DISTINCT user_handle FROM passkey_credentials \
             ORDER BY user_handle LIMIT ?) ORDER BY user_handle, created_at, rowid",
        )
        .bind(accounts as i64)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?;
        super::shapes(rows)
    }

    async fn rp_ids(&self) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query_as("SELECT rp_id, count(*) FROM passkey_credentials GROUP BY rp_id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)
    }

    async fn purge_sessions(&self, now: i64) -> Result<u64, StoreError> {
        Ok(
            sqlx::query("DELETE FROM passkey_sessions WHERE expires_at <= ?")
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
