//! A started ceremony, as the browser carries it.
//!
//! Nothing of a started ceremony is kept on the server: what its finish needs (the kind,
//! the challenge, the expiry, where to go next, and who it is for) travels in a private
//! cookie, which Rocket seals with AES-256-GCM under `secret_key`, the cookie's name as
//! associated data. The browser can neither read nor change it, nor move it to the
//! cookie of the other kind. The finish rebuilds the webauthn-rs state from it, reading
//! what else it needs (the account's passkeys) from the store, and claims the ceremony's
//! id in the same transaction as what it writes, so it finishes at most once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::Uuid;

use crate::error::Error;
use crate::store::Claim;

/// Which ceremony: a registration never finishes a sign-in, nor the reverse (each has
/// its own cookie, and its sealed state says which it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CeremonyKind {
    Register,
    Authenticate,
}

/// Who a ceremony is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Purpose {
    /// A usernameless sign-in (autofill or button): the authenticator says who.
    #[serde(rename = "d")]
    Discoverable,
    /// A username-first sign-in for this account. A name without passkeys gets the nil
    /// handle, so that the sealed state has the same size either way.
    #[serde(rename = "u")]
    Account {
        #[serde(rename = "h")]
        handle: Uuid,
    },
    /// A sign-up: the account is created at finish.
    #[serde(rename = "s")]
    SignUp {
        #[serde(rename = "h")]
        handle: Uuid,
        #[serde(rename = "u")]
        username: String,
        #[serde(rename = "n")]
        display_name: String,
    },
    /// A signed-in user adding a passkey, bound to the session that started it (the
    /// hash of its token) and to the account as it was then (its generation).
    #[serde(rename = "a")]
    Add {
        #[serde(rename = "h")]
        handle: Uuid,
        #[serde(rename = "s", with = "bytes32")]
        session: [u8; 32],
        #[serde(rename = "g")]
        generation: i64,
        /// Started as a conditional registration (an automatic upgrade): the only kind
        /// whose response may lack user presence and verification.
        #[serde(rename = "c", default, skip_serializing_if = "std::ops::Not::not")]
        conditional: bool,
    },
}

/// A started ceremony: sealed into its cookie by the start, opened by the finish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Started {
    #[serde(rename = "p")]
    pub purpose: Purpose,
    /// The challenge the browser was sent (32 random bytes from webauthn-rs).
    #[serde(rename = "c", with = "bytes32")]
    pub challenge: [u8; 32],
    /// When it stops being accepted (the crate's clock, seconds).
    #[serde(rename = "e")]
    pub expires_at: i64,
    /// Where to go after it (a local path, checked at start).
    #[serde(rename = "n")]
    pub next: String,
}

impl Started {
    pub fn kind(&self) -> CeremonyKind {
        match self.purpose {
            Purpose::Discoverable | Purpose::Account { .. } => CeremonyKind::Authenticate,
            Purpose::SignUp { .. } | Purpose::Add { .. } => CeremonyKind::Register,
        }
    }

    /// What the store records when it finishes: its expiry and a digest of its
    /// challenge.
    pub fn claim(&self) -> Claim {
        let digest = Sha256::new()
            .chain_update(b"rocket_passkeys ceremony\0")
            .chain_update(self.challenge)
            .finalize();
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        Claim {
            expires_at: self.expires_at,
            id,
        }
    }

    /// The cookie value (sealed by the cookie jar).
    pub fn to_cookie(&self) -> Result<String, Error> {
        serde_json::to_string(self).map_err(|e| {
            log::error!("passkeys: cannot write a ceremony: {e}");
            Error::internal()
        })
    }

    /// The state in an opened cookie; anything that does not parse is no ceremony.
    pub fn from_cookie(value: &str) -> Option<Started> {
        serde_json::from_str(value).ok()
    }

    /// The challenge of options webauthn-rs just made.
    pub fn challenge_of(challenge: &[u8]) -> Result<[u8; 32], Error> {
        challenge.try_into().map_err(|_| {
            log::error!("passkeys: webauthn-rs made a challenge that is not 32 bytes");
            Error::internal()
        })
    }
}

/// A webauthn-rs ceremony state as JSON text around its challenge, to be filled with a
/// sealed one: the state webauthn-rs makes for this kind of ceremony, account and
/// configuration, whose own challenge is replaced. `field` names the state's inner struct
/// (`rs` for a registration, `ast` for a sign-in).
#[derive(Debug, Clone)]
pub(crate) struct StateTemplate {
    before: String,
    after: String,
}

impl StateTemplate {
    pub fn new<T: Serialize>(fresh: &T, field: &str) -> Result<Self, String> {
        const MARK: &str = "\u{1}challenge\u{1}";
        let mut value = serde_json::to_value(fresh).map_err(|e| e.to_string())?;
        let slot = value
            .get_mut(field)
            .and_then(|inner| inner.get_mut("challenge"))
            .ok_or_else(|| format!("the ceremony state has no `{field}.challenge`"))?;
        *slot = MARK.into();
        let text = value.to_string();
        let quoted = serde_json::to_string(MARK).map_err(|e| e.to_string())?;
        match text.split_once(&quoted) {
            Some((before, after)) if !after.contains(&quoted) => Ok(StateTemplate {
                before: before.to_string(),
                after: after.to_string(),
            }),
            _ => Err("the ceremony state's challenge cannot be placed".into()),
        }
    }

    /// The state with `challenge` in it.
    pub fn fill<T: DeserializeOwned>(&self, challenge: &[u8; 32]) -> Result<T, Error> {
        let mut text = String::with_capacity(self.before.len() + self.after.len() + 46);
        text.push_str(&self.before);
        text.push('"');
        text.push_str(&URL_SAFE_NO_PAD.encode(challenge));
        text.push('"');
        text.push_str(&self.after);
        serde_json::from_str(&text).map_err(|e| {
            log::error!("passkeys: cannot rebuild a ceremony state: {e}");
            Error::internal()
        })
    }
}

/// The webauthn-rs ceremony state `fresh` (made just now for the same ceremony) with the
/// sealed `challenge` in place of its own.
pub(crate) fn with_challenge<T: Serialize + DeserializeOwned>(
    fresh: &T,
    field: &str,
    challenge: &[u8; 32],
) -> Result<T, Error> {
    StateTemplate::new(fresh, field)
        .map_err(|e| {
            log::error!("passkeys: cannot rebuild a ceremony state: {e}");
            Error::internal()
        })?
        .fill(challenge)
}

/// 32 bytes as unpadded base64url.
mod bytes32 {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = <&str>::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(text)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| serde::de::Error::custom("expected 32 bytes of base64url"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn started(purpose: Purpose) -> Started {
        Started {
            purpose,
            challenge: [9; 32],
            expires_at: 1_700_000_300,
            next: "/".into(),
        }
    }

    #[test]
    fn a_started_ceremony_round_trips_and_anything_else_is_none() {
        for purpose in [
            Purpose::Discoverable,
            Purpose::Account {
                handle: Uuid::new_v4(),
            },
            Purpose::SignUp {
                handle: Uuid::new_v4(),
                username: "ali\"ce".into(),
                display_name: "Alice Ω".into(),
            },
            Purpose::Add {
                handle: Uuid::new_v4(),
                session: [3; 32],
                generation: 7,
                conditional: false,
            },
            Purpose::Add {
                handle: Uuid::new_v4(),
                session: [3; 32],
                generation: 7,
                conditional: true,
            },
        ] {
            let state = started(purpose);
            let cookie = state.to_cookie().unwrap();
            assert_eq!(Started::from_cookie(&cookie), Some(state));
        }
        for bad in [
            "",
            "{}",
            "null",
            "{\"p\":\"d\",\"c\":\"AAAA\",\"e\":1,\"n\":\"/\"}",
        ] {
            assert_eq!(Started::from_cookie(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_known_account_and_a_name_without_passkeys_seal_to_the_same_size() {
        let real = started(Purpose::Account {
            handle: Uuid::new_v4(),
        });
        let decoy = started(Purpose::Account {
            handle: Uuid::nil(),
        });
        assert_eq!(
            real.to_cookie().unwrap().len(),
            decoy.to_cookie().unwrap().len()
        );
    }

    #[test]
    fn a_template_gives_webauthn_rs_its_state_with_the_sealed_challenge() {
        use webauthn_rs::prelude::{DiscoverableAuthentication, Url, WebauthnBuilder};
        let origin = Url::parse("http://localhost:8000").unwrap();
        let webauthn = WebauthnBuilder::new("localhost", &origin)
            .unwrap()
            .build()
            .unwrap();
        let (_, fresh) = webauthn.start_discoverable_authentication().unwrap();
        let template = StateTemplate::new(&fresh, "ast").unwrap();
        let challenge = [42u8; 32];
        let filled: DiscoverableAuthentication = template.fill(&challenge).unwrap();
        let mut expected = serde_json::to_value(&fresh).unwrap();
        expected["ast"]["challenge"] = URL_SAFE_NO_PAD.encode(challenge).into();
        assert_eq!(serde_json::to_value(&filled).unwrap(), expected);
        assert!(StateTemplate::new(&fresh, "rs").is_err(), "no such field");
    }

    #[test]
    fn claims_follow_the_challenge_and_the_expiry() {
        let a = started(Purpose::Discoverable);
        let mut b = a.clone();
        assert_eq!(a.claim(), b.claim());
        b.challenge[0] ^= 1;
        assert_ne!(a.claim().id, b.claim().id);
        assert_eq!(a.claim().expires_at, a.expires_at);
    }
}
