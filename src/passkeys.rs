//! [`Passkeys`]: the crate's managed state, and what an app can ask of it. Each method
//! translates cookies into a call of a service and back.

use std::sync::Arc;

use rocket::http::{CookieJar, Status};
use rocket::request::{FromRequest, Outcome, Request};
use rocket::response::Redirect;
use webauthn_rs::prelude::Uuid;

use crate::admin::Admin;
use crate::base::Core;
use crate::config::Settings;
use crate::cookies::Cookies;
use crate::error::Error;
use crate::factor::Factor;
use crate::input::{Name, Next};
use crate::limit::Limiter;
use crate::screens::Screens;
use crate::service::admin::Admin as AdminService;
use crate::service::ceremonies::Ceremonies;
use crate::service::enrollment::{Enrollment, EnrollmentStats, Landing};
use crate::service::management::Management;
use crate::service::recovery::Recovery;
use crate::service::sessions::{token_hash, Sessions};
use crate::store::UserRecord;

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
    let missing = "The user needs an id and a username.";
    if user.id.is_empty() {
        return Err(Error::invalid(missing));
    }
    let username = Name::required("username", Some(user.username), missing)?.into_string();
    // webauthn-rs refuses an empty display name: greet by the username then.
    let display_name = Name::parse("display_name", Some(user.display_name))?
        .map_or_else(|| username.clone(), Name::into_string);
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

/// Passkey authentication for a Rocket app: attach [`Passkeys::fairing()`].
///
/// Once attached, `&Passkeys` is also a request guard, for app routes that talk to the
/// crate (see the crate docs).
pub struct Passkeys {
    core: Arc<Core>,
    pub(crate) ceremonies: Arc<Ceremonies>,
    pub(crate) sessions: Arc<Sessions>,
    pub(crate) management: Arc<Management>,
    pub(crate) enrollment: Arc<Enrollment>,
    pub(crate) recovery: Arc<Recovery>,
    pub(crate) admin: Arc<AdminService>,
    pub(crate) screens: Screens,
    pub(crate) limiter: Arc<Limiter>,
    pub(crate) cookies: Cookies,
}

impl std::fmt::Debug for Passkeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passkeys")
            .field("rp_id", &self.rp_id())
            .field("mount", &self.mount())
            .finish_non_exhaustive()
    }
}

/// The services, assembled at ignite.
pub(crate) struct Parts {
    pub core: Arc<Core>,
    pub ceremonies: Arc<Ceremonies>,
    pub sessions: Arc<Sessions>,
    pub management: Arc<Management>,
    pub enrollment: Arc<Enrollment>,
    pub recovery: Arc<Recovery>,
    pub admin: Arc<AdminService>,
    pub screens: Screens,
    pub limiter: Arc<Limiter>,
    pub cookies: Cookies,
}

/// What the minute's cleanup works on.
pub(crate) struct Maintenance {
    core: Arc<Core>,
    ceremonies: Arc<Ceremonies>,
    limiter: Arc<Limiter>,
    recovery: Arc<Recovery>,
}

impl Maintenance {
    /// See [`Passkeys::purge_expired`].
    pub async fn run(&self) -> Result<(), Error> {
        self.recovery.clean();
        self.limiter.clean(self.core.now()).await?;
        self.ceremonies.forget_expired().await?;
        self.ceremonies.refresh_decoys().await
    }
}

impl Passkeys {
    pub(crate) fn assemble(parts: Parts) -> Self {
        Passkeys {
            core: parts.core,
            ceremonies: parts.ceremonies,
            sessions: parts.sessions,
            management: parts.management,
            enrollment: parts.enrollment,
            recovery: parts.recovery,
            admin: parts.admin,
            screens: parts.screens,
            limiter: parts.limiter,
            cookies: parts.cookies,
        }
    }

    /// What the minute's cleanup works on.
    pub(crate) fn maintenance(&self) -> Maintenance {
        Maintenance {
            core: self.core.clone(),
            ceremonies: self.ceremonies.clone(),
            limiter: self.limiter.clone(),
            recovery: self.recovery.clone(),
        }
    }

    /// The checked configuration.
    pub(crate) fn settings(&self) -> &Settings {
        self.core.settings()
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
        self.maintenance().run().await
    }

    /// The mount path of the routes and screens, such as `/passkeys`.
    pub fn mount(&self) -> &str {
        &self.settings().mount
    }

    /// The relying-party id passkeys are bound to.
    pub fn rp_id(&self) -> &str {
        &self.settings().rp_id
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
        let next = Next::parse(next)?;
        if factors.is_empty() || factors.contains(&Factor::Passkey) {
            return Err(Error::invalid(
                "Report the factors the app checked; passkey sign-ins open their own sessions.",
            ));
        }
        let proposed = account(user)?;
        let bits = Factor::bits(factors);
        let previous = self.cookies.session_token(cookies).map(|t| token_hash(&t));
        let (stored, token) = self.sessions.app_sign_in(&proposed, bits, previous).await?;
        self.cookies.set_session(cookies, &token);
        let landing = self.enrollment.after_sign_in(&stored, bits, next).await?;
        Ok(self.land(cookies, landing))
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
        let next = Next::parse(next)?;
        let token = self.cookies.session_token(cookies);
        let (user, bits, token) = self.sessions.step_up(token, factor).await?;
        self.cookies.set_session(cookies, &token);
        let landing = self.enrollment.after_sign_in(&user, bits, next).await?;
        Ok(self.land(cookies, landing))
    }

    /// The redirect of a landing, with the mark that asks its page's script for an
    /// automatic upgrade when there is one.
    fn land(&self, cookies: &CookieJar<'_>, landing: Landing) -> Redirect {
        if landing.upgrade {
            self.cookies.set_upgrade(cookies);
        }
        Redirect::to(landing.to)
    }

    /// Ends the current session, server-side, and removes its cookie.
    pub async fn sign_out(&self, cookies: &CookieJar<'_>) -> Result<(), Error> {
        self.sessions
            .end(self.cookies.session_token(cookies))
            .await?;
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
        let account = account(user)?;
        let keep = self.cookies.session_token(cookies).map(|t| token_hash(&t));
        self.sessions.account_changed(&account, keep).await
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
        self.management
            .remove_added_after(user_id, after.unix_timestamp())
            .await
    }

    /// The admin API: any account's passkeys and sessions (see [`Admin`]).
    pub fn admin(&self) -> Admin<'_> {
        Admin::new(self)
    }

    /// The enrollment counters: how often sign-ins sent users to the invitation,
    /// passkeys created after it, skips, nevers. Kept in the store, so they cover every
    /// instance.
    pub async fn enrollment_stats(&self) -> Result<EnrollmentStats, Error> {
        self.enrollment.stats().await
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
