//! One mapping from a stored row to each record, shared by every backend: the columns a
//! query selects, and how their values become a [`UserRecord`], a [`CredentialRecord`],
//! a [`SessionRecord`] or an [`EnrollmentRecord`].

use sqlx::{ColumnIndex, Decode, Row, Type};
use webauthn_rs::prelude::Uuid;

use super::{
    stored_passkey, CredentialRecord, EnrollmentRecord, SessionListing, SessionRecord, UserRecord,
};
use crate::error::StoreError;

/// The columns of [`user`], from `passkey_users` (or a query aliasing it `u`, prefixed).
pub(crate) const USER_COLUMNS: &str = "handle, user_id, username, display_name, account_factors";

/// The columns of [`credential`], from [`CREDENTIAL_FROM`].
pub(crate) const CREDENTIAL_COLUMNS: &str =
    "c.credential_id, c.user_handle, u.user_id, c.passkey, c.name, c.aaguid, c.transports, \
     c.backup_eligible, c.backup_state, c.counter, c.rp_id, c.created_at, c.last_used_at";

/// A passkey joined with its account (for the owner's app user id).
pub(crate) const CREDENTIAL_FROM: &str =
    "passkey_credentials c JOIN passkey_users u ON u.handle = c.user_handle";

/// The columns of [`session`], from [`SESSION_FROM`].
pub(crate) const SESSION_COLUMNS: &str = "u.handle, u.user_id, u.username, u.display_name, \
     u.account_factors, s.id, s.factors, s.user_verified, s.created_at, s.device, \
     s.last_seen_at";

/// A session joined with its account.
pub(crate) const SESSION_FROM: &str =
    "passkey_sessions s JOIN passkey_users u ON u.handle = s.user_handle";

/// The columns of [`enrollment`], from `passkey_enrollment`.
pub(crate) const ENROLLMENT_COLUMNS: &str = "prompted_at, skipped_at, never, enrolled_at";

/// The columns a session row is written with, in the order backends bind them.
pub(crate) const NEW_SESSION_COLUMNS: &str = "token_hash, user_handle, factors, user_verified, \
     credential_id, created_at, expires_at, id, last_seen_at";

/// The columns of [`listing`]: a session with the name of the passkey that opened it.
pub(crate) const LISTING_COLUMNS: &str = "s.id, s.device, s.factors, s.user_verified, \
     c.name AS passkey_name, s.created_at, s.last_seen_at, s.expires_at";

/// An account's sessions, each with the passkey that opened it while it exists.
pub(crate) const LISTING_FROM: &str = "passkey_sessions s LEFT JOIN passkey_credentials c \
     ON c.credential_id = s.credential_id AND c.user_handle = s.user_handle";

/// A value a backend decodes from a column.
pub(crate) trait Column<'r, DB: sqlx::Database>: Decode<'r, DB> + Type<DB> {}

impl<'r, DB: sqlx::Database, T: Decode<'r, DB> + Type<DB>> Column<'r, DB> for T {}

fn get<'r, R, T>(row: &'r R, column: &'static str) -> Result<T, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    T: Column<'r, R::Database>,
{
    row.try_get(column)
        .map_err(|e| StoreError::Backend(format!("reading {column}: {e}")))
}

/// A user handle as stored (16 bytes).
pub(crate) fn handle(bytes: &[u8]) -> Result<Uuid, StoreError> {
    Uuid::from_slice(bytes)
        .map_err(|_| StoreError::Backend("a stored user handle is not 16 bytes".into()))
}

/// The account of a row with [`USER_COLUMNS`].
pub(crate) fn user<'r, R>(row: &'r R) -> Result<UserRecord, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    &'r [u8]: Column<'r, R::Database>,
    String: Column<'r, R::Database>,
    i64: Column<'r, R::Database>,
{
    Ok(UserRecord {
        handle: handle(get(row, "handle")?)?,
        user_id: get(row, "user_id")?,
        username: get(row, "username")?,
        display_name: get(row, "display_name")?,
        factors: get::<R, i64>(row, "account_factors")? as u32,
    })
}

/// The passkey of a row with [`CREDENTIAL_COLUMNS`]: the serialised passkey with the
/// counter and backup flags of their own columns.
pub(crate) fn credential<'r, R>(row: &'r R) -> Result<CredentialRecord, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    &'r [u8]: Column<'r, R::Database>,
    &'r str: Column<'r, R::Database>,
    Vec<u8>: Column<'r, R::Database>,
    String: Column<'r, R::Database>,
    i64: Column<'r, R::Database>,
    bool: Column<'r, R::Database>,
{
    let counter: i64 = get(row, "counter")?;
    let backup_state: bool = get(row, "backup_state")?;
    let backup_eligible: bool = get(row, "backup_eligible")?;
    let passkey = stored_passkey(get(row, "passkey")?, counter, backup_state, backup_eligible)?;
    let transports: &str = get(row, "transports")?;
    Ok(CredentialRecord {
        credential_id: get(row, "credential_id")?,
        user_handle: handle(get(row, "user_handle")?)?,
        user_id: get(row, "user_id")?,
        passkey,
        name: get(row, "name")?,
        aaguid: get::<R, Option<&[u8]>>(row, "aaguid")?.and_then(|b| Uuid::from_slice(b).ok()),
        transports: serde_json::from_str(transports).unwrap_or_default(),
        backup_eligible,
        backup_state,
        counter: counter as u32,
        rp_id: get(row, "rp_id")?,
        created_at: get(row, "created_at")?,
        last_used_at: get(row, "last_used_at")?,
    })
}

/// The session of a row with [`SESSION_COLUMNS`].
pub(crate) fn session<'r, R>(row: &'r R) -> Result<SessionRecord, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    &'r [u8]: Column<'r, R::Database>,
    String: Column<'r, R::Database>,
    i64: Column<'r, R::Database>,
    bool: Column<'r, R::Database>,
{
    let created_at = get(row, "created_at")?;
    Ok(SessionRecord {
        user: user(row)?,
        id: session_id(get(row, "id")?)?,
        factors: get::<R, i64>(row, "factors")? as u32,
        user_verified: get(row, "user_verified")?,
        created_at,
        device: get(row, "device")?,
        last_seen_at: get::<R, Option<i64>>(row, "last_seen_at")?.unwrap_or(created_at),
    })
}

/// A session's public id as stored (16 bytes).
fn session_id(bytes: Option<&[u8]>) -> Result<[u8; 16], StoreError> {
    bytes
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| StoreError::Backend("a stored session id is not 16 bytes".into()))
}

/// The session of a row with [`LISTING_COLUMNS`].
pub(crate) fn listing<'r, R>(row: &'r R) -> Result<SessionListing, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    &'r [u8]: Column<'r, R::Database>,
    String: Column<'r, R::Database>,
    i64: Column<'r, R::Database>,
    bool: Column<'r, R::Database>,
{
    let created_at = get(row, "created_at")?;
    Ok(SessionListing {
        id: session_id(get(row, "id")?)?,
        device: get(row, "device")?,
        factors: get::<R, i64>(row, "factors")? as u32,
        user_verified: get(row, "user_verified")?,
        passkey_name: get(row, "passkey_name")?,
        created_at,
        last_seen_at: get::<R, Option<i64>>(row, "last_seen_at")?.unwrap_or(created_at),
        expires_at: get(row, "expires_at")?,
    })
}

/// The invitation state of a row with [`ENROLLMENT_COLUMNS`].
pub(crate) fn enrollment<'r, R>(row: &'r R) -> Result<EnrollmentRecord, StoreError>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Column<'r, R::Database>,
    bool: Column<'r, R::Database>,
{
    Ok(EnrollmentRecord {
        prompted_at: get(row, "prompted_at")?,
        skipped_at: get(row, "skipped_at")?,
        never: get(row, "never")?,
        enrolled_at: get(row, "enrolled_at")?,
    })
}
