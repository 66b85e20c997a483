//! Managing an account's passkeys: who may change them, listing, renaming, deleting,
//! and removing what a compromise planted.

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use webauthn_rs::prelude::Uuid;

use crate::base::Core;
use crate::error::{Error, ErrorCode};
use crate::events::Event;
use crate::factor::{may_add_passkey, may_change_account};
use crate::input::Name;
use crate::providers::Providers;
use crate::service::sessions::{Current, Sessions};
use crate::store::{CredentialRecord, Deleted, Deletion, SessionRecord};

#[derive(Debug)]
pub(crate) struct Management {
    core: Arc<Core>,
    sessions: Arc<Sessions>,
    providers: Providers,
}

/// A passkey of the signed-in account that is not there (or is another account's): the
/// same answer either way, so ids cannot be probed.
fn not_found() -> Error {
    Error::say(ErrorCode::NotFound, "error-passkey-not-found")
}

impl Management {
    pub fn new(core: Arc<Core>, sessions: Arc<Sessions>, providers: Providers) -> Self {
        Management {
            core,
            sessions,
            providers,
        }
    }

    /// The provider's name for a passkey's AAGUID ("Passkey" when unknown).
    pub fn provider(&self, aaguid: Option<Uuid>) -> &str {
        self.providers.name(aaguid)
    }

    /// Refuses (`factor_required`) a session that may not change the account's passkeys:
    /// adding, renaming, deleting one, or answering the invitation to create one needs
    /// every factor the account has (or two); else a password alone could delete the
    /// owner's passkey and then add its own.
    pub async fn may_change(&self, session: &SessionRecord) -> Result<(), Error> {
        let has_passkeys = !self.list(session.user.handle).await?.is_empty();
        if Self::allows(session, has_passkeys) {
            Ok(())
        } else {
            Err(Error::factor_required())
        }
    }

    /// [`Management::may_change`], for a caller that has read the account's passkeys.
    pub fn allows(session: &SessionRecord, has_passkeys: bool) -> bool {
        may_change_account(
            session.factors,
            session.user_verified,
            session.user.factors,
            has_passkeys,
        )
    }

    /// Refuses (`factor_required`) a session that may not add a passkey: the rule of
    /// [`Management::may_change`], or a recovery code of a passkey-only account.
    pub async fn may_add(&self, session: &SessionRecord) -> Result<(), Error> {
        let has_passkeys = !self.list(session.user.handle).await?.is_empty();
        let may = may_add_passkey(
            session.factors,
            session.user_verified,
            session.user.factors,
            has_passkeys,
        );
        if may {
            Ok(())
        } else {
            Err(Error::factor_required())
        }
    }

    /// The account's passkeys, oldest first.
    pub async fn list(&self, handle: Uuid) -> Result<Vec<CredentialRecord>, Error> {
        Ok(self.core.store().credentials(handle).await?)
    }

    /// Renames a passkey of the signed-in account; answers it as it is now.
    pub async fn rename(
        &self,
        session: &SessionRecord,
        credential_id: &[u8],
        name: Option<&str>,
    ) -> Result<CredentialRecord, Error> {
        let name = Name::parse("name", name)?
            .ok_or_else(|| Error::say(ErrorCode::InvalidRequest, "error-passkey-name-missing"))?
            .into_string();
        self.may_change(session).await?;
        let handle = session.user.handle;
        let store = self.core.store();
        if !store
            .rename_credential(handle, credential_id, &name)
            .await?
        {
            return Err(not_found());
        }
        self.core.event(Event::PasskeyRenamed {
            user_id: session.user.user_id.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(credential_id),
            name,
        });
        store
            .credential(handle, credential_id)
            .await?
            .ok_or_else(not_found)
    }

    /// Deletes a passkey of the signed-in account (never its last way to sign in), and,
    /// when configured, the other sessions it opened. Answers the ids that remain.
    pub async fn delete(
        &self,
        (session, hash): &Current,
        credential_id: &[u8],
    ) -> Result<Vec<Vec<u8>>, Error> {
        self.may_change(session).await?;
        self.sessions.require_recent(session)?;
        let handle = session.user.handle;
        let how = Deletion {
            revoke: self.core.settings().revoke_sessions_on_delete,
            keep: Some(hash),
            allow_last: false,
        };
        let deleted = self
            .core
            .store()
            .delete_credential(handle, credential_id, how)
            .await?;
        match deleted {
            Deleted::Done(ended) => crate::measure::sessions_ended("passkey_deleted", ended),
            Deleted::NotFound => return Err(not_found()),
            Deleted::LastPasskey => return Err(Error::coded(ErrorCode::LastPasskey)),
        }
        self.core.event(Event::PasskeyRemoved {
            user_id: session.user.user_id.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(credential_id),
        });
        Ok(self
            .list(handle)
            .await?
            .into_iter()
            .map(|c| c.credential_id)
            .collect())
    }

    /// Removes every passkey the app user added after `after` (seconds), with the
    /// sessions they opened; one event each. Answers how many.
    pub async fn remove_added_after(&self, user_id: &str, after: i64) -> Result<usize, Error> {
        let removed = self
            .core
            .store()
            .delete_credentials_added_after(user_id, after)
            .await?;
        for credential_id in &removed {
            self.core.event(Event::PasskeyRemoved {
                user_id: user_id.to_string(),
                credential_id: URL_SAFE_NO_PAD.encode(credential_id),
            });
        }
        Ok(removed.len())
    }
}
