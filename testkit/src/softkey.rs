//! A hand-built authenticator on RustCrypto's p256, for the cases a well-behaved one
//! never produces: wrong flags, origins, types, user handles, ids and signatures.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const UP: u8 = 0x01;
pub const UV: u8 = 0x04;
pub const BE: u8 = 0x08;
pub const BS: u8 = 0x10;
pub const AT: u8 = 0x40;

/// What to get wrong. The default gets nothing wrong.
#[derive(Debug, Clone, Default)]
pub struct Tamper {
    /// Authenticator data flags instead of UP|UV (plus AT on registration).
    pub flags: Option<u8>,
    /// `clientDataJSON.origin`.
    pub origin: Option<String>,
    /// `clientDataJSON.type`.
    pub client_type: Option<String>,
    /// `clientDataJSON.topOrigin`.
    pub top_origin: Option<String>,
    /// `clientDataJSON.crossOrigin`.
    pub cross_origin: Option<bool>,
    /// `clientDataJSON.challenge`.
    pub challenge: Option<String>,
    /// The JSON `id` (normally base64url of rawId).
    pub id: Option<String>,
    /// The JSON `type`.
    pub credential_type: Option<String>,
    /// The rp id hashed into authenticator data.
    pub rp_id: Option<String>,
    /// The user handle sent with an assertion: Some(None) sends none.
    pub user_handle: Option<Option<Vec<u8>>>,
    /// Bytes appended to the authenticator data.
    pub trailing: Vec<u8>,
    /// Flip a bit of the signature.
    pub bad_signature: bool,
    /// The algorithm the COSE key claims (ES256 is -7).
    pub cose_alg: Option<i64>,
    /// Cut the attestation object to this many bytes.
    pub truncate_attestation: Option<usize>,
    /// Send these bytes as the attestation object instead.
    pub attestation_object: Option<Vec<u8>>,
}

/// One credential: a P-256 key, an id, and the user handle it was created for.
pub struct SoftKey {
    pub key: SigningKey,
    pub credential_id: Vec<u8>,
    pub user_handle: Vec<u8>,
    pub counter: u32,
    pub rp_id: String,
    pub origin: String,
    cose_alg: i64,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SoftKey {
    pub fn new(credential_id: Vec<u8>) -> Self {
        SoftKey {
            key: SigningKey::random(&mut rand::thread_rng()),
            credential_id,
            user_handle: Vec::new(),
            counter: 0,
            rp_id: "localhost".into(),
            origin: crate::app::ORIGIN.into(),
            cose_alg: -7,
        }
    }

    pub fn random() -> Self {
        SoftKey::new(rand::random::<[u8; 16]>().to_vec())
    }

    fn client_data(&self, kind: &str, options: &Value, tamper: &Tamper) -> Vec<u8> {
        let challenge = tamper.challenge.clone().unwrap_or_else(|| {
            options["publicKey"]["challenge"]
                .as_str()
                .unwrap_or("")
                .into()
        });
        let mut data = json!({
            "type": tamper.client_type.clone().unwrap_or_else(|| kind.into()),
            "challenge": challenge,
            "origin": tamper.origin.clone().unwrap_or_else(|| self.origin.clone()),
            "crossOrigin": tamper.cross_origin.unwrap_or(false),
        });
        if let Some(top) = &tamper.top_origin {
            data["topOrigin"] = json!(top);
        }
        data.to_string().into_bytes()
    }

    fn auth_data(&self, flags: u8, tamper: &Tamper, attested: Option<Vec<u8>>) -> Vec<u8> {
        let rp_id = tamper.rp_id.as_deref().unwrap_or(&self.rp_id);
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        data.push(flags);
        data.extend_from_slice(&self.counter.to_be_bytes());
        if let Some(attested) = attested {
            data.extend(attested);
        }
        data.extend_from_slice(&tamper.trailing);
        data
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        let x = point.x().expect("x").to_vec();
        let y = point.y().expect("y").to_vec();
        let map = Cbor::Map(vec![
            (Cbor::Integer(1.into()), Cbor::Integer(2.into())),
            (Cbor::Integer(3.into()), Cbor::Integer(self.cose_alg.into())),
            (Cbor::Integer((-1).into()), Cbor::Integer(1.into())),
            (Cbor::Integer((-2).into()), Cbor::Bytes(x)),
            (Cbor::Integer((-3).into()), Cbor::Bytes(y)),
        ]);
        let mut out = Vec::new();
        ciborium::into_writer(&map, &mut out).expect("cbor");
        out
    }

    /// A registration response for these creation options.
    pub fn register(&mut self, options: &Value, tamper: &Tamper) -> Value {
        if let Some(id) = options["publicKey"]["user"]["id"].as_str() {
            self.user_handle = URL_SAFE_NO_PAD.decode(id).expect("user id");
        }
        let client_data = self.client_data("webauthn.create", options, tamper);
        self.cose_alg = tamper.cose_alg.unwrap_or(-7);
        let mut attested = vec![0u8; 16]; // AAGUID: none
        attested.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        attested.extend_from_slice(&self.credential_id);
        attested.extend(self.cose_key());
        let flags = tamper.flags.unwrap_or(UP | UV | AT);
        let auth_data = self.auth_data(flags, tamper, Some(attested));
        let object = Cbor::Map(vec![
            (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
            (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
            (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
        ]);
        let mut attestation_object = Vec::new();
        ciborium::into_writer(&object, &mut attestation_object).expect("cbor");
        if let Some(len) = tamper.truncate_attestation {
            attestation_object.truncate(len);
        }
        if let Some(raw) = &tamper.attestation_object {
            attestation_object = raw.clone();
        }
        json!({
            "id": tamper.id.clone().unwrap_or_else(|| b64(&self.credential_id)),
            "rawId": b64(&self.credential_id),
            "type": tamper.credential_type.clone().unwrap_or_else(|| "public-key".into()),
            "response": {
                "clientDataJSON": b64(&client_data),
                "attestationObject": b64(&attestation_object),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// An assertion for these request options.
    pub fn assert(&mut self, options: &Value, tamper: &Tamper) -> Value {
        let client_data = self.client_data("webauthn.get", options, tamper);
        let flags = tamper.flags.unwrap_or(UP | UV);
        let auth_data = self.auth_data(flags, tamper, None);
        let mut message = auth_data.clone();
        message.extend_from_slice(&Sha256::digest(&client_data));
        let signature: Signature = self.key.sign(&message);
        let mut signature = signature.to_der().as_bytes().to_vec();
        if tamper.bad_signature {
            let last = signature.len() - 1;
            signature[last] ^= 0x01;
        }
        let user_handle = match &tamper.user_handle {
            Some(handle) => handle.clone(),
            None => Some(self.user_handle.clone()),
        };
        json!({
            "id": tamper.id.clone().unwrap_or_else(|| b64(&self.credential_id)),
            "rawId": b64(&self.credential_id),
            "type": tamper.credential_type.clone().unwrap_or_else(|| "public-key".into()),
            "response": {
                "clientDataJSON": b64(&client_data),
                "authenticatorData": b64(&auth_data),
                "signature": b64(&signature),
                "userHandle": user_handle.map(|h| b64(&h)),
            },
            "clientExtensionResults": {},
        })
    }
}
