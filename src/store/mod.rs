//! Storage: one small trait, one file per backend.
//!
//! Routes never see SQL: they call the ceremony logic, which calls a [`Store`].
//! Every method is one logical write or read; methods that write several rows do it in
//! one transaction, so a failure leaves nothing half done.

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod contract;
pub(crate) mod pool;
#[cfg(not(any(feature = "sqlite", feature = "postgres")))]
compile_error!(
    "rocket_passkeys needs a database: enable the `sqlite` feature, `postgres`, or both"
);
#[cfg(feature = "postgres")]
pub(crate) mod postgres;
pub(crate) mod rows;
#[cfg(feature = "sqlite")]
pub(crate) mod sqlite;

use webauthn_rs::prelude::{Passkey, Uuid};

use crate::error::StoreError;

/// A passkey account: the random user handle authenticators store, and the app's user id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct UserRecord {
    pub handle: Uuid,
    pub user_id: String,
    pub username: String,
    pub display_name: String,
    /// The account's ways to sign in besides passkeys, as the app reported them
    /// ([`crate::Factor`] bits); none for a passkeys-only account.
    pub factors: u32,
}

/// A stored passkey as the store rebuilds it: the serialised passkey with the counter and
/// backup flags of their own columns, which are the truth for what changes after
/// registration.
pub(crate) fn stored_passkey(
    json: &str,
    counter: i64,
    backup_state: bool,
    backup_eligible: bool,
) -> Result<Passkey, StoreError> {
    let passkey: Passkey = serde_json::from_str(json)
        .map_err(|e| StoreError::Backend(format!("a stored passkey does not parse: {e}")))?;
    Ok(with_state(
        passkey,
        counter as u32,
        backup_state,
        backup_eligible,
    ))
}

/// The outcome of giving an existing account its username key: one whose name another
/// account already has under the key (two spellings of one name, from before keys) keeps
/// none, with a warning: it still signs in without a username.
pub(crate) fn keyed(result: Result<(), StoreError>, username: &str) -> Result<(), StoreError> {
    match result {
        Err(StoreError::Duplicate(_)) => {
            log::warn!(
                "passkeys: the account {username:?} has a username another account has in \
                 another spelling; it signs in without a username only"
            );
            Ok(())
        }
        other => other,
    }
}

/// Rows of (user handle, passkey id length), ordered by handle, as one list per account.
pub(crate) fn shapes(rows: Vec<(Vec<u8>, i64)>) -> Result<Vec<(Uuid, Vec<usize>)>, StoreError> {
    let mut shapes: Vec<(Uuid, Vec<usize>)> = Vec::new();
    for (handle, length) in rows {
        let handle = Uuid::from_slice(&handle)
            .map_err(|_| StoreError::Backend("a stored user handle is not 16 bytes".into()))?;
        let length = length.max(0) as usize;
        match shapes.last_mut() {
            Some((last, lengths)) if *last == handle => lengths.push(length),
            _ => shapes.push((handle, vec![length])),
        }
    }
    Ok(shapes)
}

/// The passkey with this counter and these backup flags.
pub(crate) fn with_state(
    passkey: Passkey,
    counter: u32,
    backup_state: bool,
    backup_eligible: bool,
) -> Passkey {
    let mut credential = webauthn_rs::prelude::Credential::from(passkey);
    credential.counter = counter;
    credential.backup_state = backup_state;
    credential.backup_eligible = backup_eligible;
    Passkey::from(credential)
}

/// A stored passkey. `passkey` carries the counter and backup flags of the columns.
#[derive(Debug, Clone)]
pub(crate) struct CredentialRecord {
    pub credential_id: Vec<u8>,
    pub user_handle: Uuid,
    /// The owner's app user id (stored with the account, not the passkey).
    pub user_id: String,
    pub passkey: Passkey,
    pub name: String,
    pub aaguid: Option<Uuid>,
    pub transports: Vec<String>,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub counter: u32,
    pub rp_id: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A session row as written at sign-in. It is first seen (and its device read) when it
/// is next checked.
#[derive(Debug, Clone)]
pub(crate) struct NewSession {
    pub token_hash: [u8; 32],
    /// Its public id: random, shown to its owner and sent in URLs (the token never is).
    pub id: [u8; 16],
    pub user_handle: Uuid,
    pub factors: u32,
    pub user_verified: bool,
    pub credential_id: Option<Vec<u8>>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A live session with its user.
#[derive(Debug, Clone)]
pub(crate) struct SessionRecord {
    pub user: UserRecord,
    pub id: [u8; 16],
    pub factors: u32,
    pub user_verified: bool,
    pub created_at: i64,
    /// The device label, empty until the session is first seen.
    pub device: String,
    pub last_seen_at: i64,
}

/// A live session as its owner (or an admin) sees it in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionListing {
    pub id: [u8; 16],
    pub device: String,
    pub factors: u32,
    pub user_verified: bool,
    /// The name of the passkey that opened it, while that passkey exists.
    pub passkey_name: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

/// What a passkey delete may do beyond deleting it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deletion<'a> {
    /// End the sessions the passkey opened too, except `keep`.
    pub revoke: bool,
    pub keep: Option<&'a [u8; 32]>,
    /// Delete it even when it is the account's last way to sign in (an operator's
    /// explicit revocation).
    pub allow_last: bool,
}

/// What a verified sign-in changes on its credential. Backup eligibility never changes
/// after registration (a sign-in that claims otherwise is refused).
#[derive(Debug, Clone)]
pub(crate) struct CredentialUse {
    pub credential_id: Vec<u8>,
    pub user_handle: Uuid,
    pub counter: u32,
    /// The stored counter must still be below `counter` when this is written.
    pub must_exceed: bool,
    pub backup_state: bool,
    pub used_at: i64,
}

/// Where a user stands with the invitation to create a passkey.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct EnrollmentRecord {
    pub prompted_at: Option<i64>,
    pub skipped_at: Option<i64>,
    pub never: bool,
    pub enrolled_at: Option<i64>,
}

/// Something that happened to the invitation; each also counts for operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EnrollmentEvent {
    Prompted,
    Skipped,
    Never,
    Enrolled,
}

impl EnrollmentEvent {
    pub fn name(self) -> &'static str {
        match self {
            EnrollmentEvent::Prompted => "prompted",
            EnrollmentEvent::Skipped => "skipped",
            EnrollmentEvent::Never => "never",
            EnrollmentEvent::Enrolled => "created",
        }
    }

    pub fn counter(self) -> &'static str {
        match self {
            EnrollmentEvent::Prompted => "enrollment.prompted",
            EnrollmentEvent::Skipped => "enrollment.skipped",
            EnrollmentEvent::Never => "enrollment.never",
            EnrollmentEvent::Enrolled => "enrollment.created",
        }
    }
}

/// A finished ceremony, as the store records it until it expires so that it finishes at
/// most once: its expiry and an id derived from its challenge. A ceremony sealed once
/// always gives the same claim; two ceremonies never share one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Claim {
    pub expires_at: i64,
    pub id: [u8; 16],
}

/// How long past its expiry a finished ceremony stays recorded, for instances whose
/// clocks disagree by less than this.
pub(crate) const CLAIM_SLACK: i64 = 60;

/// Whose passkey a registration adds.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owner<'a> {
    /// A sign-up: the new account and its first session, ending the session it
    /// `replaces` (the browser's previous one).
    New {
        user: &'a UserRecord,
        session: &'a NewSession,
        replaces: Option<&'a [u8; 32]>,
    },
    /// A signed-in user adding a passkey: written only while the session that started the
    /// registration is live and the account is still at the `generation` read then.
    Existing {
        handle: Uuid,
        session: &'a [u8; 32],
        generation: i64,
        now: i64,
        /// The most passkeys the account may have, this one included.
        max_passkeys: usize,
    },
}

/// What a delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deleted {
    /// Deleted, and this many sessions it opened ended.
    Done(u64),
    NotFound,
    LastPasskey,
}

/// Request counts several instances share (`rate_limit.shared`): a capability only a
/// store that several instances can share has (PostgreSQL).
#[rocket::async_trait]
pub(crate) trait SharedCounts: Send + Sync + 'static {
    /// Counts one request under `key` in the minute starting at `window` and returns the
    /// count so far.
    async fn count_request(&self, key: &str, window: i64) -> Result<i64, StoreError>;

    /// Forgets request counts of minutes before `window`.
    async fn purge_requests(&self, window: i64) -> Result<(), StoreError>;
}

/// The storage the crate needs. A backend implements this and runs the shared suite.
#[rocket::async_trait]
pub(crate) trait Store: Send + Sync + 'static {
    /// Brings the schema up to date (run once at launch).
    async fn migrate(&self) -> Result<(), StoreError>;

    /// The account with this username (case-insensitive).
    async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Every passkey of an account, oldest first.
    async fn credentials(&self, handle: Uuid) -> Result<Vec<CredentialRecord>, StoreError>;

    /// The passkey with this id, only if it belongs to this account.
    async fn credential(
        &self,
        handle: Uuid,
        credential_id: &[u8],
    ) -> Result<Option<CredentialRecord>, StoreError>;

    /// In one transaction: the ceremony's claim, the passkey, with its new account and
    /// first session when signing up. A ceremony claimed before fails with `Replayed`; a
    /// credential id or username that exists with `Duplicate`; an account that changed
    /// since the registration started with `Stale`; one with `max_passkeys` already with
    /// `TooMany`.
    async fn add_credential(
        &self,
        owner: Owner<'_>,
        credential: &CredentialRecord,
        claim: &Claim,
    ) -> Result<(), StoreError>;

    /// The account's generation: it changes whenever its ways to sign in change.
    async fn generation(&self, handle: Uuid) -> Result<i64, StoreError>;

    /// In one transaction: marks a change of the account's ways to sign in made outside
    /// the crate (a new password), and ends its sessions but `keep`; answers how many
    /// ended. Nothing for an app user without a passkey account.
    async fn account_changed(
        &self,
        user_id: &str,
        keep: Option<&[u8; 32]>,
    ) -> Result<u64, StoreError>;

    /// In one transaction: claim the ceremony, raise the counter (never lower it), save
    /// the backup state and the time of use, open the session and end the one it
    /// `replaces`. A ceremony claimed before fails with `Replayed` (whatever its counter:
    /// a copy of a finish is a replay, not a clone), writing nothing; so
    /// does, with `Regressed`, a use that `must_exceed` a counter another sign-in has
    /// since raised to its own or beyond;
    /// returns false, writing nothing but the claim, when the credential no longer exists
    /// for that account.
    async fn record_sign_in(
        &self,
        used: &CredentialUse,
        session: &NewSession,
        replaces: Option<&[u8; 32]>,
        claim: &Claim,
    ) -> Result<bool, StoreError>;

    /// Whether this ceremony was finished already (a read: the claim in the finish's own
    /// transaction is what decides).
    async fn finished(&self, claim: &Claim) -> Result<bool, StoreError>;

    /// Forgets finished ceremonies that expired before `before`; returns how many.
    async fn purge_finished(&self, before: i64) -> Result<u64, StoreError>;

    /// The live session with this token hash.
    async fn session(
        &self,
        token_hash: &[u8; 32],
        now: i64,
    ) -> Result<Option<SessionRecord>, StoreError>;

    /// Ends a session server-side.
    async fn delete_session(&self, token_hash: &[u8; 32]) -> Result<(), StoreError>;

    /// The account for an app user, created with `user.handle` if new; username and
    /// display name are refreshed from the app's.
    async fn upsert_user(&self, user: &UserRecord, now: i64) -> Result<UserRecord, StoreError>;

    /// Opens a session and ends the one it replaces, in one transaction.
    async fn open_session(
        &self,
        session: &NewSession,
        replaces: Option<&[u8; 32]>,
    ) -> Result<(), StoreError>;

    /// The user's invitation state (empty when never prompted).
    async fn enrollment(&self, handle: Uuid) -> Result<EnrollmentRecord, StoreError>;

    /// Records an invitation event and counts it, in one transaction.
    async fn record_enrollment(
        &self,
        handle: Uuid,
        event: EnrollmentEvent,
        now: i64,
    ) -> Result<(), StoreError>;

    /// The operator counters, by name.
    async fn counters(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Renames a passkey of this account; false when the account has no such passkey.
    async fn rename_credential(
        &self,
        handle: Uuid,
        credential_id: &[u8],
        name: &str,
    ) -> Result<bool, StoreError>;

    /// Deletes a passkey of this account, in one statement that refuses (unless
    /// `allow_last`) to delete the last passkey of an account with no other way to sign
    /// in; with `revoke`, the sessions it opened end too, but `keep`.
    async fn delete_credential(
        &self,
        handle: Uuid,
        credential_id: &[u8],
        how: Deletion<'_>,
    ) -> Result<Deleted, StoreError>;

    /// The account of an app user id.
    async fn user_by_id(&self, user_id: &str) -> Result<Option<UserRecord>, StoreError>;

    /// Marks the session seen `now`, and gives it its device label when it has none.
    async fn touch_session(
        &self,
        token_hash: &[u8; 32],
        now: i64,
        device: &str,
    ) -> Result<(), StoreError>;

    /// The account's live sessions, most recently seen first.
    async fn sessions_of(&self, handle: Uuid, now: i64) -> Result<Vec<SessionListing>, StoreError>;

    /// Ends the account's session with this public id; false when it has none.
    async fn end_session(&self, handle: Uuid, id: &[u8; 16]) -> Result<bool, StoreError>;

    /// Ends every session of the account but `keep`; answers how many ended.
    async fn end_sessions(&self, handle: Uuid, keep: Option<&[u8; 32]>) -> Result<u64, StoreError>;

    /// In one transaction: the account's recovery codes become these (hashes), voiding
    /// any before.
    async fn set_recovery_codes(
        &self,
        handle: Uuid,
        hashes: &[[u8; 32]],
        now: i64,
    ) -> Result<(), StoreError>;

    /// How many unused recovery codes the account has.
    async fn recovery_codes_left(&self, handle: Uuid) -> Result<i64, StoreError>;

    /// In one transaction: uses the recovery code (deleted: it works once), ends every
    /// session of the account and the one the browser held (`replaces`, whoever's),
    /// voids its pending registrations (a new generation) and opens `session`; answers
    /// how many of the account's sessions ended. None, writing nothing, when the account
    /// has no such code (the nil handle has none: the same work for every refusal).
    async fn recover(
        &self,
        handle: Uuid,
        code_hash: &[u8; 32],
        session: &NewSession,
        replaces: Option<&[u8; 32]>,
    ) -> Result<Option<u64>, StoreError>;

    /// In one transaction: deletes every passkey of the app user `user_id` created after
    /// `after`, ends the sessions they opened, and marks the account changed. Answers
    /// the deleted ids (none for a user without a passkey account).
    async fn delete_credentials_added_after(
        &self,
        user_id: &str,
        after: i64,
    ) -> Result<Vec<Vec<u8>>, StoreError>;

    /// The lengths of the passkey ids of up to `accounts` accounts (a random sample: the
    /// first by user handle), oldest first, for decoys that look like real accounts.
    async fn passkey_shapes(&self, accounts: usize) -> Result<Vec<(Uuid, Vec<usize>)>, StoreError>;

    /// How many passkeys were registered under each rp id.
    async fn rp_ids(&self) -> Result<Vec<(String, i64)>, StoreError>;

    /// Removes expired sessions; returns how many.
    async fn purge_sessions(&self, now: i64) -> Result<u64, StoreError>;

    /// A random secret kept in the store (created on first use), shared by all instances.
    async fn secret(&self) -> Result<[u8; 32], StoreError>;
}
