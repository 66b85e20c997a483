//! The checked configuration: every value of [`Config`] checked, and the defaults that
//! depend on Rocket's port resolved.

use std::path::PathBuf;

use rocket::data::ByteUnit;
use webauthn_rs::prelude::Url;
use webauthn_rs_proto::PublicKeyCredentialHints;

use super::{AndroidApp, Config, ConfigError, CounterPolicy, Interval, RateLimit};
use crate::i18n::LocaleConfig;
use crate::input::local_path;

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
    pub recovery_codes: bool,
    pub auto_upgrade: bool,
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
    pub default_locale: String,
    pub locales: Vec<String>,
    pub locales_dir: Option<PathBuf>,
    pub secure_cookies: bool,
    pub trusted_proxy_header: Option<String>,
    pub rate_limit: RateLimit,
    /// WebAuthn hints for registrations and sign-ins, in order.
    pub hints_register: Vec<PublicKeyCredentialHints>,
    pub hints_authenticate: Vec<PublicKeyCredentialHints>,
    /// Android app origins accepted at verification.
    pub android_origins: Vec<Url>,
    /// The apps of the well-known association files (with fingerprints in upper case).
    pub android_apps: Vec<AndroidApp>,
    pub apple_app_ids: Vec<String>,
}

/// `auto_upgrade` replaces the invitation where it can, so it needs the invitation on.
fn check_auto_upgrade(config: &Config) -> Result<bool, ConfigError> {
    if config.auto_upgrade && !config.progressive_enrollment {
        return Err(ConfigError::new(
            "auto_upgrade",
            "needs `passkeys.progressive_enrollment = true`: an automatic upgrade is made \
             where the invitation to create a passkey is due",
        ));
    }
    Ok(config.auto_upgrade)
}

/// An Android app origin: `android:apk-key-hash:` and 43 base64url characters (a SHA-256).
fn check_android_origin(origin: &str) -> Result<Url, ConfigError> {
    let hash = origin
        .strip_prefix("android:apk-key-hash:")
        .unwrap_or_default();
    let valid = hash.len() == 43
        && hash
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match Url::parse(origin) {
        Ok(url) if valid => Ok(url),
        _ => Err(ConfigError::new(
            "android_origins",
            format!(
                "has `{origin}`: an Android app origin is `android:apk-key-hash:` followed by \
                 the base64url SHA-256 of the app's signing certificate (43 characters)"
            ),
        )),
    }
}

/// An Android app of assetlinks.json: a package name and SHA-256 fingerprints.
fn check_android_app(app: &AndroidApp) -> Result<AndroidApp, ConfigError> {
    let name = &app.package_name;
    let segment = |s: &str| {
        s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if name.split('.').count() < 2 || !name.split('.').all(segment) {
        return Err(ConfigError::new(
            "android_apps",
            format!("has the package name `{name}`: a package name is like `com.example.app`"),
        ));
    }
    if app.sha256_cert_fingerprints.is_empty() {
        return Err(ConfigError::new(
            "android_apps",
            format!("lists `{name}` without `sha256_cert_fingerprints`"),
        ));
    }
    let mut fingerprints = Vec::new();
    for print in &app.sha256_cert_fingerprints {
        let pairs: Vec<&str> = print.split(':').collect();
        let valid = pairs.len() == 32
            && pairs
                .iter()
                .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
        if !valid {
            return Err(ConfigError::new(
                "android_apps",
                format!(
                    "has the fingerprint `{print}` for `{name}`: a SHA-256 fingerprint is 32 \
                     hexadecimal bytes separated by colons, as `keytool -list` prints it"
                ),
            ));
        }
        fingerprints.push(print.to_ascii_uppercase());
    }
    Ok(AndroidApp {
        package_name: name.clone(),
        sha256_cert_fingerprints: fingerprints,
    })
}

/// An Apple app id: a 10-character team id, a dot, a bundle id.
fn check_apple_app_id(id: &str) -> Result<String, ConfigError> {
    let valid = id.split_once('.').is_some_and(|(team, bundle)| {
        team.len() == 10
            && team
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            && !bundle.is_empty()
            && bundle
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
    });
    if valid {
        Ok(id.to_string())
    } else {
        Err(ConfigError::new(
            "apple_app_ids",
            format!(
                "has `{id}`: an app id is the 10-character team id, a dot and the bundle id, \
                 like `ABCDE12345.com.example.app`"
            ),
        ))
    }
}

/// Hints as the configuration spells them, checked: known values, each once.
fn check_hints(key: &str, values: &[String]) -> Result<Vec<PublicKeyCredentialHints>, ConfigError> {
    let mut hints = Vec::new();
    for value in values {
        let hint = match value.as_str() {
            "client-device" => PublicKeyCredentialHints::ClientDevice,
            "security-key" => PublicKeyCredentialHints::SecurityKey,
            "hybrid" => PublicKeyCredentialHints::Hybrid,
            other => {
                return Err(ConfigError::new(
                    key,
                    format!("has `{other}`: a hint is `client-device`, `security-key` or `hybrid`"),
                ))
            }
        };
        if hints.contains(&hint) {
            return Err(ConfigError::new(key, format!("names `{value}` twice")));
        }
        hints.push(hint);
    }
    Ok(hints)
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

    /// The locale settings, as the catalog loads them.
    pub fn locale_config(&self) -> LocaleConfig<'_> {
        LocaleConfig {
            default_locale: &self.default_locale,
            locales: &self.locales,
            dir: self.locales_dir.as_deref(),
        }
    }
}

impl Config {
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
        let bounded = |key: &str, d: Interval, most: &str| {
            let most: Interval = most.parse().unwrap_or(Interval::from_secs(1));
            if d.as_secs() == 0 {
                Err(ConfigError::new(key, "must be longer than zero"))
            } else if d > most {
                Err(ConfigError::new(
                    key,
                    format!("must be at most {}, not {}", most.describe(), d.describe()),
                ))
            } else {
                Ok(d.as_secs() as i64)
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
        for (key, dir) in [
            ("templates_dir", &self.templates_dir),
            ("locales_dir", &self.locales_dir),
        ] {
            if let Some(dir) = dir {
                if !dir.is_dir() {
                    return Err(ConfigError::new(
                        key,
                        format!("`{}` is not a directory", dir.display()),
                    ));
                }
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
            recovery_codes: self.recovery_codes,
            auto_upgrade: check_auto_upgrade(self)?,
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
            default_locale: self.default_locale.clone(),
            locales: self.locales.clone(),
            locales_dir: self.locales_dir.clone(),
            secure_cookies,
            trusted_proxy_header: self.trusted_proxy_header.clone(),
            rate_limit: self.rate_limit.clone(),
            hints_register: check_hints("hints.register", &self.hints.register)?,
            hints_authenticate: check_hints("hints.authenticate", &self.hints.authenticate)?,
            android_origins: self
                .android_origins
                .iter()
                .map(|o| check_android_origin(o))
                .collect::<Result<_, _>>()?,
            android_apps: self
                .android_apps
                .iter()
                .map(check_android_app)
                .collect::<Result<_, _>>()?,
            apple_app_ids: self
                .apple_app_ids
                .iter()
                .map(|id| check_apple_app_id(id))
                .collect::<Result<_, _>>()?,
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

#[cfg(test)]
mod tests {
    use super::*;

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
