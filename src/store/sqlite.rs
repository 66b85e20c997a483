//! The embedded SQLite backend (sqlx through rocket_db_pools).
//!
//! Set up for its job: WAL journal (set once, it persists in the file),
//! `synchronous=NORMAL` and foreign keys on every connection, a small pool (one writer
//! at a time), and few round trips on the sign-in path.

use sqlx::Row;
use webauthn_rs::prelude::Uuid;

use super::{
    stored_passkey, CredentialRecord, CredentialUse, Deleted, EnrollmentEvent, EnrollmentRecord,
    NewSession, SessionRecord, Store, UserRecord,
};
use crate::error::StoreError;

/// The schema, in order. Each runs once; the version is kept in `PRAGMA user_version`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/sqlite/0001_init.sql"),
    include_str!("../../migrations/sqlite/0002_enrollment.sql"),
    include_str!("../../migrations/sqlite/0003_management.sql"),
];

/// The [`Store`] over a SQLite pool.
pub(crate) struct SqliteStore {
    pool: sqlx::SqlitePool,
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
    pub(crate) fn new(pool: &sqlx::SqlitePool) -> Self {
        SqliteStore { pool: pool.clone() }
    }

    fn user(row: &sqlx::sqlite::SqliteRow) -> Result<UserRecord, StoreError> {
        Ok(UserRecord {
            handle: uuid(row.try_get::<&[u8], _>("handle").map_err(backend)?)?,
            user_id: row.try_get("user_id").map_err(backend)?,
            username: row.try_get("username").map_err(backend)?,
            display_name: row.try_get("display_name").map_err(backend)?,
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

const USER_COLUMNS: &str = "handle, user_id, username, display_name";
const CREDENTIAL_COLUMNS: &str = "c.credential_id, c.user_handle, u.user_id, c.passkey, c.name, \
     c.aaguid, c.transports, c.backup_eligible, c.backup_state, c.counter, c.rp_id, c.created_at, \
     c.last_used_at";
const CREDENTIAL_FROM: &str =
    "passkey_credentials c JOIN passkey_users u ON u.handle = c.user_handle";

async fn insert_session<'c, E>(executor: E, session: &NewSession) -> Result<(), StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Sqlite>,
{
    sqlx::query(
        "INSERT INTO passkey_sessions (token_hash, user_handle, factors, user_verified, \
         credential_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&session.token_hash[..])
    .bind(&session.user_handle.as_bytes()[..])
    .bind(session.factors as i64)
    .bind(session.user_verified)
    .bind(session.credential_id.as_deref())
    .bind(session.created_at)
    .bind(session.expires_at)
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
        Ok(())
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM passkey_users WHERE username = ?"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|row| Self::user(&row))
        .transpose()
    }

    async fn credentials(&self, handle: Uuid) -> Result<Vec<CredentialRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM {CREDENTIAL_FROM} WHERE c.user_handle = ? \
             ORDER BY c.created_at, c.rowid"
        ))
        .bind(&handle.as_bytes()[..])
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(Self::credential_row)
        .collect()
    }

    async fn credential(
        &self,
        handle: Uuid,
        credential_id: &[u8],
    ) -> Result<Option<CredentialRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {CREDENTIAL_COLUMNS} FROM {CREDENTIAL_FROM} \
             WHERE c.credential_id = ? AND c.user_handle = ?"
        ))
        .bind(credential_id)
        .bind(&handle.as_bytes()[..])
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|row| Self::credential_row(&row))
        .transpose()
    }

    async fn add_credential(
        &self,
        new_user: Option<&UserRecord>,
        credential: &CredentialRecord,
        session: Option<&NewSession>,
    ) -> Result<(), StoreError> {
        let passkey = serde_json::to_string(&credential.passkey)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let transports = serde_json::to_string(&credential.transports)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
        if let Some(user) = new_user {
            sqlx::query(
                "INSERT INTO passkey_users (handle, user_id, username, display_name, created_at) \
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&user.handle.as_bytes()[..])
            .bind(&user.user_id)
            .bind(&user.username)
            .bind(&user.display_name)
            .bind(credential.created_at)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
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
        if let Some(session) = session {
            insert_session(&mut *tx, session).await?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn record_sign_in(
        &self,
        used: &CredentialUse,
        session: &NewSession,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // max(): concurrent sign-ins may finish out of order; the counter never goes down.
        let updated = sqlx::query(
            "UPDATE passkey_credentials SET counter = max(counter, ?), backup_state = ?, \
             backup_eligible = max(backup_eligible, ?), last_used_at = ? \
             WHERE credential_id = ? AND user_handle = ?",
        )
        .bind(used.counter as i64)
        .bind(used.backup_state)
        .bind(used.backup_eligible)
        .bind(used.used_at)
        .bind(&used.credential_id)
        .bind(&used.user_handle.as_bytes()[..])
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        if updated != 1 {
            tx.rollback().await.map_err(backend)?;
            return Ok(false);
        }
        insert_session(&mut *tx, session).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn session(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT u.handle, u.user_id, u.username, u.display_name, s.factors, \
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
            "INSERT INTO passkey_users (handle, user_id, username, display_name, created_at, \
             other_sign_in) VALUES (?, ?, ?, ?, ?, 1) ON CONFLICT (user_id) DO UPDATE SET \
             username = excluded.username, display_name = excluded.display_name, \
             other_sign_in = 1 \
             RETURNING handle, user_id, username, display_name",
        )
        .bind(&user.handle.as_bytes()[..])
        .bind(&user.user_id)
        .bind(&user.username)
        .bind(&user.display_name)
        .bind(now)
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Self::user(&row)
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

    async fn add_factors(
        &self,
        token_hash: &[u8; 32],
        bits: u32,
        now: i64,
    ) -> Result<bool, StoreError> {
        let updated = sqlx::query(
            "UPDATE passkey_sessions SET factors = factors | ? WHERE token_hash = ? AND expires_at > ?",
        )
        .bind(bits as i64)
        .bind(&token_hash[..])
        .bind(now)
        .execute(&self.pool)
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(updated == 1)
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
        if revoke {
            sqlx::query("DELETE FROM passkey_sessions WHERE credential_id = ? AND token_hash != ?")
                .bind(credential_id)
                .bind(&keep[..])
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(Deleted::Done)
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
