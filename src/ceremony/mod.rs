//! The ceremonies: registration and sign-in, start and finish. No HTTP types here.
//!
//! webauthn-rs checks the cryptography (signature, challenge, origin, rp id hash, flags,
//! algorithm). This module owns the rest: the started ceremony that the browser carries
//! sealed ([`started`]), claimed once in the transaction of what its finish writes; the
//! structural checks the library leaves to us ([`checks`]); loading the credential by
//! user handle *and* credential id; and opening the session.

mod checks;
mod decoys;
pub(crate) use decoys::Decoys;
pub(crate) mod started;

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Credential, DiscoverableAuthentication, Passkey,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Uuid, Webauthn, WebauthnError,
};
use webauthn_rs_proto::{AllowCredentials, ResidentKeyRequirement};

use crate::accounts::{AccountError, Accounts, NewAccount};
use crate::clock::Clock;
use crate::config::CounterPolicy;
use crate::config::Settings;
use crate::error::{Error, ErrorCode, StoreError};
use crate::events::{Event, Events};
use crate::input;
use crate::providers::Providers;
use crate::session::{may_add_passkey, new_token, token_hash, CeremonyKind, Factor};
use crate::store::{
    CredentialRecord, CredentialUse, NewSession, Owner, SessionRecord, Store, UserRecord,
};
use checks::{aaguid_of, auth_data_of, check_auth_data_length, check_client_data, check_structure};
use started::{with_challenge, Purpose, Started, StateTemplate};

/// How many accounts decoys are modelled on.
const DECOY_SAMPLE: usize = 1024;

/// The longest credential id accepted (WebAuthn: ids above 1023 bytes SHOULD fail).
const MAX_CREDENTIAL_ID: usize = 1023;

/// The body of `register/start`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterStart {
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub next: Option<String>,
}

/// The body of `authenticate/start`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthenticateStart {
    pub username: Option<String>,
    pub next: Option<String>,
}

/// A finished ceremony that opened a session: the cookie token and where to go.
#[derive(Debug)]
pub(crate) struct SignedIn {
    pub token: Option<[u8; 32]>,
    pub redirect: String,
}

/// Everything the ceremonies need, built once at ignite.
pub(crate) struct Ceremonies {
    pub settings: Settings,
    pub webauthn: Webauthn,
    pub store: Arc<dyn Store>,
    pub accounts: Option<Arc<dyn Accounts>>,
    pub clock: Arc<dyn Clock>,
    pub events: Arc<dyn Events>,
    pub providers: Providers,
    /// The sign-in state webauthn-rs makes (the same for every sign-in but its
    /// challenge), filled with the sealed challenge at each finish.
    pub sign_in_state: StateTemplate,
    /// The usernameless sign-in options webauthn-rs makes, the same but for the challenge.
    pub sign_in_options: RequestChallengeResponse,
    /// The credential ids offered for names without passkeys.
    pub decoys: decoys::Decoys,
}

impl Ceremonies {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    fn next_or_default(&self, next: Option<&str>) -> Result<String, Error> {
        input::next_or(next, &self.settings.after_sign_in)
    }

    /// A ceremony started now with this challenge, for the browser to carry.
    fn started(&self, purpose: Purpose, challenge: &[u8], next: String) -> Result<Started, Error> {
        Ok(Started {
            purpose,
            challenge: Started::challenge_of(challenge)?,
            expires_at: self.now() + self.settings.ceremony_timeout,
            next,
        })
    }

    /// The started ceremony the browser sent, if it is of this kind and not expired; any
    /// other answer is `ceremony_not_found`.
    fn open(&self, started: Option<Started>, kind: CeremonyKind) -> Result<Started, Error> {
        match started {
            Some(started) if started.kind() == kind && started.expires_at > self.now() => {
                Ok(started)
            }
            _ => Err(Error::ceremony_not_found()),
        }
    }

    /// Starts a registration: a sign-up when `session` is none, else a passkey for the
    /// signed-in user. Returns the options for the browser and the state it carries.
    pub async fn register_start(
        &self,
        session: Option<(&SessionRecord, [u8; 32])>,
        body: RegisterStart,
    ) -> Result<(CreationChallengeResponse, Started), Error> {
        let next = self.next_or_default(body.next.as_deref())?;
        let (purpose, user, exclude) = match session {
            Some((session, hash)) => {
                if body.username.is_some() {
                    return Err(Error::invalid(
                        "You are signed in: sign out before creating another account.",
                    ));
                }
                let exclude = self.credential_ids(session.user.handle).await?;
                // A passkey signs in with two factors: only a session that holds every
                // factor the account has (or two) may add one.
                let may = may_add_passkey(
                    session.factors,
                    session.user_verified,
                    session.user.factors,
                    !exclude.is_empty(),
                );
                if !may {
                    return Err(Error::factor_required());
                }
                // Adding a passkey changes how the account signs in: it needs a recent
                // sign-in, so a session left open on a shared computer cannot do it.
                if self.now() - session.created_at > self.settings.reauth_max_age {
                    return Err(Error::reauth_required());
                }
                if exclude.len() >= self.settings.max_passkeys {
                    return Err(Error::too_many_passkeys(self.settings.max_passkeys));
                }
                let purpose = Purpose::Add {
                    handle: session.user.handle,
                    session: hash,
                    generation: self.store.generation(session.user.handle).await?,
                };
                (purpose, session.user.clone(), Some(exclude))
            }
            None => {
                if !self.settings.sign_up {
                    return Err(Error::new(
                        ErrorCode::Forbidden,
                        "Sign-up is closed on this site.",
                    ));
                }
                let username = input::name("username", body.username.as_deref())?
                    .ok_or_else(|| Error::invalid("Please choose a username."))?;
                let display_name = input::name("display_name", body.display_name.as_deref())?
                    .unwrap_or_else(|| username.clone());
                // Sign-up must say a name is taken; saying it before the person creates a
                // passkey on their device spares them an orphaned one.
                if self.store.user_by_username(&username).await?.is_some() {
                    return Err(Error::from(StoreError::Duplicate("username")));
                }
                let handle = Uuid::new_v4();
                let user = UserRecord {
                    handle,
                    user_id: handle.to_string(),
                    username,
                    display_name,
                    factors: 0,
                };
                let purpose = Purpose::SignUp {
                    handle,
                    username: user.username.clone(),
                    display_name: user.display_name.clone(),
                };
                (purpose, user, None)
            }
        };

        let (mut options, _) = self.registration(&user, exclude)?;
        // webauthn-rs asks for "discouraged"; passkeys are discoverable credentials.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            if self.settings.resident_key_required {
                selection.resident_key = Some(ResidentKeyRequirement::Required);
                selection.require_resident_key = true;
            } else {
                selection.resident_key = Some(ResidentKeyRequirement::Preferred);
                selection.require_resident_key = false;
            }
        }
        let started = self.started(purpose, &options.public_key.challenge, next)?;
        Ok((options, started))
    }

    /// Refuses (`factor_required`) a session that may not change the account's passkeys:
    /// adding, renaming, deleting one, or answering the invitation to create one needs
    /// every factor the account has (or two), as adding does; else a password alone
    /// could delete the owner's passkey and then add its own.
    pub async fn may_change_passkeys(&self, session: &SessionRecord) -> Result<(), Error> {
        let has_passkeys = !self
            .store
            .credentials(session.user.handle)
            .await?
            .is_empty();
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

    /// The ids of the account's passkeys, which a new one must not repeat.
    async fn credential_ids(&self, handle: Uuid) -> Result<Vec<Vec<u8>>, Error> {
        Ok(self
            .store
            .credentials(handle)
            .await?
            .into_iter()
            .map(|c| c.credential_id)
            .collect())
    }

    /// webauthn-rs's registration options and state for this user.
    fn registration(
        &self,
        user: &UserRecord,
        exclude: Option<Vec<Vec<u8>>>,
    ) -> Result<(CreationChallengeResponse, PasskeyRegistration), Error> {
        self.webauthn
            .start_passkey_registration(user.handle, &user.username, &user.display_name, exclude)
            .map_err(|e| {
                log::error!("passkeys: cannot start a registration: {e:?}");
                Error::internal()
            })
    }

    /// Finishes a registration. `session` is the caller's current session, if any.
    pub async fn register_finish(
        &self,
        started: Option<Started>,
        session: Option<(&SessionRecord, [u8; 32])>,
        body: serde_json::Value,
    ) -> Result<SignedIn, Error> {
        let started = self.open(started, CeremonyKind::Register)?;
        let claim = started.claim();
        let credential: RegisterPublicKeyCredential = serde_json::from_value(body)
            .map_err(|e| Error::invalid(format!("The registration response is malformed: {e}")))?;
        check_structure(&credential.id, &credential.raw_id, &credential.type_)?;
        check_client_data(
            &credential.response.client_data_json,
            &self.settings,
            "webauthn.create",
        )
        .map_err(|why| registration_failed(&why))?;
        let auth_data = auth_data_of(&credential.response.attestation_object)
            .ok_or_else(|| registration_failed("the attestation object does not parse"))?;
        check_auth_data_length(&auth_data).map_err(|why| registration_failed(&why))?;

        // Who the passkey is for, and the state webauthn-rs made at start, rebuilt: the
        // same user, the account's passkeys as they are now, the sealed challenge.
        let (mut user, exclude) = match &started.purpose {
            Purpose::SignUp {
                handle,
                username,
                display_name,
            } => {
                let user = UserRecord {
                    handle: *handle,
                    user_id: handle.to_string(),
                    username: username.clone(),
                    display_name: display_name.clone(),
                    factors: 0,
                };
                (user, None)
            }
            Purpose::Add {
                handle,
                session: started_by,
                ..
            } => {
                // Adding a passkey: the same live session must finish what it started.
                let user = match session {
                    Some((current, hash))
                        if current.user.handle == *handle && hash == *started_by =>
                    {
                        current.user.clone()
                    }
                    _ => return Err(Error::ceremony_not_found()),
                };
                let exclude = self.credential_ids(*handle).await?;
                (user, Some(exclude))
            }
            Purpose::Discoverable | Purpose::Account { .. } => {
                return Err(Error::ceremony_not_found())
            }
        };
        let signing_up = matches!(started.purpose, Purpose::SignUp { .. });
        let (_, fresh) = self.registration(&user, exclude)?;
        let state = with_challenge(&fresh, "rs", &started.challenge)?;
        let passkey = match self
            .webauthn
            .finish_passkey_registration(&credential, &state)
        {
            Ok(passkey) => passkey,
            Err(e) => {
                // webauthn-rs refuses an excluded (already registered) credential with this.
                let excluded = matches!(e, WebauthnError::CredentialAlteredAlgFromRequest)
                    && !signing_up
                    && self
                        .store
                        .credential(user.handle, &credential.raw_id)
                        .await?
                        .is_some();
                if excluded {
                    return Err(Error::from(StoreError::Duplicate("credential")));
                }
                log::info!("passkeys: registration refused: {e:?}");
                return Err(registration_failed(
                    "the authenticator's response did not verify",
                ));
            }
        };
        let credential_id = passkey.cred_id().to_vec();
        if credential_id.len() > MAX_CREDENTIAL_ID {
            return Err(registration_failed(
                "the credential id is longer than 1023 bytes",
            ));
        }
        let aaguid = aaguid_of(&auth_data);
        let inner = Credential::from(passkey.clone());
        let now = self.now();
        let transports = credential
            .response
            .transports
            .iter()
            .flatten()
            .filter_map(|t| match serde_json::to_value(t) {
                Ok(serde_json::Value::String(s)) if s != "unknown" => Some(s),
                _ => None,
            })
            .collect();
        let mut record = CredentialRecord {
            credential_id: credential_id.clone(),
            user_handle: user.handle,
            user_id: user.user_id.clone(),
            name: self.providers.name(aaguid).to_string(),
            aaguid,
            transports,
            backup_eligible: inner.backup_eligible,
            backup_state: inner.backup_state,
            counter: inner.counter,
            rp_id: self.settings.rp_id.clone(),
            created_at: now,
            last_used_at: None,
            passkey,
        };

        if let Purpose::Add {
            handle,
            session,
            generation,
        } = started.purpose
        {
            let owner = Owner::Existing {
                handle,
                session: &session,
                generation,
                now,
                max_passkeys: self.settings.max_passkeys,
            };
            self.store.add_credential(owner, &record, &claim).await?;
            self.events.event(&Event::PasskeyAdded {
                user_id: user.user_id.clone(),
                credential_id: URL_SAFE_NO_PAD.encode(&credential_id),
                name: record.name.clone(),
            });
            // Counting is secondary: the passkey is stored either way.
            let counted = crate::enrollment::passkey_added(
                &*self.store,
                &*self.events,
                (handle, user.user_id.as_str()),
                now,
            )
            .await;
            if let Err(e) = counted {
                log::warn!("passkeys: could not count an enrollment: {e}");
            }
            return Ok(SignedIn {
                token: None,
                redirect: started.next,
            });
        }

        // A sign-up: the app's account (if it owns users), the passkey and a session.
        if let Some(accounts) = &self.accounts {
            // A replayed finish must not make the app create (and then remove) an account;
            // the claim in the transaction below is what decides.
            if self.store.finished(&claim).await? {
                return Err(Error::ceremony_not_found());
            }
            let new = NewAccount {
                username: &user.username,
                display_name: &user.display_name,
            };
            user.user_id = accounts.create(&new).await.map_err(|e| match e {
                AccountError::UsernameTaken => Error::from(StoreError::Duplicate("username")),
                AccountError::Failed(why) => {
                    log::error!("passkeys: the app could not create an account: {why}");
                    Error::unavailable()
                }
            })?;
        }
        record.user_id.clone_from(&user.user_id);
        let token = new_token();
        let session = self.new_session(&token, user.handle, true, credential_id);
        let owner = Owner::New {
            user: &user,
            session: &session,
        };
        if let Err(e) = self.store.add_credential(owner, &record, &claim).await {
            if let Some(accounts) = &self.accounts {
                if let Err(undo) = accounts.remove(&user.user_id).await {
                    log::error!("passkeys: could not undo an app account: {undo}");
                }
            }
            return Err(e.into());
        }
        self.events.event(&Event::SignedUp {
            user_id: user.user_id.clone(),
        });
        self.events.event(&Event::PasskeyAdded {
            user_id: user.user_id.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(&record.credential_id),
            name: record.name.clone(),
        });
        Ok(SignedIn {
            token: Some(token),
            redirect: started.next,
        })
    }

    fn new_session(
        &self,
        token: &[u8; 32],
        handle: Uuid,
        user_verified: bool,
        credential_id: Vec<u8>,
    ) -> NewSession {
        let now = self.now();
        NewSession {
            token_hash: token_hash(token),
            user_handle: handle,
            factors: Factor::Passkey.bit(),
            user_verified,
            credential_id: Some(credential_id),
            created_at: now,
            expires_at: now + self.settings.session_ttl,
        }
    }

    /// The options and state webauthn-rs makes for a usernameless sign-in, as templates
    /// (see [`Ceremonies::sign_in_state`]).
    pub fn sign_in_templates(
        webauthn: &Webauthn,
    ) -> Result<(RequestChallengeResponse, StateTemplate), String> {
        let (options, state) = webauthn
            .start_discoverable_authentication()
            .map_err(|e| format!("{e:?}"))?;
        Ok((options, StateTemplate::new(&state, "ast")?))
    }

    /// webauthn-rs's usernameless sign-in options, with a new random challenge (32 bytes
    /// from the thread's CSPRNG, as webauthn-rs draws them).
    fn discoverable(&self) -> RequestChallengeResponse {
        let mut options = self.sign_in_options.clone();
        options.public_key.challenge = rand::random::<[u8; 32]>().to_vec();
        options
    }

    /// Starts a sign-in: usernameless (autofill or button) or username-first.
    pub async fn authenticate_start(
        &self,
        body: AuthenticateStart,
    ) -> Result<(RequestChallengeResponse, Started), Error> {
        let next = self.next_or_default(body.next.as_deref())?;
        let Some(username) = input::name("username", body.username.as_deref())? else {
            let options = self.discoverable();
            let started =
                self.started(Purpose::Discoverable, &options.public_key.challenge, next)?;
            return Ok((options, started));
        };

        // The same reads, and options of the same fields, for every name: an account's
        // passkeys (none for an unknown name: the nil account has none).
        let user = self.store.user_by_username(&username).await?;
        let handle = user.as_ref().map_or(Uuid::nil(), |u| u.handle);
        let credentials = self.store.credentials(handle).await?;
        let (options, handle) = if credentials.is_empty() {
            // A name without passkeys: options of the same shape, a sign-in that fails.
            (self.decoy_options(&username), Uuid::nil())
        } else {
            let mut options = self.discoverable();
            options.mediation = None;
            options.public_key.extensions = None;
            options.public_key.allow_credentials = credentials
                .into_iter()
                .map(|c| AllowCredentials {
                    type_: "public-key".into(),
                    id: c.credential_id,
                    transports: None,
                })
                .collect();
            (options, handle)
        };
        let purpose = Purpose::Account { handle };
        let started = self.started(purpose, &options.public_key.challenge, next)?;
        Ok((options, started))
    }

    /// Options for a username without passkeys with the same fields as a real account's
    /// and decoy credential ids ([`decoys`]).
    fn decoy_options(&self, username: &str) -> RequestChallengeResponse {
        let mut options = self.discoverable();
        options.mediation = None;
        options.public_key.extensions = None;
        options.public_key.allow_credentials = self
            .decoys
            .ids(&input::username_key(username))
            .into_iter()
            .map(|id| AllowCredentials {
                type_: "public-key".into(),
                id,
                transports: None,
            })
            .collect();
        options
    }

    /// Takes a new sample of the accounts decoys imitate.
    pub async fn refresh_decoys(&self) -> Result<(), StoreError> {
        let accounts = self.store.passkey_shapes(DECOY_SAMPLE).await?;
        self.decoys.refresh(accounts);
        Ok(())
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
        let credential: PublicKeyCredential = serde_json::from_value(body)
            .map_err(|e| Error::invalid(format!("The sign-in response is malformed: {e}")))?;
        check_structure(&credential.id, &credential.raw_id, &credential.type_)?;
        if let Err(why) = check_client_data(
            &credential.response.client_data_json,
            &self.settings,
            "webauthn.get",
        )
        .and_then(|()| check_auth_data_length(&credential.response.authenticator_data))
        {
            return Err(self.refused(None, &why));
        }

        // One state for both styles: usernameless, with the sealed challenge. Neither
        // lets a sign-in raise a passkey's backup eligibility.
        let state: DiscoverableAuthentication = self.sign_in_state.fill(&started.challenge)?;
        let stored = match started.purpose {
            Purpose::Discoverable => {
                let (handle, credential_id) = self
                    .webauthn
                    .identify_discoverable_authentication(&credential)
                    .map_err(|e| self.refused(None, &format!("{e:?}")))?;
                // The user handle is not signed: the credential must belong to it.
                let Some(stored) = self.store.credential(handle, credential_id).await? else {
                    let e = self.refused(None, "a credential this site does not know");
                    return Err(e.unknown_credential());
                };
                stored
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
                let Some(stored) = self.store.credential(handle, &credential.raw_id).await? else {
                    return Err(self.refused(None, "not a passkey of this account"));
                };
                stored
            }
            Purpose::SignUp { .. } | Purpose::Add { .. } => return Err(Error::ceremony_not_found()),
        };
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
        if counts && result.counter() <= stored.counter && self.store.finished(&claim).await? {
            return Err(Error::ceremony_not_found());
        }
        let must_exceed = self.check_counter(&stored, result.counter(), result.backup_state())?;

        let token = new_token();
        let credential_id = result.cred_id().to_vec();
        let used = CredentialUse {
            credential_id: credential_id.clone(),
            user_handle: stored.user_handle,
            counter: result.counter(),
            must_exceed,
            backup_state: result.backup_state(),
            used_at: self.now(),
        };
        let session = self.new_session(&token, stored.user_handle, true, credential_id);
        // Written only if the ceremony was not finished before, the credential still
        // exists (it may have been deleted) and, where the counter had to go up, it still
        // does against what concurrent sign-ins wrote.
        let recorded = match self
            .store
            .record_sign_in(&used, &session, replaces.as_ref(), &claim)
            .await
        {
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
        self.events.event(&Event::PasskeyUsed {
            user_id: stored.user_id.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(&stored.credential_id),
        });
        Ok(SignedIn {
            token: Some(token),
            redirect: started.next,
        })
    }

    /// The one answer to every failed sign-in; the reason goes to the event only.
    fn refused(&self, user_id: Option<&str>, reason: &str) -> Error {
        self.events.event(&Event::SignInFailed {
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
        let counts = received > 0 || stored.counter > 0;
        let regressed = counts && received <= stored.counter;
        if !regressed {
            return Ok(counts && self.settings.counter_policy != CounterPolicy::Warn);
        }
        let allowed = match self.settings.counter_policy {
            CounterPolicy::Strict => false,
            // Sync providers report 0; a synced passkey that does is not a clone signal.
            // Only for a passkey that was backup-eligible before: a device-bound key cannot
            // buy the exemption by claiming to be synced now.
            CounterPolicy::Synced => received == 0 && backed_up && stored.backup_eligible,
            CounterPolicy::Warn => true,
        };
        if !(allowed && self.settings.counter_policy == CounterPolicy::Synced) {
            self.suspected_clone(stored, received, allowed);
        }
        if allowed {
            Ok(false)
        } else {
            Err(self.refused(Some(&stored.user_id), "the signature counter did not go up"))
        }
    }

    fn suspected_clone(&self, stored: &CredentialRecord, received: u32, allowed: bool) {
        self.events.event(&Event::SuspectedClone {
            user_id: stored.user_id.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(&stored.credential_id),
            stored: stored.counter,
            received,
            allowed,
        });
    }
}

/// The passkey as webauthn-rs should see it: without its counter, which
/// [`Ceremonies::check_counter`] judges by the configured policy.
fn without_counter(passkey: &Passkey) -> Credential {
    let mut credential = Credential::from(passkey.clone());
    credential.counter = 0;
    credential
}

fn registration_failed(why: &str) -> Error {
    log::info!("passkeys: registration refused: {why}");
    Error::new(
        ErrorCode::RegistrationFailed,
        "The passkey could not be created. Please try again.",
    )
}
