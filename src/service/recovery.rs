//! Recovery codes for passkey-only accounts (`recovery_codes`): ten single-use codes,
//! shown once, kept only as hashes. A code signs its account in as one factor (enough to
//! create a new passkey), ends every other session and voids pending registrations.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::Uuid;

use crate::base::Core;
use crate::error::{Error, ErrorCode};
use crate::events::Event;
use crate::factor::Factor;
use crate::input::username_key;
use crate::measure;
use crate::service::management::Management;
use crate::service::sessions::{Current, Sessions};
use crate::store::UserRecord;

/// How many codes a set has.
pub(crate) const CODES: usize = 10;

/// The alphabet of codes (Crockford's base 32: no I, L, O or U to misread).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters per code: 16 of 32 symbols, 80 random bits.
const LENGTH: usize = 16;

/// Guesses at one account name from one client address: a burst of this many, then one
/// more every [`ACCOUNT_REFILL`] (on top of the address's own budget for all names).
/// Deliberately not one budget per name for all addresses: strangers could then spend
/// it and lock the owner, who has lost every passkey, out of the account. Guessing is
/// stopped by the codes' 80 bits (one guess in about 10^23 hits one of ten), not by
/// this; it keeps one address from hammering one account.
const ACCOUNT_BURST: u32 = 10;
const ACCOUNT_REFILL: Duration = Duration::from_secs(360);

/// The most (name, address) pairs tracked at once: about 60 bytes each. Past this (a
/// flood of distinct names from many addresses), the per-address limit alone applies
/// until the minute's cleanup, and a warning says so; nobody is refused for it.
const TRACKED_MAX: usize = 200_000;

fn failed() -> Error {
    Error::coded(ErrorCode::RecoveryFailed)
}

/// A new random code, as shown: `XXXX-XXXX-XXXX-XXXX`.
fn new_code() -> String {
    let bytes: [u8; LENGTH] = rand::random();
    let symbols: Vec<char> = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)] as char)
        .collect();
    symbols
        .chunks(4)
        .map(|chunk| chunk.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed code as stored: upper case, without separators, with the letters people
/// confuse read as the digits they look like. None when it cannot be a code.
fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\u{a0}'))
        .map(|c| match c.to_ascii_uppercase() {
            'I' | 'L' => '1',
            'O' => '0',
            other => other,
        })
        .collect();
    let valid = code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(code)
}

/// What the store keeps of a code: its SHA-256 with the account's handle (80 random
/// bits need no slow hash; the handle keeps two accounts' equal codes apart).
fn hash(handle: Uuid, code: &str) -> [u8; 32] {
    let mut digest = Sha256::new();
    digest.update(b"rocket_passkeys recovery code\0");
    digest.update(handle.as_bytes());
    digest.update(code.as_bytes());
    digest.finalize().into()
}

pub(crate) struct Recovery {
    core: Arc<Core>,
    sessions: Arc<Sessions>,
    management: Arc<Management>,
    /// Guesses per username and client address, known names or not (so the limit says
    /// nothing of which names have accounts), keyed by 16 bytes of a SHA-256 of both.
    guesses: DefaultKeyedRateLimiter<[u8; 16]>,
}

impl std::fmt::Debug for Recovery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recovery").finish_non_exhaustive()
    }
}

impl Recovery {
    pub fn new(core: Arc<Core>, sessions: Arc<Sessions>, management: Arc<Management>) -> Self {
        let burst = NonZeroU32::new(ACCOUNT_BURST).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(ACCOUNT_REFILL)
            .unwrap_or_else(|| Quota::per_hour(NonZeroU32::MIN))
            .allow_burst(burst);
        Recovery {
            core,
            sessions,
            management,
            guesses: RateLimiter::keyed(quota),
        }
    }

    pub fn enabled(&self) -> bool {
        self.core.settings().recovery_codes
    }

    /// Whether this account gets recovery codes: with the setting on, a passkey-only
    /// account (the app recovers the others its own way).
    pub fn offered_to(&self, user: &UserRecord) -> bool {
        self.enabled() && user.factors == 0
    }

    /// A new set of codes for the account, voiding the ones before; answers them (the
    /// only time they are readable).
    async fn generate(&self, user: &UserRecord) -> Result<Vec<String>, Error> {
        let codes: Vec<String> = (0..CODES).map(|_| new_code()).collect();
        let hashes: Vec<[u8; 32]> = codes
            .iter()
            .filter_map(|code| normalise(code))
            .map(|code| hash(user.handle, &code))
            .collect();
        self.core
            .store()
            .set_recovery_codes(user.handle, &hashes, self.core.now())
            .await?;
        self.core.event(Event::RecoveryCodesGenerated {
            user_id: user.user_id.clone(),
        });
        Ok(codes)
    }

    /// The first codes of a new account, when it gets them. The account exists either
    /// way: a failure is logged, and the manage screen makes codes later.
    pub async fn after_sign_up(&self, user: &UserRecord) -> Option<Vec<String>> {
        if !self.offered_to(user) {
            return None;
        }
        match self.generate(user).await {
            Ok(codes) => Some(codes),
            Err(e) => {
                log::error!("passkeys: the recovery codes of a new account were not made: {e}");
                None
            }
        }
    }

    /// New codes for the signed-in account, voiding the old: a session that may change
    /// its passkeys, signed in recently. `not_found` when the account gets none.
    pub async fn regenerate(&self, (session, _): &Current) -> Result<Vec<String>, Error> {
        if !self.offered_to(&session.user) {
            return Err(Error::say(
                ErrorCode::NotFound,
                "error-recovery-not-offered",
            ));
        }
        self.management.may_change(session).await?;
        self.sessions.require_recent(session)?;
        self.generate(&session.user).await
    }

    /// How many unused codes the account has.
    pub async fn left(&self, handle: Uuid) -> Result<i64, Error> {
        Ok(self.core.store().recovery_codes_left(handle).await?)
    }

    /// Signs in with a recovery code: every session of the account ends (the browser's
    /// own too) and a new one opens with the recovery-code factor. One answer,
    /// `recovery_failed`, for an unknown name, a wrong or used code and an account
    /// without codes; `rate_limited` after too many guesses at one name.
    pub async fn recover(
        &self,
        username: &str,
        typed: &str,
        client: Option<IpAddr>,
        replaces: Option<[u8; 32]>,
    ) -> Result<(UserRecord, [u8; 32]), Error> {
        if !self.enabled() {
            return Err(Error::coded(ErrorCode::NotFound));
        }
        self.admit(username, client)?;
        let user = self.core.store().user_by_username(username).await?;
        let code = normalise(typed);
        // Every refusal does the same work as a wrong code of a real account (a hash and
        // the transaction that finds no code, under the nil handle that has none), so
        // that its time does not tell which names are passkey-only accounts.
        let eligible = user.filter(|u| u.factors == 0);
        let handle = match (&eligible, &code) {
            (Some(user), Some(_)) => user.handle,
            _ => Uuid::nil(),
        };
        let code_hash = hash(handle, code.as_deref().unwrap_or(""));
        let (token, session) = self
            .sessions
            .start(handle, Factor::RecoveryCode.bit(), false, None);
        let used = self
            .core
            .store()
            .recover(handle, &code_hash, &session, replaces.as_ref())
            .await?;
        let (Some(user), Some(ended)) = (&eligible, used) else {
            measure::recovery("failed");
            self.core.event(Event::RecoveryFailed {
                user_id: eligible.map(|u| u.user_id),
            });
            return Err(failed());
        };
        let user = user.clone();
        measure::recovery("used");
        measure::sessions_ended("recovery", ended);
        measure::session_opened(Factor::RecoveryCode.bit());
        self.core.event(Event::SessionsEnded {
            user_id: user.user_id.clone(),
            count: ended,
            by: "recovery",
        });
        let left = self.left(user.handle).await.unwrap_or(0);
        self.core.event(Event::RecoveryCodeUsed {
            user_id: user.user_id.clone(),
            left,
        });
        Ok((user, token))
    }

    /// Counts a guess at `username` from `client`; `rate_limited` past its budget.
    fn admit(&self, username: &str, client: Option<IpAddr>) -> Result<(), Error> {
        if self.guesses.len() >= TRACKED_MAX {
            log::warn!(
                "passkeys: over {TRACKED_MAX} recovery guessers tracked; until the next \
                 cleanup only the per-address limit applies"
            );
            return Ok(());
        }
        let mut digest = Sha256::new();
        digest.update(username_key(username).as_bytes());
        digest.update(b"\0");
        digest.update(
            client
                .map(|ip| ip.to_string())
                .unwrap_or_default()
                .as_bytes(),
        );
        let digest: [u8; 32] = digest.finalize().into();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        self.guesses.check_key(&key).map_err(|not_until| {
            measure::recovery("rate_limited");
            crate::limit::refused_until(not_until)
        })
    }

    /// Forgets names whose guesses are back to a full budget.
    pub fn clean(&self) {
        self.guesses.retain_recent();
        self.guesses.shrink_to_fit();
    }
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_people_type_them() {
        for _ in 0..100 {
            let code = new_code();
            assert_eq!(code.len(), 19);
            let stored = normalise(&code).expect("a new code reads back");
            assert_eq!(normalise(&code.to_lowercase()).as_deref(), Some(&*stored));
            assert_eq!(
                normalise(&code.replace('-', " ")).as_deref(),
                Some(&*stored)
            );
            assert_eq!(normalise(&code.replace('-', "")).as_deref(), Some(&*stored));
        }
        assert_eq!(
            normalise("oooo-iiii-llll-0000").as_deref(),
            Some("0000111111110000")
        );
        for bad in [
            "",
            "ABCD",
            "ABCD-EFGH-JKMN-PQRSU",
            "ABCD-EFGH-JKMN-PQR!",
            "ABCD-EFGH-JKMN-PQRU",
        ] {
            assert_eq!(normalise(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_hash_is_the_accounts_own() {
        let code = normalise(&new_code()).expect("a code");
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        assert_ne!(hash(a, &code), hash(b, &code));
        assert_eq!(hash(a, &code), hash(a, &code));
    }
}
