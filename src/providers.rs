//! Passkey provider names from the authenticator's AAGUID.
//!
//! The list (`data/aaguid-names.json`) comes from the community-maintained
//! passkey-authenticator-aaguids list. It names passkeys in account screens; it is
//! never used for a security decision.

use std::collections::HashMap;

use webauthn_rs::prelude::Uuid;

/// The name of a passkey whose provider is unknown.
pub(crate) const DEFAULT_NAME: &str = "Passkey";

/// AAGUID -> provider name.
#[derive(Debug, Clone)]
pub(crate) struct Providers(HashMap<Uuid, String>);

impl Providers {
    /// The list shipped with the crate. An unreadable list names every passkey "Passkey".
    pub fn builtin() -> Self {
        let raw: HashMap<String, String> =
            serde_json::from_str(include_str!("../data/aaguid-names.json")).unwrap_or_default();
        Providers(
            raw.into_iter()
                .filter_map(|(k, v)| Some((Uuid::parse_str(&k).ok()?, v)))
                .filter(|(_, v)| !v.trim().is_empty())
                .collect(),
        )
    }

    /// The provider's name, or "Passkey".
    pub fn name(&self, aaguid: Option<Uuid>) -> &str {
        aaguid
            .and_then(|a| self.0.get(&a))
            .map(String::as_str)
            .unwrap_or(DEFAULT_NAME)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_providers() {
        let providers = Providers::builtin();
        let google = Uuid::parse_str("ea9b8d66-4d01-1d21-3ce4-b6b48cb575d4").unwrap();
        assert_eq!(providers.name(Some(google)), "Google Password Manager");
        assert_eq!(providers.name(Some(Uuid::nil())), "Passkey");
        assert_eq!(providers.name(None), "Passkey");
    }
}
