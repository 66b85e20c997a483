//! Registration: a sign-up (a new account with its first passkey), or a passkey added
//! by a signed-in user.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Credential, Passkey, PasskeyRegistration,
    RegisterPublicKeyCredential, Uuid, WebauthnError,
};
use webauthn_rs_proto::{ResidentKeyRequirement, UserVerificationPolicy};

use super::checks::{
    aaguid_of, auth_data_of, check_auth_data_length, check_client_data, check_structure,
};
use super::started::{with_challenge, CeremonyKind, Purpose, Started};
use super::{conditional, Ceremonies, RegisterStart, SignedIn};
use crate::accounts::{AccountError, NewAccount};
use crate::error::{Error, ErrorCode, StoreError};
use crate::events::Event;
use crate::factor::Factor;
use crate::input::Name;
use crate::service::sessions::Current;
use crate::store::{Claim, CredentialRecord, Owner, UserRecord};

/// The longest credential id accepted (WebAuthn: ids above 1023 bytes SHOULD fail).
const MAX_CREDENTIAL_ID: usize = 1023;

pub(super) fn registration_failed(why: &str) -> Error {
    log::info!("passkeys: registration refused: {why}");
    Error::coded(ErrorCode::RegistrationFailed)
}

impl Ceremonies {
    /// Starts a registration: a sign-up when `session` is none, else a passkey for the
    /// signed-in user. Returns the options for the browser and the state it carries.
    pub async fn register_start(
        &self,
        session: Option<&Current>,
        body: RegisterStart,
    ) -> Result<(CreationChallengeResponse, Started), Error> {
        let next = self.next(body.next.as_deref())?;
        let conditional = match body.mediation.as_deref() {
            None => false,
            Some("conditional") if !self.core.settings().auto_upgrade => {
                return Err(Error::invalid(
                    "Automatic passkey upgrades are off on this site (`auto_upgrade`).",
                ))
            }
            Some("conditional") if session.is_none() => {
                return Err(Error::invalid(
                    "A conditional registration adds a passkey to a signed-in account.",
                ))
            }
            Some("conditional") => true,
            Some(_) => return Err(Error::invalid("`mediation` is `conditional` or absent.")),
        };
        let (purpose, user, exclude) = match session {
            Some(current) => {
                if body.username.is_some() {
                    return Err(Error::say(ErrorCode::InvalidRequest, "error-signed-in"));
                }
                if conditional && !self.services.enrollment.upgrade_due(&current.0).await? {
                    return Err(Error::coded(ErrorCode::Forbidden)
                        .detail("No automatic passkey upgrade is due for this sign-in."));
                }
                self.adding(current, conditional).await?
            }
            None => self.signing_up(body).await?,
        };
        let (mut options, _) = self.registration(&user, exclude)?;
        // webauthn-rs asks for "discouraged"; passkeys are discoverable credentials.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            let required = self.core.settings().resident_key_required;
            selection.resident_key = Some(if required {
                ResidentKeyRequirement::Required
            } else {
                ResidentKeyRequirement::Preferred
            });
            selection.require_resident_key = required;
            // A conditional create has the password manager make the passkey without
            // asking: it cannot verify the user, and is not asked to.
            if conditional {
                selection.user_verification = UserVerificationPolicy::Preferred;
            }
        }
        // Nor can it honour credential protection "user verification required" (browsers
        // refuse that with verification only preferred): a conditional create asks for
        // none. Every sign-in still requires verification.
        if conditional {
            if let Some(extensions) = options.public_key.extensions.as_mut() {
                extensions.cred_protect = None;
            }
        }
        let hints = &self.core.settings().hints_register;
        options.public_key.hints = (!hints.is_empty()).then(|| hints.clone());
        let started = self.started(purpose, &options.public_key.challenge, next)?;
        Ok((options, started))
    }

    /// A passkey for the signed-in user: a session that may change the account's
    /// passkeys (every factor the account has, or two), signed in recently, below the
    /// account's cap. Bound to the session and the account as it is now.
    async fn adding(
        &self,
        (session, hash): &Current,
        conditional: bool,
    ) -> Result<(Purpose, UserRecord, Option<Vec<Vec<u8>>>), Error> {
        self.services.management.may_add(session).await?;
        self.services.sessions.require_recent(session)?;
        let exclude = self.credential_ids(session.user.handle).await?;
        let max = self.core.settings().max_passkeys;
        if exclude.len() >= max {
            return Err(Error::too_many_passkeys(max));
        }
        let generation = self.core.store().generation(session.user.handle).await?;
        let purpose = Purpose::Add {
            handle: session.user.handle,
            session: *hash,
            generation,
            conditional,
        };
        Ok((purpose, session.user.clone(), Some(exclude)))
    }

    /// A new account: sign-up open, names checked, the username free.
    async fn signing_up(
        &self,
        body: RegisterStart,
    ) -> Result<(Purpose, UserRecord, Option<Vec<Vec<u8>>>), Error> {
        if !self.core.settings().sign_up {
            return Err(Error::say(ErrorCode::Forbidden, "error-sign-up-closed"));
        }
        let username = Name::parse("username", body.username.as_deref())?
            .ok_or_else(|| Error::say(ErrorCode::InvalidRequest, "error-username-missing"))?
            .into_string();
        let display_name = Name::parse("display_name", body.display_name.as_deref())?
            .map_or_else(|| username.clone(), Name::into_string);
        // Sign-up must say a name is taken; saying it before the person creates a passkey
        // on their device spares them an orphaned one.
        if self
            .core
            .store()
            .user_by_username(&username)
            .await?
            .is_some()
        {
            return Err(Error::from(StoreError::Duplicate("username")));
        }
        let handle = Uuid::new_v4();
        let purpose = Purpose::SignUp {
            handle,
            username: username.clone(),
            display_name: display_name.clone(),
        };
        let user = UserRecord {
            handle,
            user_id: handle.to_string(),
            username,
            display_name,
            factors: 0,
        };
        Ok((purpose, user, None))
    }

    /// The ids of the account's passkeys, which a new one must not repeat.
    async fn credential_ids(&self, handle: Uuid) -> Result<Vec<Vec<u8>>, Error> {
        Ok(self
            .services
            .management
            .list(handle)
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

    /// Finishes a registration. `session` is the caller's current session, if any: it
    /// must be the one that started an addition, and a sign-up ends it.
    pub async fn register_finish(
        &self,
        started: Option<Started>,
        session: Option<&Current>,
        body: serde_json::Value,
    ) -> Result<SignedIn, Error> {
        let started = self.open(started, CeremonyKind::Register)?;
        let claim = started.claim();
        let mut credential: RegisterPublicKeyCredential = serde_json::from_value(body)
            .map_err(|e| Error::invalid(format!("The registration response is malformed: {e}")))?;
        // Only a registration the server started as conditional may lack presence and
        // verification (see `conditional`); every other check stays.
        let conditional = matches!(
            started.purpose,
            Purpose::Add {
                conditional: true,
                ..
            }
        );
        if conditional {
            conditional::accept(&mut credential)?;
        }
        let auth_data = self.precheck(&credential)?;
        let user = self.registrant(&started.purpose, session).await?;
        let mut record = self
            .verify(&credential, &auth_data, &started, &user)
            .await?;
        if conditional {
            record.passkey = conditional::unverified(record.passkey);
        }
        match started.purpose {
            Purpose::Add {
                handle,
                session,
                generation,
                ..
            } => {
                let now = self.core.now();
                let owner = Owner::Existing {
                    handle,
                    session: &session,
                    generation,
                    now,
                    max_passkeys: self.core.settings().max_passkeys,
                };
                self.core
                    .store()
                    .add_credential(owner, &record, &claim)
                    .await?;
                self.added(&record);
                let who = (handle, user.user_id.as_str());
                self.services.enrollment.passkey_added(who).await;
                Ok(SignedIn {
                    token: None,
                    redirect: started.next,
                    recovery_codes: None,
                })
            }
            _ => {
                let replaces = session.map(|(_, hash)| *hash);
                let (token, recovery_codes) = self.sign_up(user, record, &claim, replaces).await?;
                Ok(SignedIn {
                    token: Some(token),
                    redirect: started.next,
                    recovery_codes,
                })
            }
        }
    }

    /// Whom the passkey is for: the new account of a sign-up, or the signed-in user,
    /// whose live session must be the one that started the addition.
    async fn registrant(
        &self,
        purpose: &Purpose,
        session: Option<&Current>,
    ) -> Result<UserRecord, Error> {
        match purpose {
            Purpose::SignUp {
                handle,
                username,
                display_name,
            } => Ok(UserRecord {
                handle: *handle,
                user_id: handle.to_string(),
                username: username.clone(),
                display_name: display_name.clone(),
                factors: 0,
            }),
            Purpose::Add {
                handle,
                session: started_by,
                ..
            } => match session {
                Some((current, hash)) if current.user.handle == *handle && hash == started_by => {
                    // Recent at the finish too, not only at the start.
                    self.services.sessions.require_recent(current)?;
                    Ok(current.user.clone())
                }
                _ => Err(Error::ceremony_not_found()),
            },
            Purpose::Discoverable | Purpose::Account { .. } => Err(Error::ceremony_not_found()),
        }
    }

    /// The crate's own checks of the response, before anything else: `id` and `type`,
    /// the client data, and the authenticator data (answered).
    fn precheck(&self, credential: &RegisterPublicKeyCredential) -> Result<Vec<u8>, Error> {
        check_structure(&credential.id, &credential.raw_id, &credential.type_)?;
        check_client_data(
            &credential.response.client_data_json,
            self.core.settings(),
            "webauthn.create",
        )
        .map_err(|why| registration_failed(&why))?;
        let auth_data = auth_data_of(&credential.response.attestation_object)
            .ok_or_else(|| registration_failed("the attestation object does not parse"))?;
        check_auth_data_length(&auth_data).map_err(|why| registration_failed(&why))?;
        Ok(auth_data)
    }

    /// webauthn-rs's verification of the response against the state made at start,
    /// rebuilt (the same user, the account's passkeys as they are now, the sealed
    /// challenge). Answers the passkey as it will be stored.
    async fn verify(
        &self,
        credential: &RegisterPublicKeyCredential,
        auth_data: &[u8],
        started: &Started,
        user: &UserRecord,
    ) -> Result<CredentialRecord, Error> {
        let settings = self.core.settings();
        let adding = matches!(started.purpose, Purpose::Add { .. });
        let exclude = if adding {
            Some(self.credential_ids(user.handle).await?)
        } else {
            None
        };
        let (_, fresh) = self.registration(user, exclude)?;
        let state = with_challenge(&fresh, "rs", &started.challenge)?;
        let passkey = match self
            .webauthn
            .finish_passkey_registration(credential, &state)
        {
            Ok(passkey) => passkey,
            Err(e) => return Err(self.refusal(e, adding, user, credential).await),
        };
        let credential_id = passkey.cred_id().to_vec();
        if credential_id.len() > MAX_CREDENTIAL_ID {
            return Err(registration_failed(
                "the credential id is longer than 1023 bytes",
            ));
        }
        let aaguid = aaguid_of(auth_data);
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
        Ok(record(
            passkey,
            user,
            self.services.management.provider(aaguid).to_string(),
            aaguid,
            transports,
            (settings.rp_id.clone(), self.core.now()),
        ))
    }

    /// Why webauthn-rs refused a registration, as the client hears it: an excluded
    /// (already registered) passkey is `credential_exists`, anything else
    /// `registration_failed`.
    async fn refusal(
        &self,
        e: WebauthnError,
        adding: bool,
        user: &UserRecord,
        credential: &RegisterPublicKeyCredential,
    ) -> Error {
        // webauthn-rs refuses an excluded credential with this.
        if matches!(e, WebauthnError::CredentialAlteredAlgFromRequest) && adding {
            let store = self.core.store();
            match store.credential(user.handle, &credential.raw_id).await {
                Ok(Some(_)) => return Error::from(StoreError::Duplicate("credential")),
                Ok(None) => {}
                Err(e) => return e.into(),
            }
        }
        log::info!("passkeys: registration refused: {e:?}");
        registration_failed("the authenticator's response did not verify")
    }

    /// A sign-up's writes: the app's account (if it owns users), then in one
    /// transaction the claim, the account, its passkey, its first session, and the end
    /// of the session it `replaces`. Answers the new session's token.
    async fn sign_up(
        &self,
        mut user: UserRecord,
        mut record: CredentialRecord,
        claim: &Claim,
        replaces: Option<[u8; 32]>,
    ) -> Result<([u8; 32], Option<Vec<String>>), Error> {
        let store = self.core.store();
        if let Some(accounts) = &self.accounts {
            // A replayed finish must not make the app create (and then remove) an
            // account; the claim in the transaction below is what decides.
            if store.finished(claim).await? {
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
        let (token, session) = self.services.sessions.start(
            user.handle,
            Factor::Passkey.bit(),
            true,
            Some(record.credential_id.clone()),
        );
        let owner = Owner::New {
            user: &user,
            session: &session,
            replaces: replaces.as_ref(),
        };
        if let Err(e) = store.add_credential(owner, &record, claim).await {
            if let Some(accounts) = &self.accounts {
                if let Err(undo) = accounts.remove(&user.user_id).await {
                    log::error!("passkeys: could not undo an app account: {undo}");
                }
            }
            return Err(e.into());
        }
        self.core.event(Event::SignedUp {
            user_id: user.user_id.clone(),
        });
        self.added(&record);
        Ok((token, self.services.recovery.after_sign_up(&user).await))
    }

    fn added(&self, record: &CredentialRecord) {
        self.core.event(Event::PasskeyAdded {
            user_id: record.user_id.clone(),
            credential_id: URL_SAFE_NO_PAD.encode(&record.credential_id),
            name: record.name.clone(),
        });
    }
}

/// A new passkey as the store keeps it: its counter and backup flags in their own
/// columns, named after its provider, under this rp id, created now.
fn record(
    passkey: Passkey,
    user: &UserRecord,
    name: String,
    aaguid: Option<Uuid>,
    transports: Vec<String>,
    (rp_id, now): (String, i64),
) -> CredentialRecord {
    let inner = Credential::from(passkey.clone());
    CredentialRecord {
        credential_id: passkey.cred_id().to_vec(),
        user_handle: user.handle,
        user_id: user.user_id.clone(),
        name,
        aaguid,
        transports,
        backup_eligible: inner.backup_eligible,
        backup_state: inner.backup_state,
        counter: inner.counter,
        rp_id,
        created_at: now,
        last_used_at: None,
        passkey,
    }
}
