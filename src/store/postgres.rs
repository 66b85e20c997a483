//! The PostgreSQL backend (feature `postgres`): several app instances on one database.
//! Finished ceremonies are recorded here, so a ceremony that one instance started
//! finishes once on whichever instance.

use sqlx::postgres::PgRow;
use sqlx::Row;
use webauthn_rs::prelude::Uuid;

use super::{
    stored_passkey, Claim, CredentialRecord, CredentialUse, Deleted, EnrollmentEvent,
    EnrollmentRecord, NewSession, Owner, SessionRecord, Store, UserRecord,
};
use crate::error::StoreError;

/// The schema, in order; the version is kept in `passkey_schema`.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_rate_limits.sql"),
    include_str!("../../migrations/postgres/0003_account_changes.sql"),
    include_str!("../../migrations/postgres/0004_finished_ceremonies.sql"),
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
                Some("passkey_users_username") | Some("passkey_users_user_id_key") => {
                    StoreError::Duplicate("username")
                }
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

const USER_COLUMNS: &str = "handle, user_id, username, display_name";
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
        Ok(())
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM passkey_users WHERE lower(username) = lower($1)"
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
                     created_at) VALUES ($1, $2, $3, $4, $5)",
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
            Owner::Existing {
                handle,
                session,
                generation,
                now,
            } => {
                // The session that started the registration must still be live, and the
                // account as it was then. Both rows stay locked to the commit, so neither a
                // sign-out nor another change can slip in between.
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
                if live.is_none() || changed != 1 {
                    tx.rollback().await.map_err(backend)?;
                    return Err(StoreError::Stale);
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
        if let Owner::New { session, .. } = owner {
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
        let updated = sqlx::query(
            "UPDATE passkey_credentials SET counter = GREATEST(counter, $1), backup_state = $2, \
             backup_eligible = backup_eligible OR $3, last_used_at = $4 \
             WHERE credential_id = $5 AND user_handle = $6",
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
            "SELECT u.handle, u.user_id, u.username, u.display_name, s.factors, \
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
             other_sign_in) VALUES ($1, $2, $3, $4, $5, TRUE) ON CONFLICT (user_id) DO UPDATE SET \
             username = EXCLUDED.username, display_name = EXCLUDED.display_name, \
             other_sign_in = TRUE RETURNING handle, user_id, username, display_name",
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
            sqlx::query("DELETE FROM passkey_sessions WHERE token_hash = $1")
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
            "UPDATE passkey_sessions SET factors = factors | $1 WHERE token_hash = $2 AND expires_at > $3",
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

    fn shared(&self) -> bool {
        true
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
