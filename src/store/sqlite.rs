//! The embedded SQLite backend (sqlx through rocket_db_pools).
//!
//! Set up for its job: WAL journal (set once, it persists in the file),
//! `synchronous=NORMAL` and foreign keys on every connection, a small pool (one writer
//! at a time), and few round trips on the sign-in path: credentials are cached in memory
//! (this process is the only writer of the passkey tables), and the writes of sign-ins
//! finishing at the same time share one transaction (group commit, see [`SignInWriter`]).

use std::collections::{HashMap, HashSet};

use parking_lot::Mutex;
use rocket::tokio::sync::{mpsc, oneshot};
use sqlx::Row;
use webauthn_rs::prelude::Uuid;

use super::{
    stored_passkey, with_state, Claim, CredentialRecord, CredentialUse, Deleted, EnrollmentEvent,
    EnrollmentRecord, NewSession, Owner, SessionRecord, Store, UserRecord,
};
use crate::error::StoreError;
use crate::input::username_key;

/// The schema, in order. Each runs once; the version is kept in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_enrollment.sql"),
    include_str!("../../migrations/sqlite/0003_management.sql"),
    include_str!("../../migrations/sqlite/0004_account_changes.sql"),
    include_str!("../../migrations/sqlite/0005_sessions_by_token.sql"),
    include_str!("../../migrations/sqlite/0006_sealed_ceremonies_and_factors.sql"),
];

/// The [`Store`] over a SQLite pool.
pub(crate) struct SqliteStore {
    pool: sqlx::SqlitePool,
    cache: std::sync::Arc<Cache>,
    sign_ins: SignInWriter,
}

fn backend(e: sqlx::Error) -> StoreError {
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

fn uuid(bytes: &[u8]) -> Result<Uuid, StoreError> {
    Uuid::from_slice(bytes)
        .map_err(|_| StoreError::Backend("a stored user handle is not 16 bytes".into()))
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

    fn user(row: &sqlx::sqlite::SqliteRow) -> Result<UserRecord, StoreError> {
        Ok(UserRecord {
            handle: uuid(row.try_get::<&[u8], _>("handle").map_err(backend)?)?,
            user_id: row.try_get("user_id").map_err(backend)?,
            username: row.try_get("username").map_err(backend)?,
            display_name: row.try_get("display_name").map_err(backend)?,
            factors: row.try_get::<i64, _>("account_factors").map_err(backend)? as u32,
        })
    }

    fn credential_row(row: &sqlx::sqlite::SqliteRow) -> Result<CredentialRecord, StoreError> {
        let counter: i64 = row.try_get("counter").map_err(backend)?;
        let backup_state: bool = row.try_get("backup_state").map_err(backend)?;
        let backup_eligible: bool = row.try_get("backup_eligible").map_err(backend)?;
        let passkey = stored_passkey(
            row.try_get("passkey").map_err(backend)?,
            counter,
            backup_state,
            backup_eligible,
        )?;
        let transports: &str = row.try_get("transports").map_err(backend)?;
        Ok(CredentialRecord {
            credential_id: row.try_get("credential_id").map_err(backend)?,
            user_handle: uuid(row.try_get::<&[u8], _>("user_handle").map_err(backend)?)?,
            user_id: row.try_get("user_id").map_err(backend)?,
            passkey,
            name: row.try_get("name").map_err(backend)?,
            aaguid: row
                .try_get::<Option<&[u8]>, _>("aaguid")
                .map_err(backend)?
                .and_then(|b| Uuid::from_slice(b).ok()),
            transports: serde_json::from_str(transports).unwrap_or_default(),
            backup_eligible,
            backup_state,
            counter: counter as u32,
            rp_id: row.try_get("rp_id").map_err(backend)?,
            created_at: row.try_get("created_at").map_err(backend)?,
            last_used_at: row.try_get("last_used_at").map_err(backend)?,
        })
    }
}

const USER_COLUMNS: &str = "handle, user_id, username, display_name, account_factors";
const CREDENTIAL_COLUMNS: &str = "c.credential_id, c.user_handle, u.user_id, c.passkey, c.name, \
     c.aaguid, c.transports, c.backup_eligible, c.backup_state, c.counter, c.rp_id, c.created_at, \
     c.last_used_at";
const CREDENTIAL_FROM: &str =
    "passkey_credentials c JOIN passkey_users u ON u.handle = c.user_handle";

type Query<'q> = sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>;

/// Binds a session row's seven columns, in the order of [`SESSION_COLUMNS`].
fn bind_session<'q>(query: Query<'q>, session: &'q NewSession) -> Query<'q> {
    query
        .bind(&session.token_hash[..])
        .bind(&session.user_handle.as_bytes()[..])
        .bind(session.factors as i64)
        .bind(session.user_verified)
        .bind(session.credential_id.as_deref())
        .bind(session.created_at)
        .bind(session.expires_at)
}

const SESSION_COLUMNS: &str =
    "token_hash, user_handle, factors, user_verified, credential_id, created_at, expires_at";

async fn insert_session<'c, E>(executor: E, session: &NewSession) -> Result<(), StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    let sql =
        format!("INSERT INTO passkey_sessions ({SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)");
    bind_session(sqlx::query(&sql), session)
        .execute(executor)
        .await
        .map_err(backend)?;
    Ok(())
}

#[rocket::async_trait]
impl Store for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        let version: i64 = sqlx::query_scalar("PRAGMA user_version")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(version.max(0) as usize) {
            // One script on one connection: the schema and its version commit together.
            let script = format!(
                "BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {};\nCOMMIT;",
                index + 1
            );
            sqlx::raw_sql(&script)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
        }
        // Accounts from before usernames had keys get theirs.
        let unkeyed: Vec<(Vec<u8>, String)> =
            sqlx::query_as("SELECT handle, username FROM passkey_users WHERE username_key IS NULL")
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
        for (handle, username) in unkeyed {
            let keyed = sqlx::query("UPDATE passkey_users SET username_key = ? WHERE handle = ?")
                .bind(username_key(&username))
                .bind(&handle)
                .execute(&self.pool)
                .await;
            super::keyed(keyed.map(|_| ()).map_err(backend), &username)?;
        }
        Ok(())
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
        .map(|row| Self::user(&row))
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
        .map(Self::credential_row)
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
        .map(|row| Self::credential_row(&row))
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
        let passkey = serde_json::to_string(&credential.passkey)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let transports = serde_json::to_string(&credential.transports)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let epoch = self.cache.epoch();
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
            if let Some(old) = replaces {
                sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = ?")
                    .bind(&old[..])
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
            insert_session(&mut *tx, session).await?;
        }
        tx.commit().await.map_err(backend)?;
        // A new passkey is usually used soon (the next sign-in, on another device).
        self.cache.added(credential, epoch);
        if let Owner::New { user, .. } = owner {
            // The name now has an account.
            self.cache.forget_user(user.handle, &user.username);
        }
        Ok(())
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
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("UPDATE passkey_users SET generation = generation + 1 WHERE user_id = ?")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "DELETE FROM passkey_sessions WHERE user_handle = \
             (SELECT handle FROM passkey_users WHERE user_id = ?) AND token_hash IS NOT ?",
        )
        .bind(user_id)
        .bind(keep.map(|hash| &hash[..]))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
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
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM passkey_finished_ceremonies WHERE expires_at = ? AND id = ?",
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
        let row = sqlx::query(
            "SELECT u.handle, u.user_id, u.username, u.display_name, u.account_factors, s.factors, \
             s.user_verified, s.created_at \
             FROM passkey_sessions s JOIN passkey_users u ON u.handle = s.user_handle \
             WHERE s.token_hash = ? AND s.expires_at > ?",
        )
        .bind(&token_hash[..])
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(SessionRecord {
            user: Self::user(&row)?,
            factors: row.try_get::<i64, _>("factors").map_err(backend)? as u32,
            user_verified: row.try_get("user_verified").map_err(backend)?,
            created_at: row.try_get("created_at").map_err(backend)?,
        }))
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
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        let stored = Self::user(&row)?;
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
        if let Some(old) = replaces {
            sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = ?")
                .bind(&old[..])
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        insert_session(&mut *tx, session).await?;
        tx.commit().await.map_err(backend)
    }

    async fn enrollment(&self, handle: Uuid) -> Result<EnrollmentRecord, StoreError> {
        let row = sqlx::query(
            "SELECT prompted_at, skipped_at, never, enrolled_at FROM passkey_enrollment \
             WHERE user_handle = ?",
        )
        .bind(&handle.as_bytes()[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        let Some(row) = row else {
            return Ok(EnrollmentRecord::default());
        };
        Ok(EnrollmentRecord {
            prompted_at: row.try_get("prompted_at").map_err(backend)?,
            skipped_at: row.try_get("skipped_at").map_err(backend)?,
            never: row.try_get("never").map_err(backend)?,
            enrolled_at: row.try_get("enrolled_at").map_err(backend)?,
        })
    }

    async fn record_enrollment(
        &self,
        handle: Uuid,
        event: EnrollmentEvent,
        now: i64,
    ) -> Result<(), StoreError> {
        let column = match event {
            EnrollmentEvent::Prompted => "prompted_at = excluded.prompted_at",
            EnrollmentEvent::Skipped => "skipped_at = excluded.skipped_at",
            EnrollmentEvent::Never => "never = 1",
            EnrollmentEvent::Enrolled => "enrolled_at = excluded.enrolled_at",
        };
        let at = |e: EnrollmentEvent| (e == event).then_some(now);
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query(&format!(
            "INSERT INTO passkey_enrollment (user_handle, prompted_at, skipped_at, never, \
             enrolled_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_handle) DO UPDATE SET {column}"
        ))
        .bind(&handle.as_bytes()[..])
        .bind(at(EnrollmentEvent::Prompted))
        .bind(at(EnrollmentEvent::Skipped))
        .bind(event == EnrollmentEvent::Never)
        .bind(at(EnrollmentEvent::Enrolled))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query(
            "INSERT INTO passkey_counters (name, value) VALUES (?, 1) \
             ON CONFLICT (name) DO UPDATE SET value = value + 1",
        )
        .bind(event.counter())
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)
    }

    async fn counters(&self) -> Result<Vec<(String, i64)>, StoreError> {
        sqlx::query_as("SELECT name, value FROM passkey_counters ORDER BY name")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)
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
        revoke: bool,
        keep: &[u8; 32],
    ) -> Result<Deleted, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // One statement decides and deletes, so two deletes at once cannot both pass.
        let deleted = sqlx::query(
            "DELETE FROM passkey_credentials WHERE credential_id = ?1 AND user_handle = ?2 \
             AND ((SELECT count(*) FROM passkey_credentials WHERE user_handle = ?2) > 1 \
               OR (SELECT other_sign_in FROM passkey_users WHERE handle = ?2) = 1)",
        )
        .bind(credential_id)
        .bind(&handle.as_bytes()[..])
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
        if revoke {
            // By the account's sessions (indexed), of which those this passkey opened.
            sqlx::query(
                "DELETE FROM passkey_sessions WHERE user_handle = ? AND credential_id = ? \
                 AND token_hash != ?",
            )
            .bind(&handle.as_bytes()[..])
            .bind(credential_id)
            .bind(&keep[..])
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        self.cache.forget(credential_id, handle);
        Ok(Deleted::Done)
    }

    async fn delete_credentials_added_after(
        &self,
        user_id: &str,
        after: i64,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        let handle = uuid(&handle)?;
        for credential_id in &removed {
            self.cache.forget(credential_id, handle);
        }
        Ok(removed)
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
        let fresh: [u8; 32] = rand::random();
        // Insert-or-keep, then read: every instance ends up with the same secret.
        sqlx::query("INSERT OR IGNORE INTO passkey_meta (key, value) VALUES ('secret', ?)")
            .bind(&fresh[..])
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        let stored: Vec<u8> =
            sqlx::query_scalar("SELECT value FROM passkey_meta WHERE key = 'secret'")
                .fetch_one(&self.pool)
                .await
                .map_err(backend)?;
        stored
            .try_into()
            .map_err(|_| StoreError::Backend("the stored secret is not 32 bytes".into()))
    }
}

/// Accounts and passkeys as last read or written by this process, so that a sign-in does
/// not read them from the database: passkeys by id, each account's list of passkey ids,
/// and accounts by username. Every write of a sign-in stays conditional on the passkey in
/// the database, so an entry can at worst make a sign-in fail that would have failed
/// anyway; each write of the store updates or drops the entries it changes.
///
/// A change that is not applied to the cached entries in place bumps `epoch`, and a
/// database read is cached only if the epoch did not move while it ran; a read never
/// replaces a cached passkey (which sign-ins keep up to date in place). So a slow read can
/// never put back an older counter or a deleted passkey, and sign-ins of cached passkeys
/// do not stop other reads from being cached.
#[derive(Default)]
struct Cache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    credentials: HashMap<Vec<u8>, CredentialRecord>,
    /// Each account's passkey ids, oldest first.
    lists: HashMap<Uuid, Vec<Vec<u8>>>,
    /// Accounts by username key ([`username_key`]); none for a name known to have no
    /// account.
    users: HashMap<String, Option<UserRecord>>,
    /// The username each cached account is kept under.
    user_names: HashMap<Uuid, String>,
    epoch: u64,
}

/// At most this many entries of each kind; past it the cache starts again empty.
const CACHE_CAP: usize = 16_384;

impl CacheInner {
    fn make_room(&mut self) {
        if self.credentials.len() >= CACHE_CAP
            || self.lists.len() >= CACHE_CAP
            || self.users.len() >= CACHE_CAP
        {
            self.credentials.clear();
            self.lists.clear();
            self.users.clear();
            self.user_names.clear();
        }
    }
}

impl Cache {
    fn epoch(&self) -> u64 {
        self.inner.lock().epoch
    }

    fn credential(&self, credential_id: &[u8]) -> Option<CredentialRecord> {
        self.inner.lock().credentials.get(credential_id).cloned()
    }

    /// Caches a passkey read from the database while the cache stood at `epoch`.
    fn put_credential(&self, record: &CredentialRecord, epoch: u64) {
        let mut inner = self.inner.lock();
        if inner.epoch != epoch {
            return;
        }
        inner.make_room();
        inner
            .credentials
            .entry(record.credential_id.clone())
            .or_insert_with(|| record.clone());
    }

    /// The account's passkeys, when every one of them is cached.
    fn list(&self, handle: Uuid) -> Option<Vec<CredentialRecord>> {
        let inner = self.inner.lock();
        inner
            .lists
            .get(&handle)?
            .iter()
            .map(|id| inner.credentials.get(id).cloned())
            .collect()
    }

    /// Caches an account's passkeys read from the database at `epoch`.
    fn put_list(&self, handle: Uuid, list: &[CredentialRecord], epoch: u64) {
        let mut inner = self.inner.lock();
        if inner.epoch != epoch {
            return;
        }
        inner.make_room();
        let ids = list.iter().map(|c| c.credential_id.clone()).collect();
        inner.lists.insert(handle, ids);
        for record in list {
            inner
                .credentials
                .entry(record.credential_id.clone())
                .or_insert_with(|| record.clone());
        }
    }

    /// The cached answer for this name: an account, or none known to have it.
    fn user(&self, username: &str) -> Option<Option<UserRecord>> {
        let inner = self.inner.lock();
        inner.users.get(&username_key(username)).cloned()
    }

    /// Caches what the database answered for `username` at `epoch`.
    fn put_user(&self, username: &str, user: Option<&UserRecord>, epoch: u64) {
        let mut inner = self.inner.lock();
        if inner.epoch != epoch {
            return;
        }
        inner.make_room();
        let key = username_key(username);
        if let Some(user) = user {
            inner.user_names.insert(user.handle, key.clone());
        }
        inner.users.insert(key, user.cloned());
    }

    /// An account's names may have changed, or an account may now have `username`.
    fn forget_user(&self, handle: Uuid, username: &str) {
        let mut inner = self.inner.lock();
        inner.epoch += 1;
        if let Some(name) = inner.user_names.remove(&handle) {
            inner.users.remove(&name);
        }
        inner.users.remove(&username_key(username));
    }

    /// A passkey was stored (read at `epoch`): its account's list changed.
    fn added(&self, record: &CredentialRecord, epoch: u64) {
        let mut inner = self.inner.lock();
        let unchanged = inner.epoch == epoch;
        inner.epoch += 1;
        inner.lists.remove(&record.user_handle);
        if unchanged {
            inner.make_room();
            inner
                .credentials
                .insert(record.credential_id.clone(), record.clone());
        }
    }

    /// Applies a recorded sign-in, as the database did.
    fn used(&self, used: &CredentialUse) {
        let mut inner = self.inner.lock();
        let Some(record) = inner.credentials.get_mut(&used.credential_id) else {
            // A read of it may be under way: it must not be cached.
            inner.epoch += 1;
            return;
        };
        record.counter = record.counter.max(used.counter);
        record.backup_state = used.backup_state;
        record.last_used_at = Some(used.used_at);
        record.passkey = with_state(
            record.passkey.clone(),
            record.counter,
            record.backup_state,
            record.backup_eligible,
        );
    }

    /// A passkey was renamed or deleted, or may be gone.
    fn forget(&self, credential_id: &[u8], handle: Uuid) {
        let mut inner = self.inner.lock();
        inner.epoch += 1;
        inner.credentials.remove(credential_id);
        inner.lists.remove(&handle);
    }
}

/// One sign-in's writes: the claim of its ceremony, the credential's counter, backup state
/// and time of use, the new session, and the end of the session it replaces.
struct SignIn {
    used: CredentialUse,
    session: NewSession,
    replaces: Option<[u8; 32]>,
    claim: Claim,
}

type Reply = oneshot::Sender<Result<bool, StoreError>>;

/// Group commit for sign-ins. Each sign-in hands its writes to one task, which writes
/// everything queued so far in one transaction, then answers each sign-in once that
/// transaction has committed. Alone, a sign-in is written at once; under load, the
/// sign-ins that arrive while a transaction runs share the next one, so the cost of a
/// commit (and of sqlx's round trips to its SQLite thread) is paid once per group instead
/// of once per sign-in. A group whose statements fail is written again one sign-in at a
/// time, so one bad write cannot fail the others; a busy or unreachable database fails
/// the group once.
struct SignInWriter {
    queue: mpsc::UnboundedSender<(SignIn, Reply)>,
}

/// The most sign-ins written in one transaction.
const MAX_GROUP: usize = 32;

/// What a group wrote for one sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    /// Claimed, and its credential updated and session opened.
    Recorded,
    /// Claimed, but its credential no longer exists: nothing else written.
    Gone,
    /// Its ceremony was finished before: nothing written.
    Replayed,
    /// Its counter had to go up but another sign-in raised it to it or beyond: nothing
    /// written.
    Regressed,
}

impl Written {
    fn answer(self) -> Result<bool, StoreError> {
        match self {
            Written::Recorded => Ok(true),
            Written::Gone => Ok(false),
            Written::Replayed => Err(StoreError::Replayed),
            Written::Regressed => Err(StoreError::Regressed),
        }
    }
}

impl SignInWriter {
    /// Starts the writer; it keeps `cache` in step with each group it commits, before
    /// any sign-in of the group hears back.
    fn spawn(pool: sqlx::SqlitePool, cache: std::sync::Arc<Cache>) -> Self {
        let (queue, mut incoming) = mpsc::unbounded_channel::<(SignIn, Reply)>();
        rocket::tokio::spawn(async move {
            let mut queued = Vec::with_capacity(MAX_GROUP);
            while incoming.recv_many(&mut queued, MAX_GROUP).await > 0 {
                // Finishes of one ceremony in one group: the first is written, the others
                // are replays.
                // Of the sign-ins with one passkey whose counter had to go up, each must go
                // above the one before it in the group (equal counters: a cloned key).
                let mut claims = HashSet::with_capacity(queued.len());
                let mut raised: HashMap<Vec<u8>, u32> = HashMap::new();
                let mut group = Vec::with_capacity(queued.len());
                for (sign_in, reply) in queued.drain(..) {
                    if !claims.insert(sign_in.claim) {
                        let _ = reply.send(Err(StoreError::Replayed));
                        continue;
                    }
                    let used = &sign_in.used;
                    if used.must_exceed {
                        let last = raised.entry(used.credential_id.clone()).or_insert(0);
                        if *last > 0 && used.counter <= *last {
                            let _ = reply.send(Err(StoreError::Regressed));
                            continue;
                        }
                        *last = used.counter;
                    }
                    group.push((sign_in, reply));
                }
                let (sign_ins, replies): (Vec<_>, Vec<_>) = group.into_iter().unzip();
                let outcome: Vec<Result<Written, StoreError>> =
                    match write_sign_ins(&pool, &sign_ins).await {
                        // One bad sign-in (a statement it made fail) must not fail the
                        // others: they are written again one by one. A database that is
                        // busy, locked or gone fails the whole group at once, without
                        // waiting again.
                        Err(e) if sign_ins.len() > 1 && fails_alone(&e) => {
                            let mut outcome = Vec::with_capacity(sign_ins.len());
                            for sign_in in &sign_ins {
                                let alone =
                                    write_sign_ins(&pool, std::slice::from_ref(sign_in)).await;
                                outcome.push(alone.map(|written| written[0]).map_err(backend));
                            }
                            outcome
                        }
                        Err(e) => vec![Err(backend(e)); sign_ins.len()],
                        Ok(written) => written.into_iter().map(Ok).collect(),
                    };
                // The cache learns what was written before anyone acts on it.
                let written = |wanted: Written| {
                    let outcome = &outcome;
                    sign_ins
                        .iter()
                        .zip(outcome)
                        .filter(move |(_, result)| matches!(result, Ok(w) if *w == wanted))
                        .map(|(sign_in, _)| &sign_in.used)
                };
                for gone in written(Written::Gone) {
                    cache.forget(&gone.credential_id, gone.user_handle);
                }
                for used in per_credential(written(Written::Recorded)) {
                    cache.used(used);
                }
                for (reply, result) in replies.into_iter().zip(outcome) {
                    let _ = reply.send(result.and_then(Written::answer));
                }
            }
        });
        SignInWriter { queue }
    }

    async fn write(&self, sign_in: SignIn) -> Result<bool, StoreError> {
        let stopped = || StoreError::Backend("the sign-in writer has stopped".into());
        let (reply, answer) = oneshot::channel();
        self.queue.send((sign_in, reply)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Whether a failed group may be written again one sign-in at a time: a statement that
/// failed (a constraint, a trigger), not a database that is busy, locked or unreachable.
fn fails_alone(e: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i64 = 5;
    const SQLITE_LOCKED: i64 = 6;
    match e {
        sqlx::Error::Database(db) => {
            let primary = db
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                .map(|code| code & 0xff);
            !matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED))
        }
        _ => false,
    }
}

/// One use per credential, as a group writes it: sign-ins with one passkey may share a
/// group and finish in any order; the highest counter is kept (the latest of equal ones).
fn per_credential<'a>(uses: impl Iterator<Item = &'a CredentialUse>) -> Vec<&'a CredentialUse> {
    let mut credentials: Vec<&CredentialUse> = Vec::new();
    for used in uses {
        match credentials
            .iter_mut()
            .find(|c| c.credential_id == used.credential_id)
        {
            Some(kept) if kept.counter > used.counter => {}
            Some(kept) => *kept = used,
            None => credentials.push(used),
        }
    }
    credentials
}

/// `(?, ?, ...)` with `columns` placeholders, `rows` times, comma-separated.
fn placeholders(rows: usize, columns: usize) -> String {
    let row = format!("({})", vec!["?"; columns].join(", "));
    vec![row; rows].join(", ")
}

/// Writes a group of sign-ins (of distinct ceremonies) in one transaction, sent to SQLite
/// as one script (one round trip to sqlx's SQLite thread, however large the group).
///
/// The script first records each sign-in's ceremony as finished, with a plain `INSERT`: a
/// ceremony finished before (a replay) makes the whole script fail and roll back, and
/// the writer then writes the group again one sign-in at a time, where the replay fails
/// alone ([`Written::Replayed`]). So does a sign-in whose counter had to go up but is no
/// longer above the stored one: its record gets no id (a `NOT NULL` failure) unless it
/// is ([`Written::Regressed`]). Replays and such races are rare (a captured finish sent
/// again, a cloned key), so the common path pays one statement. Then, only for credentials that
/// still exist: the counter is raised with `max()`, the sessions are opened, and the
/// sessions they replace are ended (a session planted before the sign-in is worth
/// nothing after it).
async fn write_sign_ins(
    pool: &sqlx::SqlitePool,
    sign_ins: &[SignIn],
) -> Result<Vec<Written>, sqlx::Error> {
    // One row per credential; the update's max() keeps the counter from going down.
    let credentials = per_credential(sign_ins.iter().map(|s| &s.used));
    let script = format!(
        "BEGIN IMMEDIATE; \
         INSERT INTO passkey_finished_ceremonies (expires_at, id) VALUES {claims}; \
         WITH used (credential_id, user_handle, counter, backup_state, used_at) \
         AS (VALUES {used}) \
         UPDATE passkey_credentials SET counter = max(passkey_credentials.counter, used.counter), \
         backup_state = used.backup_state, last_used_at = used.used_at FROM used \
         WHERE passkey_credentials.credential_id = used.credential_id \
         AND passkey_credentials.user_handle = used.user_handle \
         RETURNING passkey_credentials.credential_id; \
         WITH replaced (token_hash, credential_id, user_handle) AS (VALUES {replaced}) \
         DELETE FROM passkey_sessions WHERE token_hash IN (SELECT r.token_hash FROM replaced r \
         JOIN passkey_credentials c ON c.credential_id = r.credential_id \
         AND c.user_handle = r.user_handle); \
         WITH opened ({SESSION_COLUMNS}) AS (VALUES {opened}) \
         INSERT INTO passkey_sessions ({SESSION_COLUMNS}) \
         SELECT o.* FROM opened o JOIN passkey_credentials c \
         ON c.credential_id = o.credential_id AND c.user_handle = o.user_handle; \
         COMMIT;",
        claims = vec![CLAIM; sign_ins.len()].join(", "),
        used = placeholders(credentials.len(), 5),
        replaced = placeholders(sign_ins.len(), 3),
        opened = placeholders(sign_ins.len(), 7),
    );
    let mut query = sqlx::query(&script);
    for sign_in in sign_ins {
        let used = &sign_in.used;
        query = query
            .bind(sign_in.claim.expires_at)
            .bind(!used.must_exceed)
            .bind(&sign_in.claim.id[..])
            .bind(&used.credential_id)
            .bind(&used.user_handle.as_bytes()[..])
            .bind(used.counter as i64)
            .bind(&sign_in.claim.id[..]);
    }
    for used in &credentials {
        query = query
            .bind(&used.credential_id)
            .bind(&used.user_handle.as_bytes()[..])
            .bind(used.counter as i64)
            .bind(used.backup_state)
            .bind(used.used_at);
    }
    for sign_in in sign_ins {
        // A sign-in that replaces nothing names no token (NULL matches no row).
        query = query
            .bind(sign_in.replaces.as_ref().map(|hash| &hash[..]))
            .bind(&sign_in.used.credential_id)
            .bind(&sign_in.used.user_handle.as_bytes()[..]);
    }
    for sign_in in sign_ins {
        query = bind_session(query, &sign_in.session);
    }
    let mut connection = pool.acquire().await?;
    let rows = match query.fetch_all(&mut *connection).await {
        Ok(rows) => rows,
        Err(e) => {
            // The script stopped part way: whatever it began is undone before the
            // connection goes back to the pool; one that cannot be undone is closed.
            if sqlx::query("ROLLBACK")
                .execute(&mut *connection)
                .await
                .is_err_and(|e| !e.to_string().contains("no transaction is active"))
            {
                connection.close().await.ok();
            }
            // Alone, a sign-in whose ceremony was finished before is a replay, and one whose
            // counter no longer goes up lost a race with another sign-in.
            if sign_ins.len() == 1 {
                match claim_failure(&e) {
                    Some(written) => return Ok(vec![written]),
                    None => return Err(e),
                }
            }
            return Err(e);
        }
    };
    let existing: HashSet<Vec<u8>> = rows
        .iter()
        .map(|row| row.try_get::<Vec<u8>, _>(0))
        .collect::<Result<_, _>>()?;
    Ok(sign_ins
        .iter()
        .map(|s| {
            if existing.contains(&s.used.credential_id) {
                Written::Recorded
            } else {
                Written::Gone
            }
        })
        .collect())
}

/// One row of the claims `INSERT`: the ceremony's expiry, and its id only if the sign-in
/// need not raise the counter, or if the passkey's stored counter (-1 when the passkey is
/// gone, a case the later statements handle) is still below the sign-in's.
const CLAIM: &str = "(?, CASE WHEN ? THEN ? WHEN coalesce((SELECT counter FROM \
     passkey_credentials WHERE credential_id = ? AND user_handle = ?), -1) < ? THEN ? END)";

/// Why the claims of a single sign-in failed, when it is one of the two known reasons:
/// its ceremony was finished before (the unique key), or its counter no longer goes up
/// (no id, `NOT NULL`).
fn claim_failure(e: &sqlx::Error) -> Option<Written> {
    let sqlx::Error::Database(db) = e else {
        return None;
    };
    let message = db.message();
    if db.is_unique_violation() && message.contains("passkey_finished_ceremonies") {
        Some(Written::Replayed)
    } else if message.contains("NOT NULL constraint failed: passkey_finished_ceremonies.id") {
        Some(Written::Regressed)
    } else {
        None
    }
}
