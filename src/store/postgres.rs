//! The PostgreSQL backend (feature `postgres`): several app instances on one database.
//! Finished ceremonies are recorded here, so a ceremony that one instance started
//! finishes once on whichever instance.

use sqlx::postgres::PgRow;
use sqlx::Row;
use webauthn_rs::prelude::Uuid;

use super::{
    stored_passkey, Claim, CredentialRecord, CredentialUse, Deleted, EnrollmentEvent,
    EnrollmentRecord, NewSession, Owner, SessionRecord, SharedCounts, Store, UserRecord,
};
use crate::error::StoreError;
use crate::input::username_key;

/// The schema, in order; the version is kept in `passkey_schema`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_rate_limits.sql"),
    include_str!("../../migrations/postgres/0003_account_changes.sql"),
    include_str!("../../migrations/postgres/0004_sealed_ceremonies_and_factors.sql"),
];

/// Serialises migrations across instances starting at once.
const MIGRATION_LOCK: i64 = 0x7061_7373_6b65_7973; // "passkeys"

pub(crate) struct PgStore {
    pool: sqlx::PgPool,
}

fn backend(e: sqlx::Error) -> StoreError {
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

fn uuid(bytes: &[u8]) -> Result<Uuid, StoreError> {
    Uuid::from_slice(bytes)
        .map_err(|_| StoreError::Backend("a stored user handle is not 16 bytes".into()))
}

const USER_COLUMNS: &str = "handle, user_id, username, display_name, account_factors";
const CREDENTIAL_COLUMNS: &str = "c.credential_id, c.user_handle, u.user_id, c.passkey, c.name, \
     c.aaguid, c.transports, c.backup_eligible, c.backup_state, c.counter, c.rp_id, c.created_at, \
     c.last_used_at";
const CREDENTIAL_FROM: &str =
    "passkey_credentials c JOIN passkey_users u ON u.handle = c.user_handle";

impl PgStore {
    pub(crate) fn new(pool: &sqlx::PgPool) -> Self {
        PgStore { pool: pool.clone() }
    }

    fn user(row: &PgRow) -> Result<UserRecord, StoreError> {
        Ok(UserRecord {
            handle: uuid(row.try_get::<&[u8], _>("handle").map_err(backend)?)?,
            user_id: row.try_get("user_id").map_err(backend)?,
            username: row.try_get("username").map_err(backend)?,
            display_name: row.try_get("display_name").map_err(backend)?,
            factors: row.try_get::<i64, _>("account_factors").map_err(backend)? as u32,
        })
    }

    fn credential_row(row: &PgRow) -> Result<CredentialRecord, StoreError> {
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

async fn insert_session<'c, E>(executor: E, session: &NewSession) -> Result<(), StoreError>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    sqlx::query(
        "INSERT INTO passkey_sessions (token_hash, user_handle, factors, user_verified, \
         credential_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
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
impl Store for PgStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS passkey_schema (version INTEGER NOT NULL)")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        let version: Option<i32> = sqlx::query_scalar("SELECT max(version) FROM passkey_schema")
            .fetch_one(&self.pool)
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
            let keyed = sqlx::query("UPDATE passkey_users SET username_key = $1 WHERE handle = $2")
                .bind(username_key(&username))
                .bind(&handle)
                .execute(&self.pool)
                .await;
            super::keyed(keyed.map(|_| ()).map_err(backend), &username)?;
        }
        Ok(())
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM passkey_users WHERE username_key = $1"
        ))
        .bind(username_key(username))
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .map(|row| Self::user(&row))
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
             WHERE c.credential_id = $1 AND c.user_handle = $2"
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
        owner: Owner<'_>,
        credential: &CredentialRecord,
        claim: &Claim,
    ) -> Result<(), StoreError> {
        let passkey = serde_json::to_string(&credential.passkey)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let transports = serde_json::to_string(&credential.transports)
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
            if let Some(old) = replaces {
                sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = $1")
                    .bind(&old[..])
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
            insert_session(&mut *tx, session).await?;
        }
        tx.commit().await.map_err(backend)
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
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query("UPDATE passkey_users SET generation = generation + 1 WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        sqlx::query(
            "DELETE FROM passkey_sessions WHERE user_handle = \
             (SELECT handle FROM passkey_users WHERE user_id = $1) \
             AND token_hash IS DISTINCT FROM $2",
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        if let Some(old) = replaces {
            sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = $1")
                .bind(&old[..])
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
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
            "SELECT u.handle, u.user_id, u.username, u.display_name, u.account_factors, s.factors, \
             s.user_verified, s.created_at \
             FROM passkey_sessions s JOIN passkey_users u ON u.handle = s.user_handle \
             WHERE s.token_hash = $1 AND s.expires_at > $2",
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
        Self::user(&row)
    }

    async fn open_session(
        &self,
        session: &NewSession,
        replaces: Option<&[u8; 32]>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        if let Some(old) = replaces {
            sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = $1")
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
             WHERE user_handle = $1",
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
            EnrollmentEvent::Prompted => "prompted_at = EXCLUDED.prompted_at",
            EnrollmentEvent::Skipped => "skipped_at = EXCLUDED.skipped_at",
            EnrollmentEvent::Never => "never = TRUE",
            EnrollmentEvent::Enrolled => "enrolled_at = EXCLUDED.enrolled_at",
        };
        let at = |e: EnrollmentEvent| (e == event).then_some(now);
        let mut tx = self.pool.begin().await.map_err(backend)?;
        sqlx::query(&format!(
            "INSERT INTO passkey_enrollment (user_handle, prompted_at, skipped_at, never, \
             enrolled_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (user_handle) DO UPDATE SET {column}"
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
            "INSERT INTO passkey_counters (name, value) VALUES ($1, 1) \
             ON CONFLICT (name) DO UPDATE SET value = passkey_counters.value + 1",
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
        revoke: bool,
        keep: &[u8; 32],
    ) -> Result<Deleted, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // The account row is locked first, so two deletes at once are decided one after
        // the other and cannot both take the last passkey.
        let other_sign_in: Option<bool> = sqlx::query_scalar(
            "SELECT other_sign_in FROM passkey_users WHERE handle = $1 FOR UPDATE",
        )
        .bind(&handle.as_bytes()[..])
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        let Some(other_sign_in) = other_sign_in else {
            tx.rollback().await.map_err(backend)?;
            return Ok(Deleted::NotFound);
        };
        let owned: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT credential_id FROM passkey_credentials WHERE user_handle = $1",
        )
        .bind(&handle.as_bytes()[..])
        .fetch_all(&mut *tx)
        .await
        .map_err(backend)?;
        if !owned.iter().any(|id| id == credential_id) {
            tx.rollback().await.map_err(backend)?;
            return Ok(Deleted::NotFound);
        }
        if owned.len() == 1 && !other_sign_in {
            tx.rollback().await.map_err(backend)?;
            return Ok(Deleted::LastPasskey);
        }
        sqlx::query(
            "DELETE FROM passkey_credentials WHERE credential_id = $1 AND user_handle = $2",
        )
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
        if revoke {
            sqlx::query(
                "DELETE FROM passkey_sessions WHERE user_handle = $1 AND credential_id = $2 \
                 AND token_hash <> $3",
            )
            .bind(&handle.as_bytes()[..])
            .bind(credential_id)
            .bind(&keep[..])
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(Deleted::Done)
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
        let mut tx = self.pool.begin().await.map_err(backend)?;
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
        sqlx::query(
            "DELETE FROM passkey_sessions WHERE user_handle = $1 AND credential_id = ANY($2)",
        )
        .bind(&handle)
        .bind(&removed)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(removed)
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
        let fresh: [u8; 32] = rand::random();
        sqlx::query(
            "INSERT INTO passkey_meta (key, value) VALUES ('secret', $1) ON CONFLICT DO NOTHING",
        )
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

/// Store-level tests that need real parallelism against a real server (set
/// `PASSKEYS_TEST_POSTGRES`; otherwise they say they were skipped).
#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{Claim, CredentialRecord, NewSession, Owner};

    async fn fresh_store() -> Option<Arc<PgStore>> {
        let server = match std::env::var("PASSKEYS_TEST_POSTGRES") {
            Ok(skip) if skip == "skip" => {
                eprintln!("SKIPPED (PASSKEYS_TEST_POSTGRES=skip): the PostgreSQL store tests");
                return None;
            }
            Ok(server) => server,
            Err(_) => panic!(
                "built with the `postgres` feature: set PASSKEYS_TEST_POSTGRES to a server \
                 url (`scripts/postgres.sh` starts one), or to `skip`"
            ),
        };
        let name = format!("passkeys_store_{:032x}", rand::random::<u128>());
        let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .unwrap();
        admin.close().await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(8)
            .connect(&format!("{server}/{name}"))
            .await
            .unwrap();
        let store = PgStore::new(&pool);
        store.migrate().await.unwrap();
        Some(Arc::new(store))
    }

    fn session(handle: Uuid, now: i64) -> NewSession {
        NewSession {
            token_hash: rand::random(),
            user_handle: handle,
            factors: 2,
            user_verified: false,
            credential_id: None,
            created_at: now,
            expires_at: now + 3600,
        }
    }

    /// Adding a passkey (which locks the account, then checks its session) and an account
    /// change (which locks the account, then ends sessions), run in parallel 200 times on
    /// two runtime threads: with one lock order, never a deadlock.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn adding_a_passkey_and_an_account_change_take_locks_in_one_order() {
        let Some(store) = fresh_store().await else {
            return;
        };
        let now = 1_000_000;
        let user = store
            .upsert_user(
                &UserRecord {
                    handle: Uuid::new_v4(),
                    user_id: "lock-order".into(),
                    username: "lock-order".into(),
                    display_name: "lock-order".into(),
                    factors: 2,
                },
                now,
            )
            .await
            .unwrap();
        let template: webauthn_rs::prelude::Passkey =
            serde_json::from_str(include_str!("test-passkey.json")).unwrap();
        let (mut added, mut stale) = (0, 0);
        for round in 0..200u32 {
            let adding = session(user.handle, now);
            let changing = session(user.handle, now);
            store.open_session(&adding, None).await.unwrap();
            store.open_session(&changing, None).await.unwrap();
            let generation = store.generation(user.handle).await.unwrap();
            let record = CredentialRecord {
                credential_id: round.to_be_bytes().to_vec(),
                user_handle: user.handle,
                user_id: user.user_id.clone(),
                passkey: template.clone(),
                name: "Passkey".into(),
                aaguid: None,
                transports: Vec::new(),
                backup_eligible: false,
                backup_state: false,
                counter: 0,
                rp_id: "localhost".into(),
                created_at: now,
                last_used_at: None,
            };
            let claim = Claim {
                expires_at: now + 300,
                id: rand::random(),
            };
            let add = {
                let store = store.clone();
                let token = adding.token_hash;
                let handle = user.handle;
                rocket::tokio::spawn(async move {
                    let owner = Owner::Existing {
                        handle,
                        session: &token,
                        generation,
                        now,
                        max_passkeys: 1000,
                    };
                    store.add_credential(owner, &record, &claim).await
                })
            };
            let change = {
                let store = store.clone();
                let keep = changing.token_hash;
                rocket::tokio::spawn(async move {
                    store.account_changed("lock-order", Some(&keep)).await
                })
            };
            match add.await.unwrap() {
                Ok(()) => added += 1,
                Err(StoreError::Stale) => stale += 1,
                Err(e) => panic!("round {round}: adding failed: {e}"),
            }
            if let Err(e) = change.await.unwrap() {
                panic!("round {round}: the account change failed: {e}");
            }
        }
        eprintln!("200 rounds: {added} passkeys added first, {stale} voided by the change");
    }
}
