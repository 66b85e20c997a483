//! `[default.passkeys]`: read once at ignite, defaults joined, every value checked.
//!
//! [`Config`] is what the operator writes; [`settings`] checks it into the
//! [`Settings`] the crate runs on; [`interval`] reads lengths of time such as `14d`.

mod interval;
mod settings;

pub use interval::Interval;
pub(crate) use settings::Settings;

use std::fmt;
use std::path::PathBuf;

use rocket::data::ByteUnit;
use rocket::figment::providers::{Env, Serialized};
use rocket::figment::Figment;
use serde::{Deserialize, Deserializer, Serialize};

/// The crate's configuration, the `passkeys` table of Rocket's figment.
///
/// Every field has a default; the domain defaults to `localhost` for development.
/// Environment variables override through figment: `ROCKET_PASSKEYS_RP_ID=example.com`,
/// `ROCKET_PASSKEYS_ORIGINS=https://example.com,https://www.example.com`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The relying-party id: the domain passkeys are bound to. Default: `localhost`.
    pub rp_id: String,
    /// The site name shown by the passkey provider and on the screens. Default: the `rp_id`.
    pub rp_name: Option<String>,
    /// The origins the browser may use, each the `rp_id` host or a subdomain of it, https
    /// except on localhost. A comma-separated string is accepted too. Default:
    /// `http://localhost:<port>` when the `rp_id` is `localhost`, else `https://<rp_id>`.
    #[serde(deserialize_with = "one_or_many")]
    pub origins: Vec<String>,
    /// Other origins, on other domains, that may use passkeys of this `rp_id` (WebAuthn
    /// related origins): served at `/.well-known/webauthn` and accepted at verification.
    /// Each must be https. Default: none.
    #[serde(deserialize_with = "one_or_many")]
    pub related_origins: Vec<String>,
    /// Launch even though stored passkeys were made for another `rp_id` (they will not
    /// work under this one). Default: `false`, the launch fails and says how many.
    pub allow_rp_id_change: bool,
    /// Where the routes and screens are mounted. Default: `/passkeys`.
    pub mount: String,
    /// Whether new accounts may sign up with a passkey. Default: `true`.
    pub sign_up: bool,
    /// User verification (biometric or PIN) on every ceremony. Only `required` is
    /// supported, so a passkey sign-in is always two factors. Default: `required`.
    pub user_verification: String,
    /// Discoverable credentials: `required` or `preferred`. Default: `required`.
    pub resident_key: String,
    /// After a sign-in by another method (a password), invite users without a passkey to
    /// create one. Default: `false`.
    pub progressive_enrollment: bool,
    /// How long "Not now" on the invitation lasts before it is shown again. Default: `14d`.
    pub remind_after: Interval,
    /// Offer "Don't ask again" on the invitation. Default: `true`.
    pub allow_never_prompt: bool,
    /// After a sign-in another way, have the browser's password manager create a passkey
    /// without asking (a conditional create), where it can; where it cannot, the
    /// invitation applies. Default: `false`.
    pub auto_upgrade: bool,
    /// Give passkey-only accounts single-use recovery codes (shown once after sign-up,
    /// renewable on the manage screen) to sign in with after losing every passkey.
    /// Default: `false`.
    pub recovery_codes: bool,
    /// How long a started ceremony may take before it expires (the browser carries it,
    /// sealed; the server keeps nothing until it finishes). Default: `5m`.
    pub ceremony_timeout: Interval,
    /// How long a session lasts after sign-in. Default: `24h`.
    pub session_ttl: Interval,
    /// Adding or deleting a passkey needs a sign-in at most this old; older sessions
    /// sign in again first. Default: `10m`.
    pub reauth_max_age: Interval,
    /// What a signature counter that did not go up means: `strict` refuses the sign-in;
    /// `synced` refuses it too, except for a synced passkey that reports 0 (sync providers
    /// do); `warn` allows it. Each case emits a suspected-clone event. Default: `synced`.
    pub counter_policy: CounterPolicy,
    /// Deleting a passkey ends the sessions it opened (other than the current one).
    /// Default: `true`.
    pub revoke_sessions_on_delete: bool,
    /// The most passkeys one account may have (1 to 100); adding one more answers
    /// `too_many_passkeys`. Bounds what a username-first sign-in sends and keeps.
    /// Default: `20`.
    pub max_passkeys: usize,
    /// Where to go after a sign-in when the page named no `next`. Default: `/`.
    pub after_sign_in: String,
    /// Where to go after sign-out. Default: `/`.
    pub after_sign_out: String,
    /// The largest JSON body the routes read. Default: `64 KiB`.
    pub body_limit: ByteUnit,
    /// How long a client may take to send a JSON body once its headers arrived; a slower
    /// one is answered 408 and its connection freed. Default: `10s`.
    pub body_timeout: Interval,
    /// A directory whose `*.hbs` files replace the built-in screens of the same name.
    /// Default: none.
    pub templates_dir: Option<PathBuf>,
    /// The locale of a visitor whose languages the site does not have. Default: `en`.
    pub default_locale: String,
    /// The locales the screens and messages are offered in, as language tags (`de`,
    /// `pt-BR`). A comma-separated string is accepted too. Default: every shipped locale
    /// and every one of `locales_dir`.
    #[serde(deserialize_with = "one_or_many")]
    pub locales: Vec<String>,
    /// A directory of Fluent catalogs named by locale (`de.ftl`, `it.ftl`): their messages
    /// replace the shipped ones of the same id, and a new locale's file adds it. Default:
    /// none.
    pub locales_dir: Option<PathBuf>,
    /// Mark cookies `Secure`. Default: on when any origin is https (also behind a
    /// TLS-terminating proxy).
    pub secure_cookies: Option<bool>,
    /// A request header holding the client address, set by a proxy you trust (such as
    /// `X-Real-IP`). Default: none, the peer address is used.
    pub trusted_proxy_header: Option<String>,
    /// Rate limits per client address and ceremony kind.
    pub rate_limit: RateLimit,
    /// WebAuthn hints per ceremony kind: which kind of authenticator the browser should
    /// offer first.
    pub hints: Hints,
    /// Android apps whose passkey requests are accepted, by their origin
    /// `android:apk-key-hash:<base64url SHA-256 of the signing certificate>`. Default:
    /// none.
    #[serde(deserialize_with = "one_or_many")]
    pub android_origins: Vec<String>,
    /// Android apps listed in `/.well-known/assetlinks.json` (served only when set), so
    /// that Android lets them use this site's passkeys. Default: none.
    pub android_apps: Vec<AndroidApp>,
    /// iOS and macOS apps (`TEAMID.bundle.id`) listed under `webcredentials` in
    /// `/.well-known/apple-app-site-association` (served only when set). Default: none.
    #[serde(deserialize_with = "one_or_many")]
    pub apple_app_ids: Vec<String>,
}

/// An Android app of `/.well-known/assetlinks.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AndroidApp {
    /// Its package name, such as `com.example.app`.
    pub package_name: String,
    /// The SHA-256 fingerprints of its signing certificates, as `AB:CD:...` (32 bytes).
    pub sha256_cert_fingerprints: Vec<String>,
}

/// WebAuthn hints (`client-device`, `security-key`, `hybrid`), in order of preference,
/// sent with the options of each ceremony kind. Browsers without hints ignore them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Hints {
    /// For registrations (sign-up, adding a passkey). Default: none.
    #[serde(deserialize_with = "one_or_many")]
    pub register: Vec<String>,
    /// For sign-ins. Default: none.
    #[serde(deserialize_with = "one_or_many")]
    pub authenticate: Vec<String>,
}

/// What a signature counter that did not go up means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterPolicy {
    /// Refuse the sign-in.
    Strict,
    /// Refuse it, unless the passkey is synced (backed up) and reports 0.
    Synced,
    /// Allow it; only the event and a warning record it.
    Warn,
}

/// Rate limits of the ceremonies, per client address and ceremony kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimit {
    /// Sustained requests per minute. Default: `60`.
    pub per_minute: u32,
    /// Requests allowed at once before the sustained rate applies. Default: `20`.
    pub burst: u32,
    /// Count requests in the shared database (PostgreSQL only), so that N instances do
    /// not allow N times the budget: at most the larger of `per_minute` and `burst` per
    /// client, kind and clock minute. Default: `false`, each instance counts alone.
    pub shared: bool,
}

impl Default for RateLimit {
    fn default() -> Self {
        RateLimit {
            per_minute: 60,
            burst: 20,
            shared: false,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            rp_id: "localhost".into(),
            rp_name: None,
            origins: Vec::new(),
            related_origins: Vec::new(),
            allow_rp_id_change: false,
            mount: "/passkeys".into(),
            sign_up: true,
            user_verification: "required".into(),
            resident_key: "required".into(),
            progressive_enrollment: false,
            remind_after: Interval::from_secs(14 * 86_400),
            allow_never_prompt: true,
            recovery_codes: false,
            auto_upgrade: false,
            ceremony_timeout: Interval::from_secs(300),
            session_ttl: Interval::from_secs(24 * 3600),
            reauth_max_age: Interval::from_secs(600),
            counter_policy: CounterPolicy::Synced,
            revoke_sessions_on_delete: true,
            max_passkeys: 20,
            after_sign_in: "/".into(),
            after_sign_out: "/".into(),
            body_limit: ByteUnit::Kibibyte(64),
            body_timeout: Interval::from_secs(10),
            templates_dir: None,
            default_locale: "en".into(),
            locales: Vec::new(),
            locales_dir: None,
            secure_cookies: None,
            trusted_proxy_header: None,
            rate_limit: RateLimit::default(),
            hints: Hints::default(),
            android_origins: Vec::new(),
            android_apps: Vec::new(),
            apple_app_ids: Vec::new(),
        }
    }
}

/// A configuration value that stops the launch: the key and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    key: String,
    message: String,
}

impl ConfigError {
    pub(crate) fn new(key: &str, message: impl Into<String>) -> Self {
        ConfigError {
            key: format!("passkeys.{key}"),
            message: message.into(),
        }
    }

    /// The offending key, such as `passkeys.origins`.
    pub fn key(&self) -> &str {
        &self.key
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` {}", self.key, self.message)
    }
}

impl std::error::Error for ConfigError {}

/// Keys of earlier versions that no longer mean anything; a launch with one fails and says
/// so, rather than ignoring what the operator meant.
const REMOVED: [&str; 1] = ["max_pending_ceremonies"];

impl Config {
    /// Reads the `passkeys` table from a figment (Rocket's), with
    /// `ROCKET_PASSKEYS_<KEY>` environment variables on top.
    pub fn from_figment(figment: &Figment) -> Result<Config, Box<rocket::figment::Error>> {
        for key in REMOVED {
            if figment.contains(&format!("passkeys.{key}")) {
                let message = format!(
                    "`passkeys.{key}` was removed: started ceremonies keep no state on the \
                     server, so there is nothing to cap; delete the key"
                );
                return Err(Box::new(message.into()));
            }
        }
        Figment::from(Serialized::defaults(Config::default()))
            .merge(figment.focus("passkeys"))
            .merge(Env::prefixed("ROCKET_PASSKEYS_").global())
            .extract()
            .map_err(Box::new)
    }

    /// Checks every value; the first bad one is named in the error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let settings = self.settings(8000)?;
        crate::i18n::Catalog::load(&settings.locale_config()).map(|_| ())
    }
}

fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(deserializer)? {
        OneOrMany::One(s) => s
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        OneOrMany::Many(v) => v,
    })
}
