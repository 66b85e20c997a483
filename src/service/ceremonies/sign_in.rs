//! Sign-in: usernameless (autofill or a button) or username-first, and the counter
//! policy.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use webauthn_rs::prelude::{
    Credential, DiscoverableAuthentication, Passkey, PublicKeyCredential, RequestChallengeResponse,
    Uuid,
};
use webauthn_rs_proto::AllowCredentials;

use super::checks::{check_auth_data_length, check_client_data, check_structure};
use super::started::{CeremonyKind, Purpose, Started};
use super::{AuthenticateStart, Ceremonies, SignedIn};
use crate::config::CounterPolicy;
use crate::error::{Error, StoreError};
use crate::events::Event;
use crate::factor::Factor;
use crate::input::{username_key, Name};
use crate::store::{CredentialRecord, CredentialUse};

/// The passkey as webauthn-rs should see it: without its counter, which
/// [`Ceremonies::check_counter`] judges by the configured policy.
fn without_counter(passkey: &Passkey) -> Credential {
    let mut credential = Credential::from(passkey.clone());
    credential.counter = 0;
    credential
}

/// Options listing these credential ids, with the fields of a username-first sign-in.
fn listing(mut options: RequestChallengeResponse, ids: Vec<Vec<u8>>) -> RequestChallengeResponse {
    options.mediation = None;
    options.public_key.extensions = None;
    options.public_key.allow_credentials = ids
        .into_iter()
        .map(|id| AllowCredentials {
            type_: "public-key".into(),
            id,
            transports: None,
        })
        .collect();
    options
}

impl Ceremonies {
    /// webauthn-rs's usernameless sign-in options, with a new random challenge (32 bytes
    /// from the thread's CSPRNG, as webauthn-rs draws them).
    fn discoverable(&self) -> RequestChallengeResponse {
        let mut options = self.sign_in_options.clone();
        options.public_key.challenge = rand::random::<[u8; 32]>().to_vec();
        let hints = &self.core.settings().hints_authenticate;
        options.public_key.hints = (!hints.is_empty()).then(|| hints.clone());
        options
    }

    /// Starts a sign-in: usernameless (autofill or button) or username-first.
    pub async fn authenticate_start(
        &self,
        body: AuthenticateStart,
    ) -> Result<(RequestChallengeResponse, Started), Error> {
        let next = self.next(body.next.as_deref())?;
        let Some(username) = Name::parse("username", body.username.as_deref())? else {
            let options = self.discoverable();
            let started =
                self.started(Purpose::Discoverable, &options.public_key.challenge, next)?;
            return Ok((options, started));
        };
        let username = username.into_string();
        // The same reads, and options of the same fields, for every name: an account's
        // passkeys (none for an unknown name: the nil account has none).
        let store = self.core.store();
        let user = store.user_by_username(&username).await?;
        let handle = user.as_ref().map_or(Uuid::nil(), |u| u.handle);
        let credentials = store.credentials(handle).await?;
        let (ids, handle) = if credentials.is_empty() {
            // A name without passkeys: a decoy of the same shape, a sign-in that fails.
            (self.decoys.ids(&username_key(&username)), Uuid::nil())
        } else {
            let ids = credentials.into_iter().map(|c| c.credential_id).collect();
            (ids, handle)
        };
        let options = listing(self.discoverable(), ids);
        let purpose = Purpose::Account { handle };
        let started = self.started(purpose, &options.public_key.challenge, next)?;
        Ok((options, started))
    }

    /// Finishes a sign-in and opens a session, ending the one it `replaces` (the hash of
    /// the token the browser held, if any) in the same transaction.
    pub async fn authenticate_finish(
        &self,
        started: Option<Started>,
        replaces: Option<[u8; 32]>,
        body: serde_json::Value,
    ) -> Result<SignedIn, Error> {
        let started = self.open(started, CeremonyKind::Authenticate)?;
        // The browser says whether the passkey came from another device (a phone, over
        // hybrid transport). Unsigned, and used only to offer a passkey on this device.
        let cross_device =
            body.get("authenticatorAttachment").and_then(|a| a.as_str()) == Some("cross-platform");
        let credential: PublicKeyCredential = serde_json::from_value(body)
            .map_err(|e| Error::invalid(format!("The sign-in response is malformed: {e}")))?;
        check_structure(&credential.id, &credential.raw_id, &credential.type_)?;
        if let Err(why) = check_client_data(
            &credential.response.client_data_json,
            self.core.settings(),
            "webauthn.get",
        )
        .and_then(|()| check_auth_data_length(&credential.response.authenticator_data))
        {
            return Err(self.refused(None, &why));
        }
        let stored = self.signer(&started.purpose, &credential).await?;
        // One state for both styles: usernameless, with the sealed challenge. Neither
        // lets a sign-in raise a passkey's backup eligibility.
        let state: DiscoverableAuthentication = self.sign_in_state.fill(&started.challenge)?;
        let result = self
            .webauthn
            .finish_discoverable_authentication_v2(
                &credential,
                state,
                without_counter(&stored.passkey),
            )
            .map_err(|e| self.refused(Some(&stored.user_id), &format!("{e:?}")))?;
        if !result.user_verified() {
            return Err(self.refused(Some(&stored.user_id), "the user was not verified"));
        }
        // A finish sent again (a retry, a double submit) reuses a counter the first one
        // stored: that is a replay, not a cloned key, and answers as one.
        let claim = started.claim();
        let counts = result.counter() > 0 || stored.counter > 0;
        let store = self.core.store();
        if counts && result.counter() <= stored.counter && store.finished(&claim).await? {
            return Err(Error::ceremony_not_found());
        }
        let must_exceed = self.check_counter(&stored, result.counter(), result.backup_state())?;
        let credential_id = result.cred_id().to_vec();
        let used = CredentialUse {
            credential_id: credential_id.clone(),
            user_handle: stored.user_handle,
            counter: result.counter(),
            must_exceed,
            backup_state: result.backup_state(),
            used_at: self.core.now(),
        };
        let (token, session) = self.services.sessions.start(
            stored.user_handle,
            Factor::Passkey.bit(),
            true,
            Some(credential_id),
        );
        // Written only if the ceremony was not finished before, the credential still
        // exists (it may have been deleted) and, where the counter had to go up, it still
        // does against what concurrent sign-ins wrote.
        let recorded = match store
            .record_sign_in(&used, &session, replaces.as_ref(), &claim)
            .await
        {
            // A copy of this very finish is `Replayed`, never `Regressed` (the store's
            // contract): this is another sign-in with the passkey.
            Err(StoreError::Regressed) => {
                self.suspected_clone(&stored, result.counter(), false);
                let why = "a concurrent sign-in with this passkey used this counter";
                return Err(self.refused(Some(&stored.user_id), why));
            }
            other => other?,
        };
        if !recorded {
            let why = "the credential was deleted during the sign-in";
            return Err(self.refused(Some(&stored.user_id), why));
        }
        self.core.event(Event::PasskeyUsed {
            user_id: stored.user_id.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(&stored.credential_id),
        });
        let redirect = if cross_device {
            let who = (stored.user_handle, stored.user_id.as_str());
            self.services
                .enrollment
                .after_cross_device_sign_in(who, started.next)
                .await
        } else {
            started.next
        };
        Ok(SignedIn {
            token: Some(token),
            redirect,
            recovery_codes: None,
        })
    }

    /// The stored passkey that signed: found by user handle *and* credential id (the
    /// user handle is not signed), and for a username-first sign-in, one of that
    /// account's.
    async fn signer(
        &self,
        purpose: &Purpose,
        credential: &PublicKeyCredential,
    ) -> Result<CredentialRecord, Error> {
        let store = self.core.store();
        match purpose {
            Purpose::Discoverable => {
                let (handle, credential_id) = self
                    .webauthn
                    .identify_discoverable_authentication(credential)
                    .map_err(|e| self.refused(None, &format!("{e:?}")))?;
                match store.credential(handle, credential_id).await? {
                    Some(stored) => Ok(stored),
                    None => {
                        let e = self.refused(None, "a credential this site does not know");
                        Err(e.unknown_credential())
                    }
                }
            }
            Purpose::Account { handle } => {
                if handle.is_nil() {
                    return Err(self.refused(None, "a username without passkeys"));
                }
                if let Some(user_handle) = credential.get_user_unique_id() {
                    if user_handle != handle.as_bytes() {
                        return Err(self.refused(None, "the user handle is another account's"));
                    }
                }
                // Read at finish: the passkey may have been deleted since the start.
                store
                    .credential(*handle, &credential.raw_id)
                    .await?
                    .ok_or_else(|| self.refused(None, "not a passkey of this account"))
            }
            Purpose::SignUp { .. } | Purpose::Add { .. } => Err(Error::ceremony_not_found()),
        }
    }

    /// The one answer to every failed sign-in; the reason goes to the event only.
    fn refused(&self, user_id: Option<&str>, reason: &str) -> Error {
        self.core.event(Event::SignInFailed {
            user_id: user_id.map(str::to_string),
            reason: reason.to_string(),
        });
        Error::authentication_failed()
    }

    /// Applies `counter_policy` to a counter that did not go up (webauthn-rs is given
    /// the credential without its counter, so this is the one place that decides).
    /// Answers whether the write must still find the counter below the received one: a
    /// counter that went up against this read must also go up against what concurrent
    /// sign-ins with the passkey wrote meanwhile, or two sign-ins with equal counters
    /// (a cloned key) would both pass.
    fn check_counter(
        &self,
        stored: &CredentialRecord,
        received: u32,
        backed_up: bool,
    ) -> Result<bool, Error> {
        let policy = self.core.settings().counter_policy;
        let counts = received > 0 || stored.counter > 0;
        let regressed = counts && received <= stored.counter;
        if !regressed {
            return Ok(counts && policy != CounterPolicy::Warn);
        }
        let allowed = match policy {
            CounterPolicy::Strict => false,
            // Sync providers report 0; a synced passkey that does is not a clone signal.
            // Only for a passkey that was backup-eligible before: a device-bound key cannot
            // buy the exemption by claiming to be synced now.
            CounterPolicy::Synced => received == 0 && backed_up && stored.backup_eligible,
            CounterPolicy::Warn => true,
        };
        if !(allowed && policy == CounterPolicy::Synced) {
            self.suspected_clone(stored, received, allowed);
        }
        if allowed {
            Ok(false)
        } else {
            Err(self.refused(Some(&stored.user_id), "the signature counter did not go up"))
        }
    }

    fn suspected_clone(&self, stored: &CredentialRecord, received: u32, allowed: bool) {
        self.core.event(Event::SuspectedClone {
            user_id: stored.user_id.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(&stored.credential_id),
            stored: stored.counter,
            received,
            allowed,
        });
    }
}
