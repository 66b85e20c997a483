//! What an operator may do to any account, through the app's own admin pages: list its
//! passkeys and sessions, revoke a passkey (the last one too, when asked), end its
//! sessions. Every change goes through the store (and its cache) and emits an event.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::base::Core;
use crate::error::{Error, ErrorCode};
use crate::events::Event;
use crate::measure;
use crate::store::{CredentialRecord, Deleted, Deletion, SessionListing, UserRecord};

#[derive(Debug)]
pub(crate) struct Admin {
    core: Arc<Core>,
}

fn no_account() -> Error {
    Error::new(ErrorCode::NotFound, "No passkey account has this user id.")
}

impl Admin {
    pub fn new(core: Arc<Core>) -> Self {
        Admin { core }
    }

    /// The passkey account of an app user id; `not_found` without one.
    pub async fn account(&self, user_id: &str) -> Result<UserRecord, Error> {
        self.core
            .store()
            .user_by_id(user_id)
            .await?
            .ok_or_else(no_account)
    }

    pub async fn passkeys(&self, user_id: &str) -> Result<Vec<CredentialRecord>, Error> {
        let account = self.account(user_id).await?;
        Ok(self.core.store().credentials(account.handle).await?)
    }

    pub async fn sessions(&self, user_id: &str) -> Result<Vec<SessionListing>, Error> {
        let account = self.account(user_id).await?;
        Ok(self
            .core
            .store()
            .sessions_of(account.handle, self.core.now())
            .await?)
    }

    /// Deletes a passkey and ends the sessions it opened. The account's last way to sign
    /// in only with `allow_last` (else `last_passkey`).
    pub async fn revoke_passkey(
        &self,
        user_id: &str,
        credential_id: &[u8],
        allow_last: bool,
    ) -> Result<(), Error> {
        let account = self.account(user_id).await?;
        let how = Deletion {
            revoke: true,
            keep: None,
            allow_last,
        };
        match self
            .core
            .store()
            .delete_credential(account.handle, credential_id, how)
            .await?
        {
            Deleted::Done(ended) => measure::sessions_ended("ended_by_admin", ended),
            Deleted::NotFound => {
                return Err(Error::new(
                    ErrorCode::NotFound,
                    "This account has no passkey with this id.",
                ))
            }
            Deleted::LastPasskey => {
                return Err(Error::new(
                    ErrorCode::LastPasskey,
                    "This is the account's only way to sign in; revoke it with `allow_last` \
                     to leave the account without one.",
                ))
            }
        }
        self.core.event(Event::PasskeyRevoked {
            user_id: account.user_id,
            credential_id: URL_SAFE_NO_PAD.encode(credential_id),
        });
        Ok(())
    }

    /// Ends one session of the account, by its public id.
    pub async fn end_session(&self, user_id: &str, id: &[u8; 16]) -> Result<(), Error> {
        let account = self.account(user_id).await?;
        if !self.core.store().end_session(account.handle, id).await? {
            return Err(Error::new(
                ErrorCode::NotFound,
                "This account has no session with this id.",
            ));
        }
        measure::sessions_ended("ended_by_admin", 1);
        self.core.event(Event::SessionsEnded {
            user_id: account.user_id,
            count: 1,
            by: "admin",
        });
        Ok(())
    }

    /// Ends every session of the account; answers how many.
    pub async fn end_sessions(&self, user_id: &str) -> Result<u64, Error> {
        let account = self.account(user_id).await?;
        let ended = self.core.store().end_sessions(account.handle, None).await?;
        measure::sessions_ended("ended_by_admin", ended);
        self.core.event(Event::SessionsEnded {
            user_id: account.user_id,
            count: ended,
            by: "admin",
        });
        Ok(ended)
    }
}
