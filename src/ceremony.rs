//! The ceremonies: registration and sign-in, start and finish. No HTTP types here.
//!
//! webauthn-rs checks the cryptography (signature, challenge, origin, rp id hash, flags,
//! algorithm). This module owns the rest: single-use server-side state bound to the
//! browser and, for registration, to the user; structural checks the library leaves to
//! us (`id` = `rawId`, `type`, `topOrigin`, the 1023-byte credential id cap); loading
//! the credential by user handle *and* credential id; and opening the session.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    CreationChallengeResponse, Credential, DiscoverableAuthentication, Passkey,
    PasskeyAuthentication, PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential,
    RequestChallengeResponse, Uuid, Webauthn, WebauthnError,
};
use webauthn_rs_proto::{AllowCredentials, AuthenticatorTransport, ResidentKeyRequirement};

use crate::accounts::{AccountError, Accounts, NewAccount};
use crate::clock::Clock;
use crate::config::CounterPolicy;
use crate::config::{local_path, Settings};
use crate::error::{Error, ErrorCode};
use crate::events::{Event, Events};
use crate::providers::Providers;
use crate::session::{new_token, token_hash, CeremonyKind, Factor};
use crate::store::{
    CredentialRecord, CredentialUse, NewSession, Owner, SessionRecord, Store, UserRecord,
};

/// The longest credential id accepted (WebAuthn: ids above 1023 bytes SHOULD fail).
const MAX_CREDENTIAL_ID: usize = 1023;
/// The longest username and display name, in characters.
const MAX_NAME: usize = 64;

/// Who a registration is for.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Registrant {
    /// A new account, created at finish.
    SignUp(UserRecord),
    /// A signed-in user adding a passkey, bound to the session that started it and to the
    /// account as it was then (its generation).
    Existing {
        handle: Uuid,
        user_id: String,
        session: [u8; 32],
        generation: i64,
    },
}

/// A started ceremony, kept server-side until its finish takes it.
#[derive(Serialize, Deserialize)]
pub(crate) enum Pending {
    Register {
        registrant: Registrant,
        state: PasskeyRegistration,
        next: String,
    },
    /// Username-first sign-in for a known user with passkeys.
    Authenticate {
        handle: Uuid,
        state: PasskeyAuthentication,
        next: String,
    },
    /// Usernameless sign-in: the authenticator says who the user is.
    Discoverable {
        state: DiscoverableAuthentication,
        next: String,
    },
    /// Username-first sign-in for a name with no passkeys: it always fails, but looks the
    /// same as a real one until then.
    Decoy,
}

impl Pending {
    fn kind(&self) -> CeremonyKind {
        match self {
            Pending::Register { .. } => CeremonyKind::Register,
            _ => CeremonyKind::Authenticate,
        }
    }
}

/// Where pending ceremonies live. One instance: [`MemoryCeremonies`]. Several
/// instances: a table in the shared database.
#[rocket::async_trait]
pub(crate) trait CeremonyStore: Send + Sync + 'static {
    /// Keeps a ceremony until `expires_at`; fails when the store, or the client's share
    /// of it, is full.
    async fn put(
        &self,
        id: [u8; 16],
        pending: Pending,
        expires_at: i64,
        now: i64,
        client: Option<IpAddr>,
    ) -> Result<(), Error>;
    /// Removes and returns the ceremony, atomically: only one caller ever gets it.
    async fn take(&self, id: &[u8; 16], now: i64) -> Result<Option<Pending>, Error>;
    /// Drops expired ceremonies.
    async fn sweep(&self, now: i64);
    /// How many are pending and not expired.
    async fn len(&self, now: i64) -> usize;
}

/// The most ceremonies one client (an IPv4 address, an IPv6 /64) may have pending at
/// once, so that a few clients cannot fill the global cap and lock everyone out.
pub(crate) const PER_CLIENT: usize = 16;

/// A bounded in-process map of pending ceremonies.
pub(crate) struct MemoryCeremonies {
    cap: usize,
    inner: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<[u8; 16], (Pending, i64, Option<IpAddr>)>,
    per_client: HashMap<IpAddr, usize>,
    /// When expired entries were last dropped: at most once a second, so a flood of
    /// refused starts does not pay a full sweep each.
    swept_at: i64,
}

impl Entries {
    fn forget(&mut self, client: Option<IpAddr>) {
        if let Some(client) = client {
            if let Some(n) = self.per_client.get_mut(&client) {
                *n -= 1;
                if *n == 0 {
                    self.per_client.remove(&client);
                }
            }
        }
    }

    fn sweep(&mut self, now: i64) {
        self.map.retain(|_, (_, expires, _)| *expires > now);
        self.per_client.clear();
        for (_, _, client) in self.map.values() {
            if let Some(client) = client {
                *self.per_client.entry(*client).or_default() += 1;
            }
        }
    }
}

impl MemoryCeremonies {
    pub fn new(cap: usize) -> Self {
        MemoryCeremonies {
            cap,
            inner: Mutex::new(Entries::default()),
        }
    }
}

#[rocket::async_trait]
impl CeremonyStore for MemoryCeremonies {
    async fn put(
        &self,
        id: [u8; 16],
        pending: Pending,
        expires_at: i64,
        now: i64,
        client: Option<IpAddr>,
    ) -> Result<(), Error> {
        let mut entries = self.inner.lock();
        let crowded = |e: &Entries| {
            client.is_some_and(|c| e.per_client.get(&c).copied().unwrap_or(0) >= PER_CLIENT)
        };
        if (entries.map.len() >= self.cap || crowded(&entries)) && entries.swept_at < now {
            entries.sweep(now);
            entries.swept_at = now;
        }
        if crowded(&entries) {
            return Err(crate::limit::rate_limited(60));
        }
        if entries.map.len() >= self.cap {
            log::warn!(
                "passkeys: {} ceremonies pending, refusing new ones",
                entries.map.len()
            );
            return Err(full());
        }
        if let Some(client) = client {
            *entries.per_client.entry(client).or_default() += 1;
        }
        entries.map.insert(id, (pending, expires_at, client));
        Ok(())
    }

    async fn take(&self, id: &[u8; 16], now: i64) -> Result<Option<Pending>, Error> {
        let mut entries = self.inner.lock();
        let Some((pending, expires_at, client)) = entries.map.remove(id) else {
            return Ok(None);
        };
        entries.forget(client);
        Ok((expires_at > now).then_some(pending))
    }

    async fn sweep(&self, now: i64) {
        let mut entries = self.inner.lock();
        entries.sweep(now);
        let keep = self.cap.min(entries.map.len() * 2);
        entries.map.shrink_to(keep);
    }

    async fn len(&self, now: i64) -> usize {
        let entries = self.inner.lock();
        entries
            .map
            .values()
            .filter(|(_, expires, _)| *expires > now)
            .count()
    }
}

/// Pending ceremonies kept in the store's database, shared by every instance (the
/// PostgreSQL profile): serialised server-side, never sent to the browser.
#[cfg(feature = "postgres")]
pub(crate) struct StoredCeremonies {
    store: Arc<dyn Store>,
    cap: usize,
}

#[cfg(feature = "postgres")]
impl StoredCeremonies {
    pub fn new(store: Arc<dyn Store>, cap: usize) -> Self {
        StoredCeremonies { store, cap }
    }
}

fn full() -> Error {
    Error::new(
        ErrorCode::Unavailable,
        "Too many sign-ins are in progress. Please try again in a minute.",
    )
    .retry_after(30)
}

#[cfg(feature = "postgres")]
#[rocket::async_trait]
impl CeremonyStore for StoredCeremonies {
    async fn put(
        &self,
        id: [u8; 16],
        pending: Pending,
        expires_at: i64,
        now: i64,
        _client: Option<IpAddr>,
    ) -> Result<(), Error> {
        let state = serde_json::to_string(&pending).map_err(|e| {
            log::error!("passkeys: cannot serialise a ceremony: {e}");
            Error::internal()
        })?;
        let store = &self.store;
        if store
            .put_ceremony(&id, &state, expires_at, now, self.cap)
            .await?
        {
            return Ok(());
        }
        store.sweep_ceremonies(now).await?;
        if store
            .put_ceremony(&id, &state, expires_at, now, self.cap)
            .await?
        {
            Ok(())
        } else {
            log::warn!(
                "passkeys: {} ceremonies pending, refusing new ones",
                self.cap
            );
            Err(full())
        }
    }

    async fn take(&self, id: &[u8; 16], now: i64) -> Result<Option<Pending>, Error> {
        let Some(state) = self.store.take_ceremony(id, now).await? else {
            return Ok(None);
        };
        match serde_json::from_str(&state) {
            Ok(pending) => Ok(Some(pending)),
            Err(e) => {
                // Written by another version of the crate: the user simply starts again.
                log::warn!("passkeys: a stored ceremony does not parse: {e}");
                Ok(None)
            }
        }
    }

    async fn sweep(&self, now: i64) {
        if let Err(e) = self.store.sweep_ceremonies(now).await {
            log::warn!("passkeys: could not sweep ceremonies: {e}");
        }
    }

    async fn len(&self, now: i64) -> usize {
        self.store.count_ceremonies(now).await.unwrap_or(0)
    }
}

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
    pub pending: Arc<dyn CeremonyStore>,
    pub accounts: Option<Arc<dyn Accounts>>,
    pub clock: Arc<dyn Clock>,
    pub events: Arc<dyn Events>,
    pub providers: Providers,
    /// Keys the decoy credential ids of unknown usernames.
    pub secret: [u8; 32],
}

impl Ceremonies {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    fn next_or_default(&self, next: Option<&str>) -> Result<String, Error> {
        match next {
            None | Some("") => Ok(self.settings.after_sign_in.clone()),
            Some(next) => local_path(next)
                .map(str::to_string)
                .ok_or_else(|| Error::invalid("`next` must be a local path starting with `/`.")),
        }
    }

    async fn remember(&self, pending: Pending, client: Option<IpAddr>) -> Result<[u8; 16], Error> {
        let id: [u8; 16] = rand::random();
        let now = self.now();
        self.pending
            .put(
                id,
                pending,
                now + self.settings.ceremony_timeout,
                now,
                client,
            )
            .await?;
        Ok(id)
    }

    /// Takes the pending ceremony of this kind; any other answer is `ceremony_not_found`.
    async fn take(&self, id: Option<[u8; 16]>, kind: CeremonyKind) -> Result<Pending, Error> {
        let id = id.ok_or_else(Error::ceremony_not_found)?;
        match self.pending.take(&id, self.now()).await? {
            Some(pending) if pending.kind() == kind => Ok(pending),
            _ => Err(Error::ceremony_not_found()),
        }
    }

    /// Starts a registration: a sign-up when `session` is none, else a passkey for the
    /// signed-in user. Returns the options for the browser and the ceremony id.
    pub async fn register_start(
        &self,
        session: Option<(&SessionRecord, [u8; 32])>,
        body: RegisterStart,
        client: Option<IpAddr>,
    ) -> Result<(CreationChallengeResponse, [u8; 16]), Error> {
        let next = self.next_or_default(body.next.as_deref())?;
        let (registrant, user, exclude) = match session {
            Some((session, hash)) => {
                if body.username.is_some() {
                    return Err(Error::invalid(
                        "You are signed in: sign out before creating another account.",
                    ));
                }
                let exclude = self
                    .store
                    .credentials(session.user.handle)
                    .await?
                    .into_iter()
                    .map(|c| c.credential_id)
                    .collect::<Vec<_>>();
                // Adding a passkey changes how the account signs in: it needs a recent
                // sign-in, so a session left open on a shared computer cannot do it.
                if self.now() - session.created_at > self.settings.reauth_max_age {
                    return Err(Error::reauth_required());
                }
                let registrant = Registrant::Existing {
                    handle: session.user.handle,
                    user_id: session.user.user_id.clone(),
                    session: hash,
                    generation: self.store.generation(session.user.handle).await?,
                };
                (registrant, session.user.clone(), Some(exclude))
            }
            None => {
                if !self.settings.sign_up {
                    return Err(Error::new(
                        ErrorCode::Forbidden,
                        "Sign-up is closed on this site.",
                    ));
                }
                let username = clean_name("username", body.username.as_deref())?
                    .ok_or_else(|| Error::invalid("Please choose a username."))?;
                let display_name = clean_name("display_name", body.display_name.as_deref())?
                    .unwrap_or_else(|| username.clone());
                // Sign-up must say a name is taken; saying it before the person creates a
                // passkey on their device spares them an orphaned one.
                if self.store.user_by_username(&username).await?.is_some() {
                    return Err(Error::from(crate::error::StoreError::Duplicate("username")));
                }
                let handle = Uuid::new_v4();
                let user = UserRecord {
                    handle,
                    user_id: handle.to_string(),
                    username,
                    display_name,
                };
                (Registrant::SignUp(user.clone()), user, None)
            }
        };

        let (mut options, state) = self
            .webauthn
            .start_passkey_registration(user.handle, &user.username, &user.display_name, exclude)
            .map_err(|e| {
                log::error!("passkeys: cannot start a registration: {e:?}");
                Error::internal()
            })?;
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
        let id = self
            .remember(
                Pending::Register {
                    registrant,
                    state,
                    next,
                },
                client,
            )
            .await?;
        Ok((options, id))
    }

    /// Finishes a registration. `session` is the caller's current session, if any.
    pub async fn register_finish(
        &self,
        ceremony: Option<[u8; 16]>,
        session: Option<(&SessionRecord, [u8; 32])>,
        body: serde_json::Value,
    ) -> Result<SignedIn, Error> {
        // Taken before anything else: whatever happens next, it cannot be used again.
        let Pending::Register {
            registrant,
            state,
            next,
        } = self.take(ceremony, CeremonyKind::Register).await?
        else {
            return Err(Error::ceremony_not_found());
        };
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

        if let Registrant::Existing {
            handle,
            session: started_by,
            ..
        } = &registrant
        {
            // Adding a passkey: the same live session must finish what it started.
            match session {
                Some((current, hash)) if current.user.handle == *handle && hash == *started_by => {}
                _ => return Err(Error::ceremony_not_found()),
            }
        }

        let (handle, signing_up) = match &registrant {
            Registrant::SignUp(user) => (user.handle, true),
            Registrant::Existing { handle, .. } => (*handle, false),
        };
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
                        .credential(handle, &credential.raw_id)
                        .await?
                        .is_some();
                if excluded {
                    return Err(Error::from(crate::error::StoreError::Duplicate(
                        "credential",
                    )));
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
            user_handle: handle,
            // The owner's app user id: known here when adding, after `Accounts` on sign-up.
            user_id: String::new(),
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

        let mut user = match registrant {
            Registrant::SignUp(user) => user,
            Registrant::Existing {
                handle,
                user_id,
                session,
                generation,
            } => {
                let owner = Owner::Existing {
                    handle,
                    session: &session,
                    generation,
                    now,
                };
                record.user_id.clone_from(&user_id);
                self.store.add_credential(owner, &record).await?;
                self.events.event(&Event::PasskeyAdded {
                    user_id: user_id.clone(),
                    credential_id: URL_SAFE_NO_PAD.encode(&credential_id),
                    name: record.name.clone(),
                });
                // Counting is secondary: the passkey is stored either way.
                let user = (handle, user_id.as_str());
                let counted =
                    crate::enrollment::passkey_added(&*self.store, &*self.events, user, now).await;
                if let Err(e) = counted {
                    log::warn!("passkeys: could not count an enrollment: {e}");
                }
                return Ok(SignedIn {
                    token: None,
                    redirect: next,
                });
            }
        };

        // A sign-up: the app's account (if it owns users), the passkey and a session.
        if let Some(accounts) = &self.accounts {
            let new = NewAccount {
                username: &user.username,
                display_name: &user.display_name,
            };
            user.user_id = accounts.create(&new).await.map_err(|e| match e {
                AccountError::UsernameTaken => {
                    Error::from(crate::error::StoreError::Duplicate("username"))
                }
                AccountError::Failed(why) => {
                    log::error!("passkeys: the app could not create an account: {why}");
                    Error::unavailable()
                }
            })?;
        }
        record.user_id.clone_from(&user.user_id);
        let token = new_token();
        let session = self.new_session(&token, handle, true, credential_id);
        if let Err(e) = self
            .store
            .add_credential(
                Owner::New {
                    user: &user,
                    session: &session,
                },
                &record,
            )
            .await
        {
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
            redirect: next,
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

    /// Starts a sign-in: usernameless (autofill or button) or username-first.
    pub async fn authenticate_start(
        &self,
        body: AuthenticateStart,
        client: Option<IpAddr>,
    ) -> Result<(RequestChallengeResponse, [u8; 16]), Error> {
        let next = self.next_or_default(body.next.as_deref())?;
        let Some(username) = clean_name("username", body.username.as_deref())? else {
            let (options, state) =
                self.webauthn
                    .start_discoverable_authentication()
                    .map_err(|e| {
                        log::error!("passkeys: cannot start a sign-in: {e:?}");
                        Error::internal()
                    })?;
            let id = self
                .remember(Pending::Discoverable { state, next }, client)
                .await?;
            return Ok((options, id));
        };

        let user = self.store.user_by_username(&username).await?;
        let credentials = match &user {
            Some(user) => self.store.credentials(user.handle).await?,
            None => Vec::new(),
        };
        let (options, pending) = match user {
            Some(user) if !credentials.is_empty() => {
                let passkeys: Vec<_> = credentials
                    .iter()
                    .map(|c| Passkey::from(without_counter(&c.passkey)))
                    .collect();
                let (options, state) = self
                    .webauthn
                    .start_passkey_authentication(&passkeys)
                    .map_err(|e| {
                        log::error!("passkeys: cannot start a sign-in: {e:?}");
                        Error::internal()
                    })?;
                let pending = Pending::Authenticate {
                    handle: user.handle,
                    state,
                    next,
                };
                (options, pending)
            }
            _ => (self.decoy_options(&username)?, Pending::Decoy),
        };
        let id = self.remember(pending, client).await?;
        Ok((options, id))
    }

    /// Options for a username without passkeys that look like a real user's: one
    /// credential id derived from the username, the same on every request.
    fn decoy_options(&self, username: &str) -> Result<RequestChallengeResponse, Error> {
        let (mut options, _) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| {
                log::error!("passkeys: cannot start a sign-in: {e:?}");
                Error::internal()
            })?;
        let mut hasher = Sha256::new();
        hasher.update(self.secret);
        hasher.update(username.to_lowercase().as_bytes());
        let digest = hasher.finalize();
        // One or two credential ids of the lengths real authenticators use, all derived
        // from the username, so the shape says nothing and repeats are identical.
        let count = 1 + usize::from(digest[0] % 2);
        let lengths = [16, 20, 32];
        options.mediation = None;
        options.public_key.extensions = None;
        options.public_key.allow_credentials = (0..count)
            .map(|i| {
                let mut id = Sha256::new();
                id.update(digest);
                id.update([i as u8]);
                let len = lengths[usize::from(digest[1 + i]) % lengths.len()];
                AllowCredentials {
                    type_: "public-key".into(),
                    id: id.finalize()[..len].to_vec(),
                    transports: Some(vec![
                        AuthenticatorTransport::Internal,
                        AuthenticatorTransport::Hybrid,
                    ]),
                }
            })
            .collect();
        Ok(options)
    }

    /// Finishes a sign-in and opens a session, ending the one it `replaces` (the hash of
    /// the token the browser held, if any) in the same transaction.
    pub async fn authenticate_finish(
        &self,
        ceremony: Option<[u8; 16]>,
        replaces: Option<[u8; 32]>,
        body: serde_json::Value,
    ) -> Result<SignedIn, Error> {
        let pending = self.take(ceremony, CeremonyKind::Authenticate).await?;
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

        let (stored, result, next) = match pending {
            Pending::Discoverable { state, next } => {
                let (handle, credential_id) = self
                    .webauthn
                    .identify_discoverable_authentication(&credential)
                    .map_err(|e| self.refused(None, &format!("{e:?}")))?;
                // The user handle is not signed: the credential must belong to it.
                let Some(stored) = self.store.credential(handle, credential_id).await? else {
                    let e = self.refused(None, "a credential this site does not know");
                    return Err(e.unknown_credential());
                };
                let result = self
                    .webauthn
                    .finish_discoverable_authentication_v2(
                        &credential,
                        state,
                        without_counter(&stored.passkey),
                    )
                    .map_err(|e| self.refused(Some(&stored.user_id), &format!("{e:?}")))?;
                (stored, result, next)
            }
            Pending::Authenticate {
                handle,
                state,
                next,
            } => {
                if let Some(user_handle) = credential.get_user_unique_id() {
                    if user_handle != handle.as_bytes() {
                        return Err(self.refused(None, "the user handle is another account's"));
                    }
                }
                let result = self
                    .webauthn
                    .finish_passkey_authentication(&credential, &state)
                    .map_err(|e| self.refused(None, &format!("{e:?}")))?;
                // Read again at finish: it may have been deleted since the start.
                let Some(stored) = self.store.credential(handle, result.cred_id()).await? else {
                    return Err(self.refused(None, "the credential was deleted"));
                };
                (stored, result, next)
            }
            Pending::Decoy => return Err(self.refused(None, "a username without passkeys")),
            Pending::Register { .. } => return Err(Error::ceremony_not_found()),
        };
        if !result.user_verified() {
            return Err(self.refused(Some(&stored.user_id), "the user was not verified"));
        }
        self.check_counter(&stored, result.counter(), result.backup_state())?;

        let token = new_token();
        let credential_id = result.cred_id().to_vec();
        let used = CredentialUse {
            credential_id: credential_id.clone(),
            user_handle: stored.user_handle,
            counter: result.counter(),
            backup_state: result.backup_state(),
            backup_eligible: result.backup_eligible(),
            used_at: self.now(),
        };
        let session = self.new_session(&token, stored.user_handle, true, credential_id);
        // Written only if the credential still exists (it may have been deleted).
        let recorded = self
            .store
            .record_sign_in(&used, &session, replaces.as_ref())
            .await?;
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
            redirect: next,
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
    fn check_counter(
        &self,
        stored: &CredentialRecord,
        received: u32,
        backed_up: bool,
    ) -> Result<(), Error> {
        let regressed = (received > 0 || stored.counter > 0) && received <= stored.counter;
        if !regressed {
            return Ok(());
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
            self.events.event(&Event::SuspectedClone {
                user_id: stored.user_id.clone(),
                credential_id: URL_SAFE_NO_PAD.encode(&stored.credential_id),
                stored: stored.counter,
                received,
                allowed,
            });
        }
        if allowed {
            Ok(())
        } else {
            Err(self.refused(Some(&stored.user_id), "the signature counter did not go up"))
        }
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

/// A username or display name: trimmed, 1 to 64 characters, no control characters.
fn clean_name(field: &str, value: Option<&str>) -> Result<Option<String>, Error> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if value.chars().count() > MAX_NAME {
        return Err(Error::invalid(format!(
            "`{field}` must be at most {MAX_NAME} characters."
        )));
    }
    if value.chars().any(|c| c.is_control() || is_format(c)) {
        return Err(Error::invalid(format!(
            "`{field}` must not contain control or invisible formatting characters."
        )));
    }
    Ok(Some(value.to_string()))
}

/// Invisible formatting characters (Unicode Cf) that make one name look like another:
/// zero-width spaces and joiners, bidirectional controls, soft hyphens, BOMs.
pub(crate) fn is_format(c: char) -> bool {
    matches!(c,
        '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}' | '\u{180e}'
        | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{206f}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}'
        | '\u{e0001}' | '\u{e0020}'..='\u{e007f}')
}

/// The checks the library leaves to us: `type` and `id` = `rawId`. The stored id is
/// always the one in the signed authenticator data, never these.
fn check_structure(id: &str, raw_id: &[u8], type_: &str) -> Result<(), Error> {
    if type_ != "public-key" {
        return Err(Error::invalid("`type` must be \"public-key\"."));
    }
    match URL_SAFE_NO_PAD.decode(id.trim_end_matches('=')) {
        Ok(id) if id == raw_id => Ok(()),
        _ => Err(Error::invalid(
            "`id` must be the base64url form of `rawId`.",
        )),
    }
}

/// Refuses a `topOrigin` that is not ours (webauthn-rs does not read it), and client
/// data of the wrong ceremony type before the library sees it.
fn check_client_data(raw: &[u8], settings: &Settings, expected_type: &str) -> Result<(), String> {
    #[derive(Deserialize)]
    struct ClientData<'a> {
        #[serde(rename = "type")]
        type_: &'a str,
        #[serde(rename = "topOrigin")]
        top_origin: Option<&'a str>,
        #[serde(rename = "crossOrigin")]
        cross_origin: Option<bool>,
    }
    let data: ClientData<'_> =
        serde_json::from_slice(raw).map_err(|e| format!("clientDataJSON does not parse: {e}"))?;
    if data.type_ != expected_type {
        return Err(format!("clientDataJSON type is {:?}", data.type_));
    }
    // Passkeys are not offered inside other sites' frames.
    if data.cross_origin == Some(true) {
        return Err("clientDataJSON says crossOrigin".into());
    }
    if let Some(top) = data.top_origin {
        if !settings.is_our_origin(top) {
            return Err("clientDataJSON topOrigin is another site".into());
        }
    }
    Ok(())
}

/// The authenticator data inside an attestation object.
fn auth_data_of(attestation_object: &[u8]) -> Option<Vec<u8>> {
    let value: ciborium::Value = ciborium::from_reader(attestation_object).ok()?;
    value
        .as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some("authData"))?
        .1
        .as_bytes()
        .cloned()
}

/// The authenticator model's AAGUID, from the attested credential data.
fn aaguid_of(auth_data: &[u8]) -> Option<Uuid> {
    // rpIdHash (32) | flags (1) | signCount (4) | AAGUID (16) | ...
    let aaguid = Uuid::from_slice(auth_data.get(37..53)?).ok()?;
    (!aaguid.is_nil()).then_some(aaguid)
}

/// Refuses authenticator data with bytes after its last part (webauthn-rs ignores them;
/// the FIDO conformance suite expects a failure). Layout: rpIdHash (32), flags (1),
/// signCount (4), then attested credential data when AT is set (AAGUID 16, id length 2,
/// id, COSE key), then an extensions map when ED is set.
fn check_auth_data_length(auth_data: &[u8]) -> Result<(), String> {
    const AT: u8 = 0x40;
    const ED: u8 = 0x80;
    let flags = *auth_data.get(32).ok_or("authenticator data is too short")?;
    let mut rest = auth_data
        .get(37..)
        .ok_or("authenticator data is too short")?;
    if flags & AT != 0 {
        let id_len = rest
            .get(16..18)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
            .ok_or("attested credential data is too short")?;
        rest = rest
            .get(18 + id_len..)
            .ok_or("attested credential data is too short")?;
        let _: ciborium::Value = ciborium::from_reader(&mut rest)
            .map_err(|_| "the credential public key does not parse")?;
    }
    if flags & ED != 0 {
        let _: ciborium::Value =
            ciborium::from_reader(&mut rest).map_err(|_| "the extensions do not parse")?;
    }
    if rest.is_empty() {
        Ok(())
    } else {
        Err(format!("{} bytes after the authenticator data", rest.len()))
    }
}

/// Property tests of the crate's own parsing of what browsers send, beside the mutation
/// fuzzer over the routes (`tests/fuzz.rs`): arbitrary input never panics, and the
/// structural checks accept exactly the well-formed cases.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod parsing {
    use super::*;
    use proptest::prelude::*;

    fn settings() -> Settings {
        crate::config::Config::default().settings(8000).unwrap()
    }

    /// A COSE P-256 public key as CBOR (the shape the key has in attested data).
    fn cose_key(x: &[u8], y: &[u8]) -> Vec<u8> {
        use ciborium::Value as V;
        let map = V::Map(vec![
            (V::Integer(1.into()), V::Integer(2.into())),
            (V::Integer(3.into()), V::Integer((-7).into())),
            (V::Integer((-1).into()), V::Integer(1.into())),
            (V::Integer((-2).into()), V::Bytes(x.to_vec())),
            (V::Integer((-3).into()), V::Bytes(y.to_vec())),
        ]);
        let mut out = Vec::new();
        let written = ciborium::into_writer(&map, &mut out);
        assert!(written.is_ok());
        out
    }

    /// Authenticator data: with attested credential data when `credential_id` is given.
    fn auth_data(flags: u8, counter: u32, credential_id: Option<&[u8]>) -> Vec<u8> {
        let mut data = vec![7u8; 32];
        data.push(flags);
        data.extend_from_slice(&counter.to_be_bytes());
        if let Some(id) = credential_id {
            data.extend_from_slice(&[0u8; 16]);
            data.extend_from_slice(&(id.len() as u16).to_be_bytes());
            data.extend_from_slice(id);
            data.extend_from_slice(&cose_key(&[1; 32], &[2; 32]));
        }
        data
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = check_auth_data_length(&bytes);
            let _ = auth_data_of(&bytes);
            let _ = aaguid_of(&bytes);
            let settings = settings();
            let _ = check_client_data(&bytes, &settings, "webauthn.get");
        }

        #[test]
        fn well_formed_authenticator_data_passes_and_any_extra_byte_fails(
            counter in any::<u32>(),
            id in proptest::collection::vec(any::<u8>(), 1..200),
            attested in any::<bool>(),
            extra in proptest::collection::vec(any::<u8>(), 1..40),
        ) {
            let flags = 0x05 | if attested { 0x40 } else { 0 };
            let data = auth_data(flags, counter, attested.then_some(&id[..]));
            prop_assert_eq!(check_auth_data_length(&data), Ok(()));
            let mut longer = data.clone();
            longer.extend_from_slice(&extra);
            prop_assert!(check_auth_data_length(&longer).is_err());
            // Cut short inside the credential data, it fails too (and never panics).
            if attested {
                for cut in [data.len() - 1, 37 + 18 + id.len(), 40, 36] {
                    prop_assert!(check_auth_data_length(&data[..cut]).is_err());
                }
            }
        }

        #[test]
        fn id_must_be_the_base64url_of_raw_id(
            raw in proptest::collection::vec(any::<u8>(), 0..100),
            other in proptest::collection::vec(any::<u8>(), 0..100),
            padded in any::<bool>(),
        ) {
            let mut id = URL_SAFE_NO_PAD.encode(&raw);
            if padded {
                while id.len() % 4 != 0 {
                    id.push('=');
                }
            }
            prop_assert!(check_structure(&id, &raw, "public-key").is_ok());
            prop_assert!(check_structure(&id, &raw, "Public-Key").is_err());
            if other != raw {
                prop_assert!(check_structure(&id, &other, "public-key").is_err());
            }
            let standard = base64::engine::general_purpose::STANDARD.encode(&raw);
            if standard.contains(['+', '/']) {
                prop_assert!(check_structure(&standard, &raw, "public-key").is_err());
            }
        }

        #[test]
        fn client_data_of_another_type_or_frame_is_refused(
            kind in "[a-z.]{0,20}",
            cross in any::<Option<bool>>(),
            top in proptest::option::of("https?://[a-z.]{1,20}(:[0-9]{1,5})?"),
        ) {
            let settings = settings();
            let mut data = serde_json::json!({
                "type": kind,
                "challenge": "AAAA",
                "origin": "http://localhost:8000",
            });
            if let Some(cross) = cross {
                data["crossOrigin"] = cross.into();
            }
            if let Some(top) = &top {
                data["topOrigin"] = top.clone().into();
            }
            let raw = data.to_string().into_bytes();
            let accepted = check_client_data(&raw, &settings, "webauthn.get").is_ok();
            let foreign_top = top.as_deref().is_some_and(|t| !settings.is_our_origin(t));
            let expected = kind == "webauthn.get" && cross != Some(true) && !foreign_top;
            prop_assert_eq!(accepted, expected);
        }
    }
}
