//! [`Passkeys`]: the crate's managed state, and what an app can ask of it.

use std::sync::Arc;

use rocket::http::{CookieJar, RawStr, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use webauthn_rs::prelude::Uuid;

use crate::ceremony::Ceremonies;
use crate::enrollment;
use crate::error::Error;
use crate::input::{self, local_path};
use crate::limit::Limiter;
use crate::screens::Screens;
use crate::session::{new_token, token_hash, Cookies, Factor};
use crate::store::{EnrollmentEvent, NewSession, UserRecord};

/// See [`Passkeys::purge_expired`].
pub(crate) async fn purge_expired(ceremonies: &Ceremonies, limiter: &Limiter) -> Result<(), Error> {
    let now = ceremonies.now();
    limiter.clean();
    let store = &ceremonies.store;
    store
        .purge_finished(now - crate::store::CLAIM_SLACK)
        .await?;
    store.purge_sessions(now).await?;
    if ceremonies.settings.rate_limit.shared {
        store.purge_requests(now - 120).await?;
    }
    ceremonies.refresh_decoys().await?;
    Ok(())
}

/// A user of the app, as the app knows them, handed over after the app signed them in.
#[derive(Debug, Clone, Copy)]
pub struct AppUser<'a> {
    /// The app's id for the user. Stable: passkeys are tied to it.
    pub id: &'a str,
    /// The name the user signs in with (shown by passkey providers): at most 64
    /// characters, no control or invisible formatting characters.
    pub username: &'a str,
    /// The name to greet the user with (the username when blank); the same rules.
    pub display_name: &'a str,
    /// Every way the account can sign in besides its passkeys, as the app has it set up:
    /// `&[Factor::Password]`, or `&[Factor::Password, Factor::OneTimeCode]` once the user
    /// turned on a one-time code. A session adds a passkey only when it holds all of
    /// them (or two factors), so a password alone cannot plant a passkey that skips the
    /// code.
    pub factors: &'a [Factor],
}

/// The account record for an app user, with its names checked.
fn account(user: AppUser<'_>) -> Result<UserRecord, Error> {
    if user.id.is_empty() {
        return Err(Error::invalid("The user needs an id and a username."));
    }
    let username = input::name("username", Some(user.username))?
        .ok_or_else(|| Error::invalid("The user needs an id and a username."))?;
    // webauthn-rs refuses an empty display name: greet by the username then.
    let display_name =
        input::name("display_name", Some(user.display_name))?.unwrap_or_else(|| username.clone());
    if user.factors.contains(&Factor::Passkey) {
        return Err(Error::invalid(
            "`factors` lists the app's own ways to sign in; passkeys are the crate's.",
        ));
    }
    Ok(UserRecord {
        handle: Uuid::new_v4(),
        user_id: user.id.to_string(),
        username,
        display_name,
        factors: Factor::bits(user.factors),
    })
}

/// How progressive enrollment is doing, for operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnrollmentStats {
    /// How often the invitation was shown.
    pub prompted: u64,
    /// Passkeys created by users who had been shown the invitation.
    pub created: u64,
    /// "Not now" answers.
    pub skipped: u64,
    /// "Don't ask again" answers.
    pub never: u64,
}

/// Passkey authentication for a Rocket app: attach [`Passkeys::fairing()`].
///
/// Once attached, `&Passkeys` is also a request guard, for app routes that talk to the
/// crate (see the crate docs).
pub struct Passkeys {
    pub(crate) ceremonies: Arc<Ceremonies>,
    pub(crate) screens: Screens,
    pub(crate) limiter: Arc<Limiter>,
    pub(crate) cookies: Cookies,
}

impl Passkeys {
    /// Admits a request of this kind from this client, or answers 429: counted in the
    /// shared database with `rate_limit.shared`, else by this instance's limiter.
    pub(crate) async fn admit(
        &self,
        action: crate::limit::Action,
        client: Option<std::net::IpAddr>,
    ) -> Result<(), Error> {
        let settings = &self.ceremonies.settings;
        if !settings.rate_limit.shared {
            return self.limiter.check(action, client);
        }
        let now = self.ceremonies.now();
        let window = now - now.rem_euclid(60);
        let client = client.map(|c| c.to_string()).unwrap_or_default();
        let key = format!("{}:{client}", action.name());
        let count = self.ceremonies.store.count_request(&key, window).await?;
        let budget = settings
            .rate_limit
            .per_minute
            .max(settings.rate_limit.burst);
        if count > i64::from(budget) {
            Err(crate::limit::rate_limited((window + 60 - now).max(1) as u64))
        } else {
            Ok(())
        }
    }

    /// How many clients the rate limiter is tracking. Cleaned every minute.
    pub fn rate_limited_clients(&self) -> usize {
        self.limiter.len()
    }

    /// Forgets what has expired: sessions, finished ceremonies (each is recorded until
    /// it expires, so that it finishes once), and rate-limit entries of idle clients; and
    /// takes a new sample of the accounts that the options for unknown usernames imitate.
    /// Runs every minute by itself; call it to run it now.
    pub async fn purge_expired(&self) -> Result<(), Error> {
        purge_expired(&self.ceremonies, &self.limiter).await
    }

    /// The mount path of the routes and screens, such as `/passkeys`.
    pub fn mount(&self) -> &str {
        &self.ceremonies.settings.mount
    }

    /// The relying-party id passkeys are bound to.
    pub fn rp_id(&self) -> &str {
        &self.ceremonies.settings.rp_id
    }

    /// Call after the app signed a user in by another method (a password, a one-time
    /// code, a magic link, another identity provider). Opens the crate's session for the
    /// user with these `factors` (a new token; any previous session ends) and answers
    /// where to go: the passkey invitation when it is due, else `next`.
    ///
    /// `user.factors` says which ways to sign in the account has (its password, and its
    /// one-time code when the user turned one on): until the session holds all of them
    /// (or two factors), it cannot add a passkey and is not invited to. After the second
    /// step, [`Passkeys::add_factor`] answers where to go next.
    ///
    /// `next` must be a local path (`/...`); anything else is refused with
    /// `invalid_request`, so an open redirect cannot pass through here. So are names
    /// with control or invisible formatting characters, or over 64 characters.
    ///
    /// ```rust,no_run
    /// # use rocket::{post, http::CookieJar, response::Redirect};
    /// # use rocket_passkeys::{AppUser, Error, ErrorCode, Factor, Passkeys};
    /// # fn check_password() -> Option<(String, String)> { None }
    /// #[post("/login")]
    /// async fn login(passkeys: &Passkeys, cookies: &CookieJar<'_>) -> Result<Redirect, Error> {
    ///     let (id, name) = check_password()
    ///         .ok_or_else(|| Error::new(ErrorCode::Unauthorized, "Wrong username or password."))?;
    ///     let user = AppUser {
    ///         id: &id,
    ///         username: &name,
    ///         display_name: &name,
    ///         factors: &[Factor::Password],
    ///     };
    ///     passkeys.signed_in(cookies, user, &[Factor::Password], "/home").await
    /// }
    /// ```
    pub async fn signed_in(
        &self,
        cookies: &CookieJar<'_>,
        user: AppUser<'_>,
        factors: &[Factor],
        next: &str,
    ) -> Result<Redirect, Error> {
        let next = local_path(next)
            .ok_or_else(|| Error::invalid("`next` must be a local path starting with `/`."))?;
        if factors.is_empty() || factors.contains(&Factor::Passkey) {
            return Err(Error::invalid(
                "Report the factors the app checked; passkey sign-ins open their own sessions.",
            ));
        }
        let proposed = account(user)?;
        let ceremonies = &self.ceremonies;
        let now = ceremonies.now();
        let stored = ceremonies.store.upsert_user(&proposed, now).await?;
        let bits = Factor::bits(factors);
        let previous = self.cookies.session_token(cookies).map(|t| token_hash(&t));
        self.open_session(cookies, &stored, bits, previous).await?;
        self.where_next(&stored, bits, next).await
    }

    /// Adds a factor the app checked after sign-in (a one-time code as a second step)
    /// to the current session, and answers where to go: the passkey invitation when it
    /// is now due (the session holds every factor the account has), else `next`.
    ///
    /// The session gets a new token (the old one ends), as at every step up. A passkey
    /// is not a factor the app can report: it only comes from a passkey sign-in
    /// (`invalid_request`). Answers `unauthorized` when nobody is signed in.
    pub async fn add_factor(
        &self,
        cookies: &CookieJar<'_>,
        factor: Factor,
        next: &str,
    ) -> Result<Redirect, Error> {
        let next = local_path(next)
            .ok_or_else(|| Error::invalid("`next` must be a local path starting with `/`."))?;
        if factor == Factor::Passkey {
            return Err(Error::invalid(
                "A passkey factor comes from a passkey sign-in, not from the app.",
            ));
        }
        let token = self
            .cookies
            .session_token(cookies)
            .ok_or_else(Error::unauthorized)?;
        let hash = token_hash(&token);
        let ceremonies = &self.ceremonies;
        let Some(session) = ceremonies.store.session(&hash, ceremonies.now()).await? else {
            return Err(Error::unauthorized());
        };
        let bits = session.factors | factor.bit();
        self.open_session(cookies, &session.user, bits, Some(hash))
            .await?;
        self.where_next(&session.user, bits, next).await
    }

    /// Opens a session of `user` with these factors, ending `previous`, and sets its
    /// cookie.
    async fn open_session(
        &self,
        cookies: &CookieJar<'_>,
        user: &UserRecord,
        factors: u32,
        previous: Option<[u8; 32]>,
    ) -> Result<(), Error> {
        let ceremonies = &self.ceremonies;
        let now = ceremonies.now();
        let token = new_token();
        let session = NewSession {
            token_hash: token_hash(&token),
            user_handle: user.handle,
            factors,
            user_verified: false,
            credential_id: None,
            created_at: now,
            expires_at: now + ceremonies.settings.session_ttl,
        };
        ceremonies
            .store
            .open_session(&session, previous.as_ref())
            .await?;
        self.cookies.set_session(cookies, &token);
        Ok(())
    }

    /// The invitation when it is due for this session (counted as prompted here, where
    /// the app's own sign-in decided it, not on the page a link could open), else `next`.
    async fn where_next(
        &self,
        user: &UserRecord,
        session_factors: u32,
        next: &str,
    ) -> Result<Redirect, Error> {
        let ceremonies = &self.ceremonies;
        let store = &*ceremonies.store;
        let now = ceremonies.now();
        if !enrollment::is_due(&ceremonies.settings, store, user, session_factors, now).await? {
            return Ok(Redirect::to(next.to_string()));
        }
        let who = (user.handle, user.user_id.as_str());
        let events = &*ceremonies.events;
        enrollment::record(store, events, who, EnrollmentEvent::Prompted, now).await?;
        let to = format!(
            "{}/enroll?next={}",
            ceremonies.settings.mount,
            RawStr::new(next).percent_encode()
        );
        Ok(Redirect::to(to))
    }

    /// Ends the current session, server-side, and removes its cookie.
    pub async fn sign_out(&self, cookies: &CookieJar<'_>) -> Result<(), Error> {
        if let Some(token) = self.cookies.session_token(cookies) {
            self.ceremonies
                .store
                .delete_session(&token_hash(&token))
                .await?;
        }
        self.cookies.clear_session(cookies);
        Ok(())
    }

    /// Tells the crate that the app changed how this user signs in (a new password, a
    /// one-time code turned on or off, a recovered account), from the request of the
    /// browser that made the change, with the account as it is now (`user.factors`).
    ///
    /// Every other session of the user ends, and a passkey registration started before
    /// now can no longer finish, so a session stolen before the change can neither start
    /// nor finish planting a passkey after it. The session in `cookies` stays if it is
    /// the user's. Passkeys already added stay: they are the user's own until the app
    /// says otherwise. When the change follows a compromise (a password reset after a
    /// takeover), remove the passkeys added since then with
    /// [`Passkeys::remove_passkeys_added_after`].
    pub async fn account_changed(
        &self,
        cookies: &CookieJar<'_>,
        user: AppUser<'_>,
    ) -> Result<(), Error> {
        let proposed = account(user)?;
        let ceremonies = &self.ceremonies;
        ceremonies
            .store
            .upsert_user(&proposed, ceremonies.now())
            .await?;
        let keep = self.cookies.session_token(cookies).map(|t| token_hash(&t));
        ceremonies
            .store
            .account_changed(user.id, keep.as_ref())
            .await?;
        Ok(())
    }

    /// Removes every passkey the user added after `after` (for a reset that follows a
    /// compromise: a passkey an attacker planted must not outlive it), ends the sessions
    /// those passkeys opened, voids pending registrations, and emits
    /// [`Event::PasskeyRemoved`](crate::Event::PasskeyRemoved) for each. This may remove
    /// an account's last passkey: the app then signs the user in another way. Answers
    /// how many were removed.
    pub async fn remove_passkeys_added_after(
        &self,
        user_id: &str,
        after: time::OffsetDateTime,
    ) -> Result<usize, Error> {
        let ceremonies = &self.ceremonies;
        let removed = ceremonies
            .store
            .delete_credentials_added_after(user_id, after.unix_timestamp())
            .await?;
        for credential_id in &removed {
            ceremonies.events.event(&crate::Event::PasskeyRemoved {
                user_id: user_id.to_string(),
                credential_id: base64::Engine::encode(
                    &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                    credential_id,
                ),
            });
        }
        Ok(removed.len())
    }

    /// The enrollment counters: prompts shown, passkeys created, skips, nevers. Kept in
    /// the store, so they cover every instance.
    pub async fn enrollment_stats(&self) -> Result<EnrollmentStats, Error> {
        let mut stats = EnrollmentStats::default();
        for (name, value) in self.ceremonies.store.counters().await? {
            let value = value.max(0) as u64;
            match name.as_str() {
                n if n == EnrollmentEvent::Prompted.counter() => stats.prompted = value,
                n if n == EnrollmentEvent::Enrolled.counter() => stats.created = value,
                n if n == EnrollmentEvent::Skipped.counter() => stats.skipped = value,
                n if n == EnrollmentEvent::Never.counter() => stats.never = value,
                _ => {}
            }
        }
        Ok(stats)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for &'r Passkeys {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Error> {
        match request.rocket().state::<Passkeys>() {
            Some(passkeys) => Outcome::Success(passkeys),
            None => Outcome::Error((Status::InternalServerError, Error::internal())),
        }
    }
}

impl rocket::Sentinel for &Passkeys {
    fn abort(rocket: &rocket::Rocket<rocket::Ignite>) -> bool {
        missing_fairing(rocket)
    }
}

/// True (and logged) when the passkeys fairing is not attached.
pub(crate) fn missing_fairing(rocket: &rocket::Rocket<rocket::Ignite>) -> bool {
    let missing = rocket.state::<Passkeys>().is_none();
    if missing {
        log::error!("a passkeys guard is used, but `Passkeys::fairing()` is not attached");
    }
    missing
}
