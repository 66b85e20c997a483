//! [`Passkeys`]: the crate's managed state, and what an app can ask of it.

use std::sync::Arc;

use rocket::http::{CookieJar, RawStr, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use webauthn_rs::prelude::Uuid;

use crate::ceremony::Ceremonies;
use crate::config::local_path;
use crate::enrollment;
use crate::error::Error;
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
    Ok(())
}

/// A user of the app, as the app knows them, handed over after the app signed them in.
#[derive(Debug, Clone, Copy)]
pub struct AppUser<'a> {
    /// The app's id for the user. Stable: passkeys are tied to it.
    pub id: &'a str,
    /// The name the user signs in with (shown by passkey providers).
    pub username: &'a str,
    /// The name to greet the user with.
    pub display_name: &'a str,
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
    /// it expires, so that it finishes once), and rate-limit entries of idle clients.
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
    /// user with these factors (a new token; any previous session ends) and answers where
    /// to go: the passkey invitation when it is due, else `next`.
    ///
    /// `next` must be a local path (`/...`); anything else is refused with
    /// `invalid_request`, so an open redirect cannot pass through here.
    ///
    /// ```rust,no_run
    /// # use rocket::{post, http::CookieJar, response::Redirect};
    /// # use rocket_passkeys::{AppUser, Error, ErrorCode, Factor, Passkeys};
    /// # fn check_password() -> Option<(String, String)> { None }
    /// #[post("/login")]
    /// async fn login(passkeys: &Passkeys, cookies: &CookieJar<'_>) -> Result<Redirect, Error> {
    ///     let (id, name) = check_password()
    ///         .ok_or_else(|| Error::new(ErrorCode::Unauthorized, "Wrong username or password."))?;
    ///     let user = AppUser { id: &id, username: &name, display_name: &name };
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
        if user.id.is_empty() || user.username.trim().is_empty() {
            return Err(Error::invalid("The user needs an id and a username."));
        }
        let ceremonies = &self.ceremonies;
        let now = ceremonies.now();
        let proposed = UserRecord {
            handle: Uuid::new_v4(),
            user_id: user.id.to_string(),
            username: user.username.trim().to_string(),
            // webauthn-rs refuses an empty display name: greet by the username then.
            display_name: Some(user.display_name.trim())
                .filter(|name| !name.is_empty())
                .unwrap_or(user.username.trim())
                .to_string(),
        };
        let stored = ceremonies.store.upsert_user(&proposed, now).await?;
        let token = new_token();
        let session = NewSession {
            token_hash: token_hash(&token),
            user_handle: stored.handle,
            factors: Factor::bits(factors),
            user_verified: false,
            credential_id: None,
            created_at: now,
            expires_at: now + ceremonies.settings.session_ttl,
        };
        let previous = self.cookies.session_token(cookies).map(|t| token_hash(&t));
        ceremonies
            .store
            .open_session(&session, previous.as_ref())
            .await?;
        self.cookies.set_session(cookies, &token);

        let due = enrollment::is_due(&ceremonies.settings, &*ceremonies.store, stored.handle, now)
            .await?;
        Ok(if due {
            let to = format!(
                "{}/enroll?next={}",
                ceremonies.settings.mount,
                RawStr::new(next).percent_encode()
            );
            Redirect::to(to)
        } else {
            Redirect::to(next.to_string())
        })
    }

    /// Adds a factor the app checked after sign-in (a one-time code as a second step)
    /// to the current session. Answers `unauthorized` when nobody is signed in.
    pub async fn add_factor(&self, cookies: &CookieJar<'_>, factor: Factor) -> Result<(), Error> {
        let token = self
            .cookies
            .session_token(cookies)
            .ok_or_else(Error::unauthorized)?;
        let added = self
            .ceremonies
            .store
            .add_factors(&token_hash(&token), factor.bit(), self.ceremonies.now())
            .await?;
        if added {
            Ok(())
        } else {
            Err(Error::unauthorized())
        }
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
    /// recovered account), from the request of the browser that made the change: every
    /// other session of the user ends, and a passkey registration started before now can
    /// no longer finish, so a session stolen before the change can neither start nor
    /// finish planting a passkey after it. The session in `cookies` stays if it is the
    /// user's. Does nothing for a user without a passkey account.
    pub async fn account_changed(
        &self,
        cookies: &CookieJar<'_>,
        user_id: &str,
    ) -> Result<(), Error> {
        let keep = self.cookies.session_token(cookies).map(|t| token_hash(&t));
        self.ceremonies
            .store
            .account_changed(user_id, keep.as_ref())
            .await?;
        Ok(())
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
