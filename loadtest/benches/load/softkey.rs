//! The load tool's authenticator: the test kit's software authenticator
//! (`rocket_passkeys_testkit::softkey`), honest, with a signature counter that goes up
//! at every assertion as a device-bound key's does.

use serde_json::Value;

use rocket_passkeys_testkit::softkey::{SoftKey as Key, Tamper};

/// One discoverable credential on one device.
pub struct SoftKey(Key);

impl SoftKey {
    pub fn new(rp_id: &str, origin: &str) -> Self {
        let mut key = Key::random();
        key.rp_id = rp_id.to_string();
        key.origin = origin.to_string();
        SoftKey(key)
    }

    /// `navigator.credentials.create()`: the registration response JSON for these options.
    pub fn register(&mut self, options: &Value) -> Result<Vec<u8>, String> {
        if options["publicKey"]["user"]["id"].as_str().is_none() {
            return Err("the creation options have no user id".into());
        }
        let body = self.0.register(options, &Tamper::default());
        Ok(body.to_string().into_bytes())
    }

    /// `navigator.credentials.get()`: an assertion JSON for these options. When the
    /// options list credentials (username-first), ours must be among them.
    pub fn assert(&mut self, options: &Value) -> Result<Vec<u8>, String> {
        if let Some(allowed) = options["publicKey"]["allowCredentials"].as_array() {
            let ours = base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                &self.0.credential_id,
            );
            let listed = allowed
                .iter()
                .any(|c| c["id"].as_str().map(|id| id.trim_end_matches('=')) == Some(&ours));
            if !allowed.is_empty() && !listed {
                return Err("the request options do not list this credential".into());
            }
        }
        if options["publicKey"]["challenge"].as_str().is_none() {
            return Err("the options have no challenge".into());
        }
        self.0.counter += 1;
        let body = self.0.assert(options, &Tamper::default());
        Ok(body.to_string().into_bytes())
    }
}
