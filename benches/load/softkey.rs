//! A software authenticator for the load tool: one P-256 key per browser, built the way
//! `tests/support/softkey.rs` builds it (RustCrypto p256, ciborium for CBOR/COSE), minus
//! the tampering. It answers creation and request options with the browser's JSON.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

/// One discoverable credential on one device.
pub struct SoftKey {
    key: SigningKey,
    credential_id: Vec<u8>,
    user_handle: Vec<u8>,
    counter: u32,
    rp_id_hash: [u8; 32],
    origin: String,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SoftKey {
    pub fn new(rp_id: &str, origin: &str) -> Self {
        SoftKey {
            key: SigningKey::random(&mut rand::thread_rng()),
            credential_id: rand::random::<[u8; 16]>().to_vec(),
            user_handle: Vec::new(),
            counter: 0,
            rp_id_hash: Sha256::digest(rp_id.as_bytes()).into(),
            origin: origin.to_string(),
        }
    }

    fn client_data(&self, kind: &str, options: &Value) -> Result<Vec<u8>, String> {
        let challenge = options["publicKey"]["challenge"]
            .as_str()
            .ok_or("the options have no challenge")?;
        let data = json!({
            "type": kind,
            "challenge": challenge,
            "origin": self.origin,
            "crossOrigin": false,
        });
        Ok(data.to_string().into_bytes())
    }

    fn auth_data(&self, flags: u8, attested: Option<Vec<u8>>) -> Vec<u8> {
        let mut data = self.rp_id_hash.to_vec();
        data.push(flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        if let Some(attested) = attested {
            data.extend(attested);
        }
        data
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let x = point.x().expect("x").to_vec();
        let y = point.y().expect("y").to_vec();
        let map = Cbor::Map(vec![
            (Cbor::Integer(1.into()), Cbor::Integer(2.into())),
            (Cbor::Integer(3.into()), Cbor::Integer((-7).into())),
            (Cbor::Integer((-1).into()), Cbor::Integer(1.into())),
            (Cbor::Integer((-2).into()), Cbor::Bytes(x)),
            (Cbor::Integer((-3).into()), Cbor::Bytes(y)),
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&map, &mut out).expect("cbor");
        out
    }

    /// `navigator.credentials.create()`: the registration response JSON for these options.
    pub fn register(&mut self, options: &Value) -> Result<Vec<u8>, String> {
        let user_id = options["publicKey"]["user"]["id"]
            .as_str()
            .ok_or("the creation options have no user id")?;
        self.user_handle = URL_SAFE_NO_PAD
            .decode(user_id.trim_end_matches('='))
            .map_err(|e| format!("the user id is not base64url: {e}"))?;
        let client_data = self.client_data("webauthn.create", options)?;
        let mut attested = vec![0u8; 16]; // AAGUID: none
        attested.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        attested.extend_from_slice(&self.credential_id);
        attested.extend(self.cose_key());
        let auth_data = self.auth_data(UP | UV | AT, Some(attested));
        let object = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]);
        let mut attestation_object = Vec::new();
        ciborium::into_writer(&object, &mut attestation_object).expect("cbor");
        let body = json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation_object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        });
        Ok(body.to_string().into_bytes())
    }

    /// `navigator.credentials.get()`: an assertion JSON for these options. When the
    /// options list credentials (username-first), ours must be among them.
    pub fn assert(&mut self, options: &Value) -> Result<Vec<u8>, String> {
        if let Some(allowed) = options["publicKey"]["allowCredentials"].as_array() {
            let ours = b64(&self.credential_id);
            let listed = allowed
                .iter()
                .any(|c| c["id"].as_str().map(|id| id.trim_end_matches('=')) == Some(&ours));
            if !allowed.is_empty() && !listed {
                return Err("the request options do not list this credential".into());
            }
        }
        self.counter += 1;
        let client_data = self.client_data("webauthn.get", options)?;
        let auth_data = self.auth_data(UP | UV, None);
        let mut message = auth_data.clone();
        message.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&message);
        let body = json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(signature.to_der().as_bytes()),
                "userHandle": b64(&self.user_handle),
            },
            "clientExtensionResults": {},
        });
        Ok(body.to_string().into_bytes())
    }
}
