//! Conditional registrations (automatic passkey upgrades, WebAuthn Level 3
//! `mediation: "conditional"` on `create()`): after a sign-in another way, the browser's
//! password manager may create a passkey without asking, and then reports user presence
//! and verification as false.
//!
//! webauthn-rs 0.6.2 refuses a registration without user presence. Level 3 §7.1 skips
//! that check (step 11) only when the registration was started as conditional, and the
//! user-verification check (step 12) applies only when verification was required,
//! which a conditional registration does not ask for. So, for a registration the server
//! itself started as conditional (bound in its sealed state, never taken from the
//! client), and only with attestation format `none` (whose statement is empty: nothing
//! signs the authenticator data), the crate sets the two flags in the authenticator data
//! before webauthn-rs verifies everything else (client data type, challenge, origin,
//! top origin, the rp id hash, attested credential data, the key's algorithm, backup
//! flags), and keeps what the authenticator really reported: the passkey is stored as
//! not yet user-verified until its first sign-in, which, like every sign-in, requires
//! verification. Any other format, or a statement that is not empty, is refused: there
//! a signature covers the flags, and they must not change.

use ciborium::Value as Cbor;
use webauthn_rs::prelude::{Passkey, RegisterPublicKeyCredential};

use super::registration::registration_failed;
use crate::error::Error;

const UP: u8 = 0x01;
const UV: u8 = 0x04;
/// The flags' offset in the authenticator data: after the 32-byte rp id hash.
const FLAGS: usize = 32;

/// Prepares a conditional registration's response for webauthn-rs: checks it is
/// attestation `none` with an empty statement and nothing after it, and sets user
/// presence and verification in its authenticator data.
pub(super) fn accept(credential: &mut RegisterPublicKeyCredential) -> Result<(), Error> {
    let refused = |why: &str| registration_failed(&format!("conditional registration: {why}"));
    let raw: &[u8] = credential.response.attestation_object.as_ref();
    let mut rest = raw;
    let object: Cbor = ciborium::from_reader(&mut rest)
        .map_err(|_| refused("the attestation object does not parse"))?;
    // Nothing may follow it (webauthn-rs refuses trailing data; rewriting must not drop it).
    if !rest.is_empty() {
        return Err(refused("bytes follow the attestation object"));
    }
    let Cbor::Map(mut entries) = object else {
        return Err(refused("the attestation object is not a map"));
    };
    let text = |key: &Cbor, name: &str| matches!(key, Cbor::Text(k) if k == name);
    if entries.len() != 3 {
        return Err(refused("the attestation object has other fields"));
    }
    let fmt_none = entries
        .iter()
        .any(|(k, v)| text(k, "fmt") && matches!(v, Cbor::Text(f) if f == "none"));
    if !fmt_none {
        return Err(refused("the attestation format is not \"none\""));
    }
    let empty_statement = entries
        .iter()
        .any(|(k, v)| text(k, "attStmt") && matches!(v, Cbor::Map(m) if m.is_empty()));
    if !empty_statement {
        return Err(refused("the attestation statement is not empty"));
    }
    let Some(auth_data) = entries.iter_mut().find_map(|(k, v)| match v {
        Cbor::Bytes(bytes) if text(k, "authData") => Some(bytes),
        _ => None,
    }) else {
        return Err(refused("there is no authenticator data"));
    };
    let Some(flags) = auth_data.get_mut(FLAGS) else {
        return Err(refused("the authenticator data is too short"));
    };
    *flags |= UP | UV;
    let mut rewritten = Vec::with_capacity(raw.len());
    ciborium::into_writer(&Cbor::Map(entries), &mut rewritten)
        .map_err(|_| refused("the attestation object cannot be written"))?;
    credential.response.attestation_object = rewritten;
    Ok(())
}

/// The passkey of a conditional registration: user verification not yet seen, whatever
/// its unsigned flags claimed, until its first sign-in.
pub(super) fn unverified(passkey: Passkey) -> Passkey {
    let mut credential = webauthn_rs::prelude::Credential::from(passkey);
    credential.user_verified = false;
    Passkey::from(credential)
}

/// Whether a stored passkey has verified its user: at registration, or at any sign-in
/// since (every sign-in requires it).
pub(crate) fn verified(passkey: &Passkey, last_used_at: Option<i64>) -> bool {
    last_used_at.is_some() || webauthn_rs::prelude::Credential::from(passkey.clone()).user_verified
}
