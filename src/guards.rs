//! Request guards: who is signed in, and how.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use time::OffsetDateTime;

use crate::error::Error;
use crate::factor::Factor;
use crate::passkeys::{missing_fairing, Passkeys};
use crate::service::sessions::Current;

/// The caller's live session and its token's hash, looked up once per request.
#[derive(Debug, Clone)]
pub(crate) struct CurrentSession(pub Option<Current>);

impl CurrentSession {
    pub fn as_ref(&self) -> Option<&Current> {
        self.0.as_ref()
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for &'r CurrentSession {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Error> {
        let result = request
            .local_cache_async(async {
                let passkeys = request
                    .rocket()
                    .state::<Passkeys>()
                    .ok_or_else(Error::internal)?;
                let token = passkeys.cookies.session_token(request.cookies());
                let user_agent = request.headers().get_one("User-Agent");
                let current = passkeys.sessions.current(token, user_agent).await?;
                Ok::<_, Error>(CurrentSession(current))
            })
            .await;
        match result {
            Ok(session) => Outcome::Success(session),
            Err(e) => Outcome::Error((e.code().status(), e.clone())),
        }
    }
}

/// A signed-in user. Routes taking it forward with 401 when nobody is signed in.
///
/// ```rust,no_run
/// # use rocket::get;
/// use rocket_passkeys::PasskeyUser;
///
/// #[get("/")]
/// fn home(user: PasskeyUser) -> String {
///     format!("Hello, {}", user.display_name())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct PasskeyUser {
    user_id: String,
    username: String,
    display_name: String,
    signed_in_at: OffsetDateTime,
    factors: Vec<Factor>,
    user_verified: bool,
}

impl PasskeyUser {
    /// The app's user id (for passkeys-only apps, the crate's own account id).
    pub fn id(&self) -> &str {
        &self.user_id
    }

    /// The username chosen at sign-up.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The name to greet the user with.
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// When this session was opened.
    pub fn signed_in_at(&self) -> OffsetDateTime {
        self.signed_in_at
    }

    /// How the user signed in.
    pub fn factors(&self) -> &[Factor] {
        &self.factors
    }

    /// Whether the sign-in verified the user (biometric or PIN on the authenticator).
    pub fn user_verified(&self) -> bool {
        self.user_verified
    }

    /// Whether the session holds two factors: a passkey with user verification (the
    /// device checked a biometric or PIN, and the passkey is something the user has), or
    /// two different factors the app reported (a password and a one-time code).
    pub fn is_multi_factor(&self) -> bool {
        let passkey_verified = self.factors.contains(&Factor::Passkey) && self.user_verified;
        passkey_verified || self.factors.len() >= 2
    }
}

/// A signed-in user whose session holds two factors (see
/// [`PasskeyUser::is_multi_factor`]). Forwards with 401 when nobody is signed in and
/// with 403 when the session holds one factor, so the app can catch 403 and ask for a
/// second one.
///
/// ```rust,no_run
/// # use rocket::get;
/// use rocket_passkeys::MultiFactor;
///
/// #[get("/admin")]
/// fn admin(user: MultiFactor) -> String {
///     format!("Admin area for {}", user.username())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct MultiFactor(PasskeyUser);

impl std::ops::Deref for MultiFactor {
    type Target = PasskeyUser;

    fn deref(&self) -> &PasskeyUser {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for MultiFactor {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Error> {
        match PasskeyUser::from_request(request).await {
            Outcome::Success(user) if user.is_multi_factor() => Outcome::Success(MultiFactor(user)),
            Outcome::Success(_) => Outcome::Forward(Status::Forbidden),
            Outcome::Error(e) => Outcome::Error(e),
            Outcome::Forward(status) => Outcome::Forward(status),
        }
    }
}

impl rocket::Sentinel for MultiFactor {
    fn abort(rocket: &rocket::Rocket<rocket::Ignite>) -> bool {
        missing_fairing(rocket)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for PasskeyUser {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Error> {
        let session = match request.guard::<&CurrentSession>().await {
            Outcome::Success(session) => session,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(s) => return Outcome::Forward(s),
        };
        match &session.0 {
            Some((session, _)) => Outcome::Success(PasskeyUser {
                user_id: session.user.user_id.clone(),
                username: session.user.username.clone(),
                display_name: session.user.display_name.clone(),
                signed_in_at: OffsetDateTime::from_unix_timestamp(session.created_at)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH),
                factors: Factor::from_bits(session.factors),
                user_verified: session.user_verified,
            }),
            None => Outcome::Forward(Status::Unauthorized),
        }
    }
}

impl rocket::Sentinel for PasskeyUser {
    fn abort(rocket: &rocket::Rocket<rocket::Ignite>) -> bool {
        missing_fairing(rocket)
    }
}

/// A signed-in user whose sign-in is at most `reauth_max_age` old, for sensitive routes
/// (changing an email address, deleting the account). Forwards with 401 when nobody is
/// signed in and with 403 when the sign-in is older, so the app can catch 403 and ask
/// the user to sign in again.
///
/// ```rust,no_run
/// # use rocket::get;
/// use rocket_passkeys::RecentSignIn;
///
/// #[get("/settings/email")]
/// fn change_email(user: RecentSignIn) -> String {
///     format!("Change the email of {}", user.username())
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RecentSignIn(PasskeyUser);

impl std::ops::Deref for RecentSignIn {
    type Target = PasskeyUser;

    fn deref(&self) -> &PasskeyUser {
        &self.0
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for RecentSignIn {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Error> {
        let user = match PasskeyUser::from_request(request).await {
            Outcome::Success(user) => user,
            Outcome::Error(e) => return Outcome::Error(e),
            Outcome::Forward(status) => return Outcome::Forward(status),
        };
        let Some(passkeys) = request.rocket().state::<Passkeys>() else {
            return Outcome::Error((Status::InternalServerError, Error::internal()));
        };
        if passkeys
            .sessions
            .is_recent(user.signed_in_at.unix_timestamp())
        {
            Outcome::Success(RecentSignIn(user))
        } else {
            Outcome::Forward(Status::Forbidden)
        }
    }
}

impl rocket::Sentinel for RecentSignIn {
    fn abort(rocket: &rocket::Rocket<rocket::Ignite>) -> bool {
        missing_fairing(rocket)
    }
}
