//! What the app's admin pages and scripts may do to any account ([`Passkeys::admin`]),
//! and the passkeys and sessions as they are listed (to admins, and to their owners by
//! the JSON routes).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use time::OffsetDateTime;

use crate::error::{Error, ErrorCode};
use crate::factor::Factor;
use crate::passkeys::Passkeys;
use crate::service::management::Management;
use crate::store::{CredentialRecord, SessionListing};

fn at(seconds: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(seconds).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// A passkey, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct PasskeyInfo {
    /// Its credential id, base64url.
    pub id: String,
    /// Its name (from its provider, or as the user renamed it).
    pub name: String,
    /// Its provider's name, from its AAGUID ("Passkey" when unknown).
    pub provider: String,
    /// When it was added.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last signed in.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// Backed up by its provider (synced across devices), else on one device only.
    pub synced: bool,
    /// Whether its provider may back it up.
    pub backup_eligible: bool,
    /// How the browser reaches it (`internal`, `hybrid`, `usb`, ...).
    pub transports: Vec<String>,
    /// Whether it has verified its user (biometric or PIN): at registration, or at a
    /// sign-in since. False only for a passkey a password manager created without
    /// asking (an automatic upgrade) and not used yet; every sign-in requires it.
    pub user_verified: bool,
}

impl PasskeyInfo {
    pub(crate) fn new(management: &Management, c: CredentialRecord) -> Self {
        PasskeyInfo {
            id: URL_SAFE_NO_PAD.encode(&c.credential_id),
            provider: management.provider(c.aaguid).to_string(),
            name: c.name,
            created_at: at(c.created_at),
            last_used_at: c.last_used_at.map(at),
            synced: c.backup_state,
            backup_eligible: c.backup_eligible,
            user_verified: crate::service::ceremonies::conditional::verified(
                &c.passkey,
                c.last_used_at,
            ),
            transports: c.transports,
        }
    }
}

/// A live session, as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SessionInfo {
    /// Its public id (base64url): not its token, which is never shown.
    pub id: String,
    /// The device it was opened on, read from its User-Agent ("Firefox on Linux");
    /// empty until it is first used.
    pub device: String,
    /// How it signed in.
    pub factors: Vec<&'static str>,
    /// The passkey that signed it in, while that passkey exists.
    pub passkey: Option<String>,
    /// When it signed in.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it was last used (written at most every five minutes).
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    /// When it ends by itself.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// Whether it is the session of the request that listed it.
    pub current: bool,
}

impl SessionInfo {
    pub(crate) fn new(s: SessionListing, current: Option<&[u8; 16]>) -> Self {
        SessionInfo {
            id: URL_SAFE_NO_PAD.encode(s.id),
            current: current == Some(&s.id),
            device: s.device,
            factors: Factor::from_bits(s.factors)
                .into_iter()
                .map(Factor::name)
                .collect(),
            passkey: s.passkey_name,
            created_at: at(s.created_at),
            last_seen_at: at(s.last_seen_at),
            expires_at: at(s.expires_at),
        }
    }
}

/// A session id from a path or an admin call; an undecodable one is simply not found.
pub(crate) fn session_id(id: &str) -> Result<[u8; 16], Error> {
    URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .ok_or_else(|| Error::new(ErrorCode::NotFound, "There is no session with this id."))
}

/// A credential id from a path or an admin call; an undecodable one is simply not found.
pub(crate) fn credential_id(id: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .map_err(|_| Error::new(ErrorCode::NotFound, "There is no passkey with this id."))
}

/// The admin API: any account's passkeys and sessions, by the app's user id. It checks
/// nothing itself: put it behind the app's own check that the user is an administrator,
/// and [`crate::MultiFactor`] as well. Two factors alone are no authorization (anyone
/// can sign up and add a passkey). Works the same on every instance of a PostgreSQL
/// deployment.
///
/// ```rust,no_run
/// # use rocket::{delete, serde::json::Json};
/// use rocket_passkeys::{Error, MultiFactor, Passkeys};
///
/// #[delete("/admin/users/<user>/passkeys/<id>")]
/// async fn revoke(admin: MultiFactor, passkeys: &Passkeys, user: &str, id: &str)
///     -> Result<&'static str, Error> {
///     // ... check that `admin.id()` is an administrator: the app's own roles ...
///     passkeys.admin().revoke_passkey(user, id, false).await?;
///     Ok("revoked")
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Admin<'a> {
    passkeys: &'a Passkeys,
}

impl<'a> Admin<'a> {
    pub(crate) fn new(passkeys: &'a Passkeys) -> Self {
        Admin { passkeys }
    }

    /// The user's passkeys, oldest first. `not_found` when the user has no passkey
    /// account (never signed up nor signed in through the crate).
    pub async fn passkeys(&self, user_id: &str) -> Result<Vec<PasskeyInfo>, Error> {
        let management = &self.passkeys.management;
        Ok(self
            .passkeys
            .admin
            .passkeys(user_id)
            .await?
            .into_iter()
            .map(|c| PasskeyInfo::new(management, c))
            .collect())
    }

    /// The user's live sessions, most recently seen first (`current` is always false).
    pub async fn sessions(&self, user_id: &str) -> Result<Vec<SessionInfo>, Error> {
        Ok(self
            .passkeys
            .admin
            .sessions(user_id)
            .await?
            .into_iter()
            .map(|s| SessionInfo::new(s, None))
            .collect())
    }

    /// Revokes a passkey (its base64url id) and ends the sessions it opened. The
    /// account's last way to sign in is revoked only with `allow_last` (else
    /// `last_passkey`): the user then needs the app's own recovery or a recovery code.
    /// Emits [`Event::PasskeyRevoked`](crate::Event::PasskeyRevoked).
    pub async fn revoke_passkey(
        &self,
        user_id: &str,
        passkey_id: &str,
        allow_last: bool,
    ) -> Result<(), Error> {
        let id = credential_id(passkey_id)?;
        self.passkeys
            .admin
            .revoke_passkey(user_id, &id, allow_last)
            .await
    }

    /// Ends one session of the user (its id from [`Admin::sessions`]); the browser
    /// holding it is signed out at its next request.
    pub async fn end_session(&self, user_id: &str, session_id: &str) -> Result<(), Error> {
        let id = self::session_id(session_id)?;
        self.passkeys.admin.end_session(user_id, &id).await
    }

    /// Ends every session of the user; answers how many ended.
    pub async fn end_sessions(&self, user_id: &str) -> Result<u64, Error> {
        self.passkeys.admin.end_sessions(user_id).await
    }
}
