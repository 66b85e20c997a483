//! The ceremonies: registration and sign-in, start and finish. No HTTP types here.
//!
//! webauthn-rs checks the cryptography (signature, challenge, origin, rp id hash, flags,
//! algorithm). This service owns the rest: the started ceremony that the browser carries
//! sealed ([`started`]), claimed once in the transaction of what its finish writes; the
//! structural checks the library leaves to us ([`checks`]); loading the credential by
//! user handle *and* credential id; the decoys of names without passkeys ([`decoys`]);
//! and opening the session. Registration is in [`registration`], sign-in in [`sign_in`].

mod checks;
pub(crate) mod conditional;
mod decoys;
mod registration;
mod sign_in;
pub(crate) mod started;

use std::sync::Arc;

use serde::Deserialize;
use webauthn_rs::prelude::{RequestChallengeResponse, Webauthn};

use crate::accounts::Accounts;
use crate::base::Core;
use crate::error::Error;
use crate::input::Next;
use crate::service::enrollment::Enrollment;
use crate::service::management::Management;
use crate::service::recovery::Recovery;
use crate::service::sessions::Sessions;
use decoys::Decoys;
use started::{Purpose, Started, StateTemplate};

pub(crate) use started::CeremonyKind;

/// The body of `register/start`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterStart {
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub next: Option<String>,
    /// `conditional` for an automatic passkey upgrade (`auto_upgrade`), signed in only.
    pub mediation: Option<String>,
}

/// The body of `authenticate/start`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthenticateStart {
    pub username: Option<String>,
    pub next: Option<String>,
}

/// A finished ceremony: the new session's token (none when a signed-in user added a
/// passkey) and where to go.
#[derive(Debug)]
pub(crate) struct SignedIn {
    pub token: Option<[u8; 32]>,
    pub redirect: String,
    /// A new account's recovery codes (`recovery_codes`), shown once.
    pub recovery_codes: Option<Vec<String>>,
}

/// The other services a ceremony uses.
#[derive(Debug)]
pub(crate) struct Services {
    pub sessions: Arc<Sessions>,
    pub management: Arc<Management>,
    pub enrollment: Arc<Enrollment>,
    pub recovery: Arc<Recovery>,
}

/// Registration and sign-in, built once at ignite.
pub(crate) struct Ceremonies {
    core: Arc<Core>,
    services: Services,
    webauthn: Webauthn,
    accounts: Option<Arc<dyn Accounts>>,
    /// The sign-in state webauthn-rs makes (the same for every sign-in but its
    /// challenge), filled with the sealed challenge at each finish.
    sign_in_state: StateTemplate,
    /// The usernameless sign-in options webauthn-rs makes, the same but for the challenge.
    sign_in_options: RequestChallengeResponse,
    /// The credential ids offered for names without passkeys.
    decoys: Decoys,
}

impl std::fmt::Debug for Ceremonies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ceremonies")
            .field("decoys", &self.decoys)
            .finish_non_exhaustive()
    }
}

impl Ceremonies {
    /// The ceremonies over `webauthn`; the secret keys the decoys.
    pub fn new(
        core: Arc<Core>,
        services: Services,
        webauthn: Webauthn,
        accounts: Option<Arc<dyn Accounts>>,
        secret: [u8; 32],
    ) -> Result<Self, String> {
        let (sign_in_options, state) = webauthn
            .start_discoverable_authentication()
            .map_err(|e| format!("cannot prepare webauthn-rs's sign-in state: {e:?}"))?;
        let sign_in_state = StateTemplate::new(&state, "ast")
            .map_err(|e| format!("cannot prepare webauthn-rs's sign-in state: {e}"))?;
        Ok(Ceremonies {
            core,
            services,
            webauthn,
            accounts,
            sign_in_state,
            sign_in_options,
            decoys: Decoys::new(secret),
        })
    }

    /// `next` from a start's body, or the configured place after a sign-in.
    fn next(&self, next: Option<&str>) -> Result<Next, Error> {
        Next::or(next, &self.core.settings().after_sign_in)
    }

    /// A ceremony started now with this challenge, for the browser to carry.
    fn started(&self, purpose: Purpose, challenge: &[u8], next: Next) -> Result<Started, Error> {
        Ok(Started {
            purpose,
            challenge: Started::challenge_of(challenge)?,
            expires_at: self.core.now() + self.core.settings().ceremony_timeout,
            next: next.into_string(),
        })
    }

    /// The started ceremony the browser sent, if it is of this kind and not expired; any
    /// other answer is `ceremony_not_found`.
    fn open(&self, started: Option<Started>, kind: CeremonyKind) -> Result<Started, Error> {
        match started {
            Some(started) if started.kind() == kind && started.expires_at > self.core.now() => {
                Ok(started)
            }
            _ => Err(Error::ceremony_not_found()),
        }
    }

    /// Forgets finished ceremonies a minute after they expire (for instances whose clocks
    /// disagree by less than that), and expired sessions.
    pub async fn forget_expired(&self) -> Result<(), Error> {
        let now = self.core.now();
        let store = self.core.store();
        store
            .purge_finished(now - crate::store::CLAIM_SLACK)
            .await?;
        self.services.sessions.forget_expired().await
    }

    /// Takes a new sample of the accounts decoys imitate.
    pub async fn refresh_decoys(&self) -> Result<(), Error> {
        let accounts = self.core.store().passkey_shapes(decoys::SAMPLE).await?;
        self.decoys.refresh(accounts);
        Ok(())
    }
}
