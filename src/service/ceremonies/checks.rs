//! The checks of what browsers send that webauthn-rs leaves to us, with property tests of
//! this parsing: `type` and `id` = `rawId`, client data of the right ceremony and not in
//! another site's frame, authenticator data with nothing after its last part, and the
//! AAGUID of a new passkey.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use webauthn_rs::prelude::Uuid;

use crate::config::Settings;
use crate::error::Error;

/// The checks the library leaves to us: `type` and `id` = `rawId`. The stored id is
/// always the one in the signed authenticator data, never these.
pub(crate) fn check_structure(id: &str, raw_id: &[u8], type_: &str) -> Result<(), Error> {
    if type_ != "public-key" {
        return Err(Error::invalid("`type` must be \"public-key\"."));
    }
    match URL_SAFE_NO_PAD.decode(id.trim_end_matches('=')) {
        Ok(id) if id == raw_id => Ok(()),
        _ => Err(Error::invalid(
            "`id` must be the base64url form of `rawId`.",
        )),
    }
}

/// Refuses a `topOrigin` that is not ours (webauthn-rs does not read it), and client
/// data of the wrong ceremony type before the library sees it.
pub(crate) fn check_client_data(
    raw: &[u8],
    settings: &Settings,
    expected_type: &str,
) -> Result<(), String> {
    #[derive(Deserialize)]
    struct ClientData<'a> {
        #[serde(rename = "type")]
        type_: &'a str,
        #[serde(rename = "topOrigin")]
        top_origin: Option<&'a str>,
        #[serde(rename = "crossOrigin")]
        cross_origin: Option<bool>,
    }
    let data: ClientData<'_> =
        serde_json::from_slice(raw).map_err(|e| format!("clientDataJSON does not parse: {e}"))?;
    if data.type_ != expected_type {
        return Err(format!("clientDataJSON type is {:?}", data.type_));
    }
    // Passkeys are not offered inside other sites' frames.
    if data.cross_origin == Some(true) {
        return Err("clientDataJSON says crossOrigin".into());
    }
    if let Some(top) = data.top_origin {
        if !settings.is_our_origin(top) {
            return Err("clientDataJSON topOrigin is another site".into());
        }
    }
    Ok(())
}

/// The authenticator data inside an attestation object.
pub(crate) fn auth_data_of(attestation_object: &[u8]) -> Option<Vec<u8>> {
    let value: ciborium::Value = ciborium::from_reader(attestation_object).ok()?;
    value
        .as_map()?
        .iter()
        .find(|(k, _)| k.as_text() == Some("authData"))?
        .1
        .as_bytes()
        .cloned()
}

/// The authenticator model's AAGUID, from the attested credential data.
pub(crate) fn aaguid_of(auth_data: &[u8]) -> Option<Uuid> {
    // rpIdHash (32) | flags (1) | signCount (4) | AAGUID (16) | ...
    let aaguid = Uuid::from_slice(auth_data.get(37..53)?).ok()?;
    (!aaguid.is_nil()).then_some(aaguid)
}

/// Refuses authenticator data with bytes after its last part (webauthn-rs ignores them;
/// the FIDO conformance suite expects a failure). Layout: rpIdHash (32), flags (1),
/// signCount (4), then attested credential data when AT is set (AAGUID 16, id length 2,
/// id, COSE key), then an extensions map when ED is set.
pub(crate) fn check_auth_data_length(auth_data: &[u8]) -> Result<(), String> {
    const AT: u8 = 0x40;
    const ED: u8 = 0x80;
    let flags = *auth_data.get(32).ok_or("authenticator data is too short")?;
    let mut rest = auth_data
        .get(37..)
        .ok_or("authenticator data is too short")?;
    if flags & AT != 0 {
        let id_len = rest
            .get(16..18)
            .map(|b| u16::from_be_bytes([b[0], b[1]]) as usize)
            .ok_or("attested credential data is too short")?;
        rest = rest
            .get(18 + id_len..)
            .ok_or("attested credential data is too short")?;
        let _: ciborium::Value = ciborium::from_reader(&mut rest)
            .map_err(|_| "the credential public key does not parse")?;
    }
    if flags & ED != 0 {
        let _: ciborium::Value =
            ciborium::from_reader(&mut rest).map_err(|_| "the extensions do not parse")?;
    }
    if rest.is_empty() {
        Ok(())
    } else {
        Err(format!("{} bytes after the authenticator data", rest.len()))
    }
}

/// Property tests of the crate's own parsing of what browsers send, beside the mutation
/// fuzzer over the routes (`tests/fuzz.rs`): arbitrary input never panics, and the
/// structural checks accept exactly the well-formed cases.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod parsing {
    use super::*;
    use proptest::prelude::*;

    fn settings() -> Settings {
        crate::config::Config::default().settings(8000).unwrap()
    }

    /// A COSE P-256 public key as CBOR (the shape the key has in attested data).
    fn cose_key(x: &[u8], y: &[u8]) -> Vec<u8> {
        use ciborium::Value as V;
        let map = V::Map(vec![
            (V::Integer(1.into()), V::Integer(2.into())),
            (V::Integer(3.into()), V::Integer((-7).into())),
            (V::Integer((-1).into()), V::Integer(1.into())),
            (V::Integer((-2).into()), V::Bytes(x.to_vec())),
            (V::Integer((-3).into()), V::Bytes(y.to_vec())),
        ]);
        let mut out = Vec::new();
        let written = ciborium::into_writer(&map, &mut out);
        assert!(written.is_ok());
        out
    }

    /// Authenticator data: with attested credential data when `credential_id` is given.
    fn auth_data(flags: u8, counter: u32, credential_id: Option<&[u8]>) -> Vec<u8> {
        let mut data = vec![7u8; 32];
        data.push(flags);
        data.extend_from_slice(&counter.to_be_bytes());
        if let Some(id) = credential_id {
            data.extend_from_slice(&[0u8; 16]);
            data.extend_from_slice(&(id.len() as u16).to_be_bytes());
            data.extend_from_slice(id);
            data.extend_from_slice(&cose_key(&[1; 32], &[2; 32]));
        }
        data
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = check_auth_data_length(&bytes);
            let _ = auth_data_of(&bytes);
            let _ = aaguid_of(&bytes);
            let settings = settings();
            let _ = check_client_data(&bytes, &settings, "webauthn.get");
        }

        #[test]
        fn well_formed_authenticator_data_passes_and_any_extra_byte_fails(
            counter in any::<u32>(),
            id in proptest::collection::vec(any::<u8>(), 1..200),
            attested in any::<bool>(),
            extra in proptest::collection::vec(any::<u8>(), 1..40),
        ) {
            let flags = 0x05 | if attested { 0x40 } else { 0 };
            let data = auth_data(flags, counter, attested.then_some(&id[..]));
            prop_assert_eq!(check_auth_data_length(&data), Ok(()));
            let mut longer = data.clone();
            longer.extend_from_slice(&extra);
            prop_assert!(check_auth_data_length(&longer).is_err());
            // Cut short inside the credential data, it fails too (and never panics).
            if attested {
                for cut in [data.len() - 1, 37 + 18 + id.len(), 40, 36] {
                    prop_assert!(check_auth_data_length(&data[..cut]).is_err());
                }
            }
        }

        #[test]
        fn id_must_be_the_base64url_of_raw_id(
            raw in proptest::collection::vec(any::<u8>(), 0..100),
            other in proptest::collection::vec(any::<u8>(), 0..100),
            padded in any::<bool>(),
        ) {
            let mut id = URL_SAFE_NO_PAD.encode(&raw);
            if padded {
                while id.len() % 4 != 0 {
                    id.push('=');
                }
            }
            prop_assert!(check_structure(&id, &raw, "public-key").is_ok());
            prop_assert!(check_structure(&id, &raw, "Public-Key").is_err());
            if other != raw {
                prop_assert!(check_structure(&id, &other, "public-key").is_err());
            }
            let standard = base64::engine::general_purpose::STANDARD.encode(&raw);
            if standard.contains(['+', '/']) {
                prop_assert!(check_structure(&standard, &raw, "public-key").is_err());
            }
        }

        #[test]
        fn client_data_of_another_type_or_frame_is_refused(
            kind in "[a-z.]{0,20}",
            cross in any::<Option<bool>>(),
            top in proptest::option::of("https?://[a-z.]{1,20}(:[0-9]{1,5})?"),
        ) {
            let settings = settings();
            let mut data = serde_json::json!({
                "type": kind,
                "challenge": "AAAA",
                "origin": "http://localhost:8000",
            });
            if let Some(cross) = cross {
                data["crossOrigin"] = cross.into();
            }
            if let Some(top) = &top {
                data["topOrigin"] = top.clone().into();
            }
            let raw = data.to_string().into_bytes();
            let accepted = check_client_data(&raw, &settings, "webauthn.get").is_ok();
            let foreign_top = top.as_deref().is_some_and(|t| !settings.is_our_origin(t));
            let expected = kind == "webauthn.get" && cross != Some(true) && !foreign_top;
            prop_assert_eq!(accepted, expected);
        }
    }
}
