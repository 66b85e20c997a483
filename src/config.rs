//! `[default.passkeys]`: read once at ignite, defaults joined, every value checked.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use rocket::data::ByteUnit;
use rocket::figment::providers::{Env, Serialized};
use rocket::figment::Figment;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use webauthn_rs::prelude::Url;

use crate::input::local_path;

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
    pub remind_after: Duration,
    /// Offer "Don't ask again" on the invitation. Default: `true`.
    pub allow_never_prompt: bool,
    /// How long a started ceremony may take before it expires (the browser carries it,
    /// sealed; the server keeps nothing until it finishes). Default: `5m`.
    pub ceremony_timeout: Duration,
    /// How long a session lasts after sign-in. Default: `24h`.
    pub session_ttl: Duration,
    /// Adding or deleting a passkey needs a sign-in at most this old; older sessions
    /// sign in again first. Default: `10m`.
    pub reauth_max_age: Duration,
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
    pub body_timeout: Duration,
    /// A directory whose `*.hbs` files replace the built-in screens of the same name.
    /// Default: none.
    pub templates_dir: Option<PathBuf>,
    /// Mark cookies `Secure`. Default: on when any origin is https (also behind a
    /// TLS-terminating proxy).
    pub secure_cookies: Option<bool>,
    /// A request header holding the client address, set by a proxy you trust (such as
    /// `X-Real-IP`). Default: none, the peer address is used.
    pub trusted_proxy_header: Option<String>,
    /// Rate limits per client address and ceremony kind.
    pub rate_limit: RateLimit,
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
            remind_after: Duration::from_secs(14 * 86_400),
            allow_never_prompt: true,
            ceremony_timeout: Duration::from_secs(300),
            session_ttl: Duration::from_secs(24 * 3600),
            reauth_max_age: Duration::from_secs(600),
            counter_policy: CounterPolicy::Synced,
            revoke_sessions_on_delete: true,
            max_passkeys: 20,
            after_sign_in: "/".into(),
            after_sign_out: "/".into(),
            body_limit: ByteUnit::Kibibyte(64),
            body_timeout: Duration::from_secs(10),
            templates_dir: None,
            secure_cookies: None,
            trusted_proxy_header: None,
            rate_limit: RateLimit::default(),
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
    fn new(key: &str, message: impl Into<String>) -> Self {
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

/// The checked configuration the crate runs on.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub rp_id: String,
    pub rp_name: String,
    pub origins: Vec<Url>,
    pub related_origins: Vec<Url>,
    pub allow_rp_id_change: bool,
    pub mount: String,
    pub sign_up: bool,
    pub resident_key_required: bool,
    pub progressive_enrollment: bool,
    pub remind_after: i64,
    pub allow_never_prompt: bool,
    pub ceremony_timeout: i64,
    pub session_ttl: i64,
    pub reauth_max_age: i64,
    pub counter_policy: CounterPolicy,
    pub revoke_sessions_on_delete: bool,
    pub max_passkeys: usize,
    pub after_sign_in: String,
    pub after_sign_out: String,
    pub body_limit: ByteUnit,
    pub body_timeout: std::time::Duration,
    pub templates_dir: Option<PathBuf>,
    pub secure_cookies: bool,
    pub trusted_proxy_header: Option<String>,
    pub rate_limit: RateLimit,
}

impl Settings {
    /// Whether a browser `Origin` (`scheme://host[:port]`) is one of ours, related ones
    /// included.
    pub fn is_our_origin(&self, origin: &str) -> bool {
        self.origins
            .iter()
            .chain(&self.related_origins)
            .any(|o| o.as_str().trim_end_matches('/') == origin)
    }
}

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
        self.settings(8000).map(|_| ())
    }

    /// Checks the configuration and resolves defaults that depend on Rocket's port.
    pub(crate) fn settings(&self, port: u16) -> Result<Settings, ConfigError> {
        let rp_id = self.rp_id.trim().to_string();
        check_rp_id(&rp_id)?;

        let origins = if self.origins.is_empty() {
            vec![if rp_id == "localhost" {
                format!("http://localhost:{port}")
            } else {
                format!("https://{rp_id}")
            }]
        } else {
            self.origins.clone()
        };
        let origins = origins
            .iter()
            .map(|origin| check_origin(origin, &rp_id))
            .collect::<Result<Vec<_>, _>>()?;

        let related_origins = self
            .related_origins
            .iter()
            .map(|origin| check_related_origin(origin, &origins))
            .collect::<Result<Vec<_>, _>>()?;

        let mount = self.mount.trim_end_matches('/').to_string();
        if !mount.starts_with('/')
            || mount.contains("//")
            || !mount
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "/-_.~".contains(c))
        {
            return Err(ConfigError::new(
                "mount",
                format!(
                    "must be a path like `/passkeys` (letters, digits, `-_.~`), not `{}`",
                    self.mount
                ),
            ));
        }

        let resident_key_required = match self.resident_key.as_str() {
            "required" => true,
            "preferred" => false,
            other => {
                return Err(ConfigError::new(
                    "resident_key",
                    format!("must be `required` or `preferred`, not `{other}`"),
                ))
            }
        };
        if self.user_verification != "required" {
            return Err(ConfigError::new(
                "user_verification",
                format!(
                    "must be `required` (passkeys verify the user), not `{}`",
                    self.user_verification
                ),
            ));
        }

        for (key, path) in [
            ("after_sign_in", &self.after_sign_in),
            ("after_sign_out", &self.after_sign_out),
        ] {
            if local_path(path).is_none() {
                return Err(ConfigError::new(
                    key,
                    format!("must be a local path starting with `/`, not `{path}`"),
                ));
            }
        }

        // Every duration is longer than zero and at most a bound that keeps the time
        // arithmetic (expiries, cookie ages) far from overflowing.
        let bounded = |key: &str, d: Duration, most: &str| {
            let most: Duration = most.parse().unwrap_or(Duration(1));
            if d.0 == 0 {
                Err(ConfigError::new(key, "must be longer than zero"))
            } else if d > most {
                Err(ConfigError::new(
                    key,
                    format!("must be at most {}, not {}", most.describe(), d.describe()),
                ))
            } else {
                Ok(d.0 as i64)
            }
        };
        let ceremony_timeout = bounded("ceremony_timeout", self.ceremony_timeout, "1h")?;
        let session_ttl = bounded("session_ttl", self.session_ttl, "400d")?;
        let remind_after = bounded("remind_after", self.remind_after, "3650d")?;
        let reauth_max_age = bounded("reauth_max_age", self.reauth_max_age, "400d")?;
        let body_timeout = bounded("body_timeout", self.body_timeout, "10m")?;
        if !(1..=100).contains(&self.max_passkeys) {
            return Err(ConfigError::new(
                "max_passkeys",
                format!("must be between 1 and 100, not {}", self.max_passkeys),
            ));
        }
        if self.rate_limit.per_minute == 0 || self.rate_limit.burst == 0 {
            return Err(ConfigError::new(
                "rate_limit",
                "`per_minute` and `burst` must be at least 1",
            ));
        }
        if self.body_limit < ByteUnit::Kibibyte(4) || self.body_limit > ByteUnit::Mebibyte(1) {
            return Err(ConfigError::new(
                "body_limit",
                format!("must be between 4 KiB and 1 MiB, not {}", self.body_limit),
            ));
        }
        if let Some(header) = &self.trusted_proxy_header {
            if header.is_empty()
                || !header
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                return Err(ConfigError::new(
                    "trusted_proxy_header",
                    format!("must be a header name like `X-Real-IP`, not `{header}`"),
                ));
            }
        }
        if let Some(dir) = &self.templates_dir {
            if !dir.is_dir() {
                return Err(ConfigError::new(
                    "templates_dir",
                    format!("`{}` is not a directory", dir.display()),
                ));
            }
        }

        let secure_cookies = self
            .secure_cookies
            .unwrap_or_else(|| origins.iter().any(|o| o.scheme() == "https"));

        Ok(Settings {
            rp_name: self.rp_name.clone().unwrap_or_else(|| rp_id.clone()),
            rp_id,
            origins,
            related_origins,
            allow_rp_id_change: self.allow_rp_id_change,
            mount,
            sign_up: self.sign_up,
            resident_key_required,
            progressive_enrollment: self.progressive_enrollment,
            remind_after,
            allow_never_prompt: self.allow_never_prompt,
            ceremony_timeout,
            session_ttl,
            reauth_max_age,
            counter_policy: self.counter_policy,
            revoke_sessions_on_delete: self.revoke_sessions_on_delete,
            max_passkeys: self.max_passkeys,
            after_sign_in: self.after_sign_in.clone(),
            after_sign_out: self.after_sign_out.clone(),
            body_limit: self.body_limit,
            body_timeout: std::time::Duration::from_secs(body_timeout as u64),
            templates_dir: self.templates_dir.clone(),
            secure_cookies,
            trusted_proxy_header: self.trusted_proxy_header.clone(),
            rate_limit: self.rate_limit.clone(),
        })
    }
}

fn check_rp_id(rp_id: &str) -> Result<(), ConfigError> {
    let bad = |why: &str| ConfigError::new("rp_id", format!("`{rp_id}` {why}"));
    if rp_id.is_empty() {
        return Err(ConfigError::new("rp_id", "must not be empty"));
    }
    if rp_id.contains("://") || rp_id.contains('/') || rp_id.contains(':') {
        return Err(bad(
            "must be a bare domain such as `example.com`, without scheme, port or path",
        ));
    }
    if rp_id.parse::<std::net::IpAddr>().is_ok() {
        return Err(bad("is an IP address; passkeys need a domain name"));
    }
    if rp_id != rp_id.to_ascii_lowercase()
        || !rp_id.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
    {
        return Err(bad("is not a lowercase domain name"));
    }
    Ok(())
}

fn check_origin(origin: &str, rp_id: &str) -> Result<Url, ConfigError> {
    let bad = |why: String| ConfigError::new("origins", why);
    let url = Url::parse(origin.trim())
        .map_err(|e| bad(format!("has `{origin}`, which is not a URL ({e})")))?;
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!(
            "has `{origin}`: an origin is a scheme, host and port only, with no path"
        )));
    }
    let host = url.host_str().unwrap_or_default();
    let localhost = host == "localhost" || host.ends_with(".localhost");
    match url.scheme() {
        "https" => {}
        "http" if localhost => {}
        _ => {
            return Err(bad(format!(
                "has `{origin}`, which must use https (only localhost may use http)"
            )))
        }
    }
    if host != rp_id && !host.ends_with(&format!(".{rp_id}")) {
        return Err(bad(format!(
            "has `{origin}`, whose host is not `{rp_id}` (the rp_id) or a subdomain of it"
        )));
    }
    Ok(url)
}

fn check_related_origin(origin: &str, own: &[Url]) -> Result<Url, ConfigError> {
    let bad = |why: String| ConfigError::new("related_origins", why);
    let url = Url::parse(origin.trim())
        .map_err(|e| bad(format!("has `{origin}`, which is not a URL ({e})")))?;
    if url.scheme() != "https" || url.host_str().is_none() {
        return Err(bad(format!(
            "has `{origin}`, which must be an https origin"
        )));
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!(
            "has `{origin}`: an origin is a scheme, host and port only, with no path"
        )));
    }
    if own.contains(&url) {
        return Err(bad(format!(
            "has `{origin}`, which is already in `origins`"
        )));
    }
    Ok(url)
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

/// A length of time, written as seconds (`300`) or with a unit: `90s`, `5m`, `12h`, `14d`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(u64);

impl Duration {
    /// A duration of this many seconds.
    pub const fn from_secs(seconds: u64) -> Self {
        Duration(seconds)
    }

    /// The duration in seconds.
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// In the largest unit that divides it: `90s`, `5m`, `400d`.
    fn describe(self) -> String {
        for (unit, seconds) in [("d", 86_400), ("h", 3600), ("m", 60)] {
            if self.0 % seconds == 0 {
                return format!("{}{unit}", self.0 / seconds);
            }
        }
        format!("{}s", self.0)
    }
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let number: u64 = number
            .parse()
            .map_err(|_| format!("`{s}` is not a duration such as `90s`, `5m`, `12h` or `14d`"))?;
        let scale = match unit.trim() {
            "" | "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => return Err(format!("`{s}` has an unknown unit; use s, m, h, d or w")),
        };
        number
            .checked_mul(scale)
            .map(Duration)
            .ok_or_else(|| format!("`{s}` is too long"))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}s", self.0)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(n) => Ok(Duration(n)),
            Raw::Text(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!("300".parse::<Duration>().unwrap().as_secs(), 300);
        assert_eq!("5m".parse::<Duration>().unwrap().as_secs(), 300);
        assert_eq!("14d".parse::<Duration>().unwrap().as_secs(), 14 * 86_400);
        assert!("5 fortnights".parse::<Duration>().is_err());
        assert!("m".parse::<Duration>().is_err());
    }

    #[test]
    fn origins_must_match_the_rp_id() {
        let mut config = Config {
            rp_id: "example.com".into(),
            ..Config::default()
        };
        for (origin, ok) in [
            ("https://example.com", true),
            ("https://login.example.com", true),
            ("https://example.com:8443", true),
            ("http://example.com", false),
            ("https://evil-example.com", false),
            ("https://example.com.evil.io", false),
            ("https://example.com/path", false),
            ("not a url", false),
        ] {
            config.origins = vec![origin.into()];
            let result = config.validate();
            assert_eq!(result.is_ok(), ok, "{origin}: {result:?}");
            if let Err(e) = result {
                assert_eq!(e.key(), "passkeys.origins");
            }
        }
    }
}
