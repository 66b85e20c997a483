//! Sessions: a random token in a private cookie, its SHA-256 in the store.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::http::{Cookie, CookieJar, SameSite};
use sha2::{Digest, Sha256};

/// How a session was opened. Stored as bits, so one session can hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Factor {
    /// A passkey. With user verification (always required by this crate) it is also
    /// something the user is or knows, so it counts as two factors.
    Passkey,
    /// A password the app checked.
    Password,
    /// A one-time code (TOTP, SMS, email code) the app checked.
    OneTimeCode,
    /// A link sent to the user's email that the app checked.
    EmailLink,
    /// A sign-in through another identity provider (OAuth, OpenID Connect, SAML).
    External,
}

impl Factor {
    pub(crate) const ALL: [Factor; 5] = [
        Factor::Passkey,
        Factor::Password,
        Factor::OneTimeCode,
        Factor::EmailLink,
        Factor::External,
    ];

    pub(crate) fn bit(self) -> u32 {
        match self {
            Factor::Passkey => 1,
            Factor::Password => 2,
            Factor::OneTimeCode => 4,
            Factor::EmailLink => 8,
            Factor::External => 16,
        }
    }

    pub(crate) fn bits(factors: &[Factor]) -> u32 {
        factors.iter().fold(0, |bits, f| bits | f.bit())
    }

    pub(crate) fn from_bits(bits: u32) -> Vec<Factor> {
        Factor::ALL
            .into_iter()
            .filter(|f| bits & f.bit() != 0)
            .collect()
    }
}

/// Whether a session holds two factors: a passkey with user verification (something
/// the user has, unlocked by something they are or know), or two different factors.
pub(crate) fn is_multi_factor(session_factors: u32, user_verified: bool) -> bool {
    let passkey = session_factors & Factor::Passkey.bit() != 0;
    (passkey && user_verified) || session_factors.count_ones() >= 2
}

/// Whether a session may add a passkey to its account. A passkey signs in with two
/// factors, so binding one needs a session at that level (NIST SP 800-63B, binding an
/// additional authenticator: authenticated at the assurance level it will grant), or
/// at least every factor the account has: `account_factors` as the app reported them,
/// and a passkey when it has one. A password-only account without passkeys may add one
/// after its password; an account with a one-time code or a passkey needs that too.
pub(crate) fn may_add_passkey(
    session_factors: u32,
    user_verified: bool,
    account_factors: u32,
    has_passkeys: bool,
) -> bool {
    if is_multi_factor(session_factors, user_verified) {
        return true;
    }
    let passkey = if has_passkeys {
        Factor::Passkey.bit()
    } else {
        0
    };
    let required = account_factors | passkey;
    session_factors != 0 && required & !session_factors == 0
}

/// The session and ceremony cookies, named and flagged from the settings.
#[derive(Debug, Clone)]
pub(crate) struct Cookies {
    pub session: &'static str,
    pub secure: bool,
    pub mount: String,
    pub session_ttl: i64,
    pub ceremony_ttl: i64,
}

/// Which ceremony a cookie holds: a registration never finishes a sign-in, nor the reverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CeremonyKind {
    Register,
    Authenticate,
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

/// A fresh random session token.
pub(crate) fn new_token() -> [u8; 32] {
    rand::random()
}

/// What the store keeps of a token.
pub(crate) fn token_hash(token: &[u8; 32]) -> [u8; 32] {
    Sha256::digest(token).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_add_a_passkey() {
        let bits = |f: &[Factor]| Factor::bits(f);
        let password = bits(&[Factor::Password]);
        let totp = bits(&[Factor::Password, Factor::OneTimeCode]);
        let passkey = bits(&[Factor::Passkey]);
        // (session, verified, account, has passkeys) -> may add
        for (session, verified, account, has, may) in [
            (password, false, password, false, true),
            (password, false, 0, false, true),
            (password, false, totp, false, false),
            (password, false, password, true, false),
            (totp, false, totp, true, true),
            (passkey, true, totp, true, true),
            (passkey, false, 0, true, true),
            (bits(&[Factor::EmailLink]), false, password, false, false),
            (0, false, 0, false, false),
        ] {
            assert_eq!(
                may_add_passkey(session, verified, account, has),
                may,
                "{:?} verified={verified} account={:?} passkeys={has}",
                Factor::from_bits(session),
                Factor::from_bits(account)
            );
        }
    }
}
