//! [`Passkeys`]: the crate's managed state, and what an app can ask of it.

use std::sync::Arc;

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};

use crate::ceremony::Ceremonies;
use crate::error::Error;
use crate::limit::Limiter;
use crate::screens::Screens;
use crate::session::Cookies;

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
    /// How many ceremonies are pending (started, not finished, not expired). Bounded by
    /// `max_pending_ceremonies`.
    pub fn pending_ceremonies(&self) -> usize {
        self.ceremonies.pending.len()
    }

    /// How many clients the rate limiter is tracking. Cleaned every minute.
    pub fn rate_limited_clients(&self) -> usize {
        self.limiter.len()
    }

    /// The mount path of the routes and screens, such as `/passkeys`.
    pub fn mount(&self) -> &str {
        &self.ceremonies.settings.mount
    }

    /// The relying-party id passkeys are bound to.
    pub fn rp_id(&self) -> &str {
        &self.ceremonies.settings.rp_id
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
