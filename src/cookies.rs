//! The session and ceremony cookies: HTTP only. A session cookie holds a random token
//! (its SHA-256 is what the store keeps); a ceremony cookie holds a started ceremony,
//! sealed. Both are private cookies (AES-256-GCM under Rocket's `secret_key`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::http::{Cookie, CookieJar, SameSite};

use crate::service::ceremonies::CeremonyKind;

/// The session and ceremony cookies, named and flagged from the settings.
#[derive(Debug, Clone)]
pub(crate) struct Cookies {
    pub session: &'static str,
    pub secure: bool,
    pub mount: String,
    pub session_ttl: i64,
    pub ceremony_ttl: i64,
}

impl Cookies {
    pub fn new(secure: bool, mount: &str, session_ttl: i64, ceremony_ttl: i64) -> Self {
        Cookies {
            // `__Host-` binds the cookie to this exact host, https only.
            session: if secure {
                "__Host-passkeys_session"
            } else {
                "passkeys_session"
            },
            secure,
            mount: mount.to_string(),
            session_ttl,
            ceremony_ttl,
        }
    }

    fn ceremony_name(kind: CeremonyKind) -> &'static str {
        match kind {
            CeremonyKind::Register => "passkeys_registration",
            CeremonyKind::Authenticate => "passkeys_sign_in",
        }
    }

    /// The session token in the request, if any (and not tampered with).
    pub fn session_token(&self, jar: &CookieJar<'_>) -> Option<[u8; 32]> {
        decode(jar.get_private(self.session)?.value())
    }

    pub fn set_session(&self, jar: &CookieJar<'_>, token: &[u8; 32]) {
        let cookie = Cookie::build((self.session, URL_SAFE_NO_PAD.encode(token)))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(rocket::time::Duration::seconds(self.session_ttl))
            .expires(expiry(self.session_ttl));
        jar.add_private(cookie);
    }

    /// Asks the next page's script to try an automatic passkey upgrade (`auto_upgrade`):
    /// a mark the script reads and removes, holding nothing secret (the registration it
    /// starts is checked like any other).
    pub fn set_upgrade(&self, jar: &CookieJar<'_>) {
        let cookie = Cookie::build(("passkeys_upgrade", "1"))
            .path("/")
            .http_only(false)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(rocket::time::Duration::seconds(600));
        jar.add(cookie);
    }

    pub fn clear_session(&self, jar: &CookieJar<'_>) {
        jar.remove_private(Cookie::build(self.session).path("/"));
    }

    /// Hands the browser a started ceremony (sealed by the jar), replacing its previous
    /// one of the same kind.
    pub fn set_ceremony(&self, jar: &CookieJar<'_>, kind: CeremonyKind, value: String) {
        let cookie = Cookie::build((Self::ceremony_name(kind), value))
            .path(self.mount.clone())
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Strict)
            .max_age(rocket::time::Duration::seconds(self.ceremony_ttl))
            .expires(expiry(self.ceremony_ttl));
        jar.add_private(cookie);
    }

    /// Takes the started ceremony of this kind out of the jar: the cookie is removed
    /// whatever happens next. One that does not open (forged, tampered with, sealed
    /// under another key, or under the other kind's name) is none.
    pub fn take_ceremony(&self, jar: &CookieJar<'_>, kind: CeremonyKind) -> Option<String> {
        let name = Self::ceremony_name(kind);
        let value = jar.get_private(name).map(|c| c.value().to_string());
        if jar.get(name).is_some() || value.is_some() {
            jar.remove_private(Cookie::build(name).path(self.mount.clone()));
        }
        value
    }
}

/// The browser's copy expires with the server's (private cookies otherwise get a week).
fn expiry(seconds: i64) -> rocket::time::OffsetDateTime {
    rocket::time::OffsetDateTime::now_utc() + rocket::time::Duration::seconds(seconds)
}

fn decode<const N: usize>(value: &str) -> Option<[u8; N]> {
    URL_SAFE_NO_PAD.decode(value).ok()?.try_into().ok()
}
