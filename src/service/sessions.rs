//! Sessions: who is signed in, how, and since when. A session is a random token in the
//! browser's cookie (see `cookies.rs`) and a row under the token's SHA-256 in the store.
//! Every sign-in, and every step up (a second factor), issues a new token and ends the
//! one it replaces.

use std::sync::Arc;

use sha2::{Digest, Sha256};
use webauthn_rs::prelude::Uuid;

use crate::base::Core;
use crate::error::{Error, ErrorCode};
use crate::events::Event;
use crate::factor::Factor;
use crate::measure;
use crate::store::{NewSession, SessionListing, SessionRecord, UserRecord};

/// How often a session's last-seen time is written, at most (seconds): a request
/// within this of the last write writes nothing.
pub(crate) const SEEN_EVERY: i64 = 300;

/// A session of the signed-in account that is not there (or is another account's).
fn no_such_session() -> Error {
    Error::say(ErrorCode::NotFound, "error-session-not-found")
}

/// A fresh random session token.
pub(crate) fn new_token() -> [u8; 32] {
    rand::random()
}

/// What the store keeps of a token.
pub(crate) fn token_hash(token: &[u8; 32]) -> [u8; 32] {
    Sha256::digest(token).into()
}

/// A live session and the hash of its token.
pub(crate) type Current = (SessionRecord, [u8; 32]);

#[derive(Debug)]
pub(crate) struct Sessions {
    core: Arc<Core>,
}

impl Sessions {
    pub fn new(core: Arc<Core>) -> Self {
        Sessions { core }
    }

    /// The live session of this token, if any, seen now from the device of this
    /// User-Agent: the first time, and then at most every [`SEEN_EVERY`], that is
    /// written (a failure to write it is logged, not the request's failure).
    pub async fn current(
        &self,
        token: Option<[u8; 32]>,
        user_agent: Option<&str>,
    ) -> Result<Option<Current>, Error> {
        let Some(token) = token else { return Ok(None) };
        let hash = token_hash(&token);
        let now = self.core.now();
        let Some(session) = self.core.store().session(&hash, now).await? else {
            return Ok(None);
        };
        if session.device.is_empty() || now - session.last_seen_at >= SEEN_EVERY {
            let device = crate::device::label(user_agent);
            if let Err(e) = self.core.store().touch_session(&hash, now, &device).await {
                log::warn!("passkeys: a session's last-seen time was not written: {e}");
            }
        }
        Ok(Some((session, hash)))
    }

    /// The account's live sessions, most recently seen first.
    pub async fn list(&self, handle: Uuid) -> Result<Vec<SessionListing>, Error> {
        Ok(self
            .core
            .store()
            .sessions_of(handle, self.core.now())
            .await?)
    }

    /// Ends one session of the signed-in account, by its public id: the caller's own
    /// (a sign-out), or, after a recent sign-in, another. `not_found` for an id the
    /// account has no live session under (another account's too).
    pub async fn end_one(&self, (session, _): &Current, id: &[u8; 16]) -> Result<(), Error> {
        if *id != session.id {
            self.require_recent(session)?;
        }
        let handle = session.user.handle;
        if !self.core.store().end_session(handle, id).await? {
            return Err(no_such_session());
        }
        let own = *id == session.id;
        measure::sessions_ended(if own { "sign_out" } else { "ended_by_user" }, 1);
        self.core.event(Event::SessionsEnded {
            user_id: session.user.user_id.clone(),
            count: 1,
            by: if own { "sign_out" } else { "user" },
        });
        Ok(())
    }

    /// Ends every session of the signed-in account but the caller's (after a recent
    /// sign-in); answers how many ended.
    pub async fn end_others(&self, (session, hash): &Current) -> Result<u64, Error> {
        self.require_recent(session)?;
        let ended = self
            .core
            .store()
            .end_sessions(session.user.handle, Some(hash))
            .await?;
        measure::sessions_ended("ended_by_user", ended);
        self.core.event(Event::SessionsEnded {
            user_id: session.user.user_id.clone(),
            count: ended,
            by: "user",
        });
        Ok(ended)
    }

    /// A new session row for `handle`, opened now: the token for the cookie, and the row
    /// for the transaction that opens it.
    pub fn start(
        &self,
        handle: Uuid,
        factors: u32,
        user_verified: bool,
        credential_id: Option<Vec<u8>>,
    ) -> ([u8; 32], NewSession) {
        let now = self.core.now();
        let token = new_token();
        let session = NewSession {
            token_hash: token_hash(&token),
            id: rand::random(),
            user_handle: handle,
            factors,
            user_verified,
            credential_id,
            created_at: now,
            expires_at: now + self.core.settings().session_ttl,
        };
        (token, session)
    }

    /// Opens a session of `user` signed in by the app with these factors, ending the
    /// session it `replaces`; answers the new token.
    pub async fn open(
        &self,
        user: &UserRecord,
        factors: u32,
        replaces: Option<[u8; 32]>,
    ) -> Result<[u8; 32], Error> {
        let (token, session) = self.start(user.handle, factors, false, None);
        self.core
            .store()
            .open_session(&session, replaces.as_ref())
            .await?;
        measure::session_opened(factors);
        Ok(token)
    }

    /// The app signed `account` in with these factors: its names and factors as they are
    /// now, and a new session ending the one it `replaces`. Answers the account as
    /// stored and the new token.
    pub async fn app_sign_in(
        &self,
        account: &UserRecord,
        factors: u32,
        replaces: Option<[u8; 32]>,
    ) -> Result<(UserRecord, [u8; 32]), Error> {
        let stored = self
            .core
            .store()
            .upsert_user(account, self.core.now())
            .await?;
        let token = self.open(&stored, factors, replaces).await?;
        Ok((stored, token))
    }

    /// Adds a factor the app checked to the session of `token` (a step up): a new
    /// session with both, under a new token; the old one ends. Answers the account, its
    /// factors now, and the new token; `unauthorized` without a live session.
    pub async fn step_up(
        &self,
        token: Option<[u8; 32]>,
        factor: Factor,
    ) -> Result<(UserRecord, u32, [u8; 32]), Error> {
        if factor == Factor::Passkey {
            return Err(Error::invalid(
                "A passkey factor comes from a passkey sign-in, not from the app.",
            ));
        }
        let token = token.ok_or_else(Error::unauthorized)?;
        let hash = token_hash(&token);
        let session = self
            .core
            .store()
            .session(&hash, self.core.now())
            .await?
            .ok_or_else(Error::unauthorized)?;
        let factors = session.factors | factor.bit();
        let token = self.open(&session.user, factors, Some(hash)).await?;
        Ok((session.user, factors, token))
    }

    /// Ends the session of `token`, if any.
    pub async fn end(&self, token: Option<[u8; 32]>) -> Result<(), Error> {
        if let Some(token) = token {
            self.core
                .store()
                .delete_session(&token_hash(&token))
                .await?;
            measure::sessions_ended("sign_out", 1);
        }
        Ok(())
    }

    /// The app changed how the account signs in: its names and factors as they are now,
    /// pending registrations void, and every session of the user but `keep` ended.
    pub async fn account_changed(
        &self,
        account: &UserRecord,
        keep: Option<[u8; 32]>,
    ) -> Result<(), Error> {
        let store = self.core.store();
        store.upsert_user(account, self.core.now()).await?;
        let ended = store
            .account_changed(&account.user_id, keep.as_ref())
            .await?;
        measure::sessions_ended("account_changed", ended);
        Ok(())
    }

    /// Forgets expired sessions.
    pub async fn forget_expired(&self) -> Result<(), Error> {
        let expired = self.core.store().purge_sessions(self.core.now()).await?;
        measure::sessions_ended("expired", expired);
        Ok(())
    }

    /// Whether the session's sign-in is at most `reauth_max_age` old.
    pub fn is_recent(&self, signed_in_at: i64) -> bool {
        self.core.now() - signed_in_at <= self.core.settings().reauth_max_age
    }

    /// `reauth_required` unless the session's sign-in is recent.
    pub fn require_recent(&self, session: &SessionRecord) -> Result<(), Error> {
        if self.is_recent(session.created_at) {
            Ok(())
        } else {
            Err(Error::reauth_required())
        }
    }
}
