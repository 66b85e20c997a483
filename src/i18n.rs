//! Every sentence a person sees, in their language.
//!
//! One Fluent catalog per locale (`locales/<tag>.ftl`, shipped in the crate), joined at
//! ignite with the app's own (`locales_dir`), whose messages replace shipped ones of the
//! same id. A message a locale lacks falls back to English and is logged once; no key
//! is ever shown in its place.
//!
//! Which locale a request gets is [`Locale`]'s business: the `lang` query parameter the
//! screens' language menu sends (kept in a cookie), that cookie, the app's choice for the
//! request, `Accept-Language`, and last `default_locale`.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, LazyLock};

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fluent_langneg::{negotiate_languages, NegotiationStrategy};
use parking_lot::Mutex;
use rocket::http::{Cookie, SameSite};
use rocket::request::{FromRequest, Outcome, Request};
use time::OffsetDateTime;
use unic_langid::LanguageIdentifier;

use crate::config::ConfigError;
use crate::passkeys::Passkeys;

/// The shipped catalogs, by language tag. English first: every other falls back to it.
pub(crate) const SHIPPED: &[(&str, &str)] = &[
    ("en", include_str!("../locales/en.ftl")),
    ("de", include_str!("../locales/de.ftl")),
    ("fr", include_str!("../locales/fr.ftl")),
    ("es", include_str!("../locales/es.ftl")),
    ("pt-BR", include_str!("../locales/pt-BR.ftl")),
    ("ja", include_str!("../locales/ja.ftl")),
    ("ar", include_str!("../locales/ar.ftl")),
];

/// Languages written right to left (ISO 639), for `dir="rtl"`.
const RIGHT_TO_LEFT: &[&str] = &[
    "ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "ug", "ur", "yi",
];

/// The messages the browser script shows, by the names it knows them by.
const SCRIPT_MESSAGES: &[(&str, &str)] = &[
    ("generic", "script-generic"),
    ("network", "script-network"),
    ("rate_limited", "script-rate-limited"),
    ("cancelled", "script-cancelled"),
    ("already_registered", "script-already-registered"),
    ("security", "script-security"),
    ("constraint", "script-constraint"),
    ("not_supported", "script-not-supported"),
    ("insecure_context", "script-insecure-context"),
    ("unsupported", "script-unsupported"),
    ("confirm_codes", "script-confirm-codes"),
    ("confirm_delete", "script-confirm-delete"),
    ("codes_alert", "script-codes-alert"),
];

type Bundle = FluentBundle<FluentResource>;

/// An argument of a message.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arg {
    Text(String),
    Number(i64),
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_string())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Text(text)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Self {
        Arg::Number(n)
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

fn fluent_args<'a>(args: &'a [(&'a str, Arg)]) -> FluentArgs<'a> {
    let mut out = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        match value {
            Arg::Text(text) => out.set(*name, FluentValue::from(text.as_str())),
            Arg::Number(n) => out.set(*name, FluentValue::from(*n)),
        }
    }
    out
}

/// One offered locale.
struct Offered {
    id: LanguageIdentifier,
    tag: String,
    rtl: bool,
    bundle: Bundle,
}

/// What every page in a locale carries, formatted once at launch.
struct PageWords {
    /// The locale's name in its own words, for the language menu.
    name: String,
    /// The script's messages, as the JSON object of `data-messages`.
    script_messages: String,
}

/// The catalogs of the offered locales, and the English one every locale falls back to.
pub(crate) struct Catalog {
    offered: Vec<Offered>,
    /// By locale, as `offered`.
    page_words: Vec<PageWords>,
    default: usize,
    english: Bundle,
    /// (locale, message id) pairs already logged as missing: each is logged once.
    logged: Mutex<HashSet<(usize, String)>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tags: Vec<&str> = self.offered.iter().map(|o| o.tag.as_str()).collect();
        f.debug_struct("Catalog").field("locales", &tags).finish()
    }
}

/// The locale settings the catalog is built from.
pub(crate) struct LocaleConfig<'a> {
    pub default_locale: &'a str,
    pub locales: &'a [String],
    pub dir: Option<&'a Path>,
}

fn parse_tag(key: &str, tag: &str) -> Result<LanguageIdentifier, ConfigError> {
    let bad = || {
        ConfigError::new(
            key,
            format!("has `{tag}`, which is not a language tag (such as `de` or `pt-BR`)"),
        )
    };
    locale_tag(tag).ok_or_else(bad)
}

/// A tag naming a locale: hyphens (`pt_BR` is a file-system habit, not a tag) and a
/// language of two or three letters (ISO 639), so that `errors` or `common` is none.
fn locale_tag(tag: &str) -> Option<LanguageIdentifier> {
    if tag.contains('_') {
        return None;
    }
    let id = tag.parse::<LanguageIdentifier>().ok()?;
    let language = id.language.as_str();
    (matches!(language.len(), 2 | 3) && language != "und").then_some(id)
}

fn shipped(id: &LanguageIdentifier) -> Option<&'static str> {
    SHIPPED
        .iter()
        .find(|(tag, _)| tag.parse::<LanguageIdentifier>().ok().as_ref() == Some(id))
        .map(|(_, source)| *source)
}

/// A catalog's text as a resource; `name` says where it came from in the error.
fn resource(name: &str, source: String) -> Result<FluentResource, String> {
    FluentResource::try_new(source).map_err(|(resource, errors)| {
        let first = &errors[0];
        let line = resource.source()[..first.pos.start.min(resource.source().len())]
            .matches('\n')
            .count()
            + 1;
        format!(
            "`{name}`, which does not parse at line {line}: {}",
            first.kind
        )
    })
}

fn bundle(id: &LanguageIdentifier, rtl: bool, resources: Vec<FluentResource>) -> Bundle {
    let mut bundle = Bundle::new_concurrent(vec![id.clone()]);
    // Unicode isolation marks around placeables keep a Latin name in an Arabic sentence
    // in order; left-to-right text needs none of them, and JSON clients see no marks.
    bundle.set_use_isolating(rtl);
    for resource in resources {
        bundle.add_resource_overriding(resource);
    }
    bundle
}

/// The app's catalog files: (tag, file) for every `*.ftl` of the directory.
fn app_files(dir: &Path) -> Result<Vec<(LanguageIdentifier, std::path::PathBuf)>, ConfigError> {
    let key = "locales_dir";
    let entries = std::fs::read_dir(dir)
        .map_err(|e| ConfigError::new(key, format!("`{}` cannot be read: {e}", dir.display())))?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().and_then(|e| e.to_str()) != Some("ftl") {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let Some(id) = locale_tag(stem) else {
            return Err(ConfigError::new(
                key,
                format!(
                    "has `{}`, which is not named for a locale (such as `de.ftl` or `pt-BR.ftl`)",
                    path.display()
                ),
            ));
        };
        files.push((id, path));
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(files)
}

impl Catalog {
    /// The built-in catalogs, with the app's on top. Every problem is one sentence.
    pub fn load(config: &LocaleConfig<'_>) -> Result<Catalog, ConfigError> {
        let files = match config.dir {
            Some(dir) => app_files(dir)?,
            None => Vec::new(),
        };
        let app_source = |id: &LanguageIdentifier| -> Result<Option<FluentResource>, ConfigError> {
            let Some((_, path)) = files.iter().find(|(file_id, _)| file_id == id) else {
                return Ok(None);
            };
            let source = std::fs::read_to_string(path).map_err(|e| {
                ConfigError::new(
                    "locales_dir",
                    format!("cannot read `{}`: {e}", path.display()),
                )
            })?;
            resource(&path.display().to_string(), source)
                .map(Some)
                .map_err(|e| ConfigError::new("locales_dir", format!("has {e}")))
        };

        // The locales offered: as configured, else every shipped one and the app's.
        let mut ids: Vec<LanguageIdentifier> = Vec::new();
        if config.locales.is_empty() {
            ids.extend(SHIPPED.iter().filter_map(|(tag, _)| tag.parse().ok()));
            ids.extend(files.iter().map(|(id, _)| id.clone()));
            let mut seen = HashSet::new();
            ids.retain(|id| seen.insert(id.clone()));
        } else {
            for tag in config.locales {
                let id = parse_tag("locales", tag)?;
                if ids.contains(&id) {
                    return Err(ConfigError::new("locales", format!("names `{tag}` twice")));
                }
                ids.push(id);
            }
        }

        let english_id = LanguageIdentifier::from_bytes(b"en").unwrap_or_default();
        let mut english = vec![builtin_resource(SHIPPED[0].1)];
        english.extend(app_source(&english_id)?);
        let english = bundle(&english_id, false, english);

        let mut offered = Vec::with_capacity(ids.len());
        for id in ids {
            let mut resources: Vec<FluentResource> =
                shipped(&id).map(builtin_resource).into_iter().collect();
            resources.extend(app_source(&id)?);
            if resources.is_empty() {
                let place = match config.dir {
                    Some(dir) => format!("`{}`", dir.join(format!("{id}.ftl")).display()),
                    None => "a `locales_dir` file".to_string(),
                };
                return Err(ConfigError::new(
                    "locales",
                    format!(
                        "has `{id}`, which has no catalog: it is not shipped ({}) and there is no {place}",
                        shipped_tags()
                    ),
                ));
            }
            let rtl = RIGHT_TO_LEFT.contains(&id.language.as_str());
            offered.push(Offered {
                tag: id.to_string(),
                bundle: bundle(&id, rtl, resources),
                id,
                rtl,
            });
        }

        let default_id = parse_tag("default_locale", config.default_locale)?;
        let Some(default) = offered.iter().position(|o| o.id == default_id) else {
            let tags: Vec<&str> = offered.iter().map(|o| o.tag.as_str()).collect();
            return Err(ConfigError::new(
                "default_locale",
                format!(
                    "is `{}`, which is not one of the offered locales ({})",
                    config.default_locale,
                    tags.join(", ")
                ),
            ));
        };
        let mut catalog = Catalog {
            offered,
            page_words: Vec::new(),
            default,
            english,
            logged: Mutex::new(HashSet::new()),
        };
        catalog.page_words = (0..catalog.offered.len())
            .map(|locale| PageWords {
                name: catalog.message(locale, "language-name", &[]),
                script_messages: catalog.format_script_messages(locale),
            })
            .collect();
        Ok(catalog)
    }

    /// The offered locales' tags, in the configured order.
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.offered.iter().map(|o| o.tag.as_str())
    }

    pub fn tag(&self, locale: usize) -> &str {
        &self.offered[locale].tag
    }

    pub fn is_rtl(&self, locale: usize) -> bool {
        self.offered[locale].rtl
    }

    /// The locale's name in its own words ("Deutsch"), for the language menu.
    pub fn name(&self, locale: usize) -> &str {
        &self.page_words[locale].name
    }

    /// The browser script's messages in `locale`, as the JSON object the screens carry
    /// (`{name}` in a message is the script's to fill in).
    pub fn script_messages(&self, locale: usize) -> &str {
        &self.page_words[locale].script_messages
    }

    /// The best offered locale for `Accept-Language` (in its order of preference), else
    /// the default.
    pub fn negotiate(&self, accept_language: Option<&str>) -> usize {
        let requested = accept_language.map(accepted).unwrap_or_default();
        self.best(&requested).unwrap_or(self.default)
    }

    /// The offered locale for one tag a person or the app chose (`de-AT` gets `de`,
    /// `pt` gets `pt-BR`), if any.
    pub fn find(&self, tag: &str) -> Option<usize> {
        let id = without_extensions(tag).parse::<LanguageIdentifier>().ok()?;
        self.best(&[id])
    }

    fn best(&self, requested: &[LanguageIdentifier]) -> Option<usize> {
        if requested.is_empty() {
            return None;
        }
        let available: Vec<&LanguageIdentifier> = self.offered.iter().map(|o| &o.id).collect();
        // Filtering keeps the visitor's order; the first match is the best one.
        let chosen =
            negotiate_languages(requested, &available, None, NegotiationStrategy::Filtering);
        let first = **chosen.first()?;
        self.offered.iter().position(|o| &o.id == first)
    }

    /// A message of `locale` with its arguments. A message the locale lacks comes from
    /// English (logged once); one English lacks too is logged and left empty.
    pub fn message(&self, locale: usize, id: &str, args: &[(&str, Arg)]) -> String {
        let args = fluent_args(args);
        let offered = &self.offered[locale];
        if let Some(text) = format(&offered.bundle, id, &args, |e| {
            self.log_once(
                locale,
                id,
                &format!("cannot be formatted in `{}`: {e}", offered.tag),
            )
        }) {
            return text;
        }
        self.log_once(
            locale,
            id,
            &format!("is missing in `{}`; English is shown", offered.tag),
        );
        format(&self.english, id, &args, |e| {
            self.log_once(locale, id, &format!("cannot be formatted in `en`: {e}"))
        })
        .unwrap_or_else(|| {
            self.log_once(usize::MAX, id, "is not in any catalog");
            String::new()
        })
    }

    fn log_once(&self, locale: usize, id: &str, what: &str) {
        if self.logged.lock().insert((locale, id.to_string())) {
            log::warn!("passkeys: the message `{id}` {what}");
        }
    }

    /// A moment for people: "December 3, 2026, 07:25 UTC" in the locale's words.
    pub fn date_time(&self, locale: usize, at: OffsetDateTime) -> String {
        let at = at.to_offset(time::UtcOffset::UTC);
        // Its numbers and month need no isolation from each other; the sentence the date
        // goes into isolates it as a whole.
        let text = self.message(
            locale,
            "date-time",
            &[
                ("year", Arg::Number(i64::from(at.year()))),
                ("month", Arg::Number(i64::from(u8::from(at.month())))),
                ("day", Arg::Number(i64::from(at.day()))),
                ("hour", Arg::Text(format!("{:02}", at.hour()))),
                ("minute", Arg::Text(format!("{:02}", at.minute()))),
            ],
        );
        text.replace(['\u{2068}', '\u{2069}'], "")
    }

    fn format_script_messages(&self, locale: usize) -> String {
        let messages: serde_json::Map<String, serde_json::Value> = SCRIPT_MESSAGES
            .iter()
            .map(|(name, id)| {
                let text = self.message(locale, id, &[("name", Arg::from("{name}"))]);
                (name.to_string(), serde_json::Value::String(text))
            })
            .collect();
        serde_json::Value::Object(messages).to_string()
    }
}

/// The languages of an `Accept-Language` header, most preferred first (by `q`, then in
/// the order written); `*`, `q=0` and what does not parse are left out.
pub(crate) fn accepted(header: &str) -> Vec<LanguageIdentifier> {
    let mut ranked: Vec<(u16, LanguageIdentifier)> = header
        .split(',')
        .take(32)
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let mut q = 1000u16;
            for param in parts {
                let (name, value) = param.trim().split_once('=')?;
                if name.trim().eq_ignore_ascii_case("q") {
                    let value: f32 = value.trim().parse().ok()?;
                    if !(0.0..=1.0).contains(&value) {
                        return None;
                    }
                    q = (value * 1000.0).round() as u16;
                }
            }
            if q == 0 || tag == "*" || tag.contains('_') {
                return None;
            }
            Some((q, without_extensions(tag).parse().ok()?))
        })
        .collect();
    ranked.sort_by_key(|(q, _)| std::cmp::Reverse(*q));
    ranked.into_iter().map(|(_, id)| id).collect()
}

/// A tag without its extensions and private use (`ar-SA-u-nu-latn` is `ar-SA`): they
/// never decide the language.
fn without_extensions(tag: &str) -> &str {
    let mut end = 0;
    for (i, part) in tag.split('-').enumerate() {
        if i > 0 && part.len() == 1 {
            break;
        }
        end += part.len() + usize::from(i > 0);
    }
    &tag[..end.min(tag.len())]
}

/// Formats `id` from `bundle`, or `None` when the bundle has no such message.
fn format(
    bundle: &Bundle,
    id: &str,
    args: &FluentArgs<'_>,
    on_error: impl FnOnce(&str),
) -> Option<String> {
    let pattern = bundle.get_message(id)?.value()?;
    let mut errors = Vec::new();
    let text = bundle.format_pattern(pattern, Some(args), &mut errors);
    if let Some(e) = errors.first() {
        on_error(&e.to_string());
    }
    Some(text.into_owned())
}

fn builtin_resource(source: &'static str) -> FluentResource {
    FluentResource::try_new(source.to_string()).unwrap_or_else(|(resource, _)| resource)
}

fn shipped_tags() -> String {
    SHIPPED
        .iter()
        .map(|(tag, _)| *tag)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The built-in English catalog alone: the English sentence of an [`crate::Error`].
/// (It loads: the catalog tests load every shipped one.)
static ENGLISH: LazyLock<Option<Catalog>> = LazyLock::new(|| {
    let config = LocaleConfig {
        default_locale: "en",
        locales: &["en".to_string()],
        dir: None,
    };
    Catalog::load(&config).ok()
});

/// A message in the built-in English.
pub(crate) fn english(id: &str, args: &[(&str, Arg)]) -> String {
    match ENGLISH.as_ref() {
        Some(catalog) => catalog.message(0, id, args),
        None => String::new(),
    }
}

/// The app's choice of locale for a request (a signed-in user's saved preference), as a
/// language tag; `None` leaves the choice to the visitor's browser.
pub(crate) type ChooseLocale = Arc<dyn Fn(&Request<'_>) -> Option<String> + Send + Sync>;

/// The cookie that keeps a language picked from the screens' menu.
pub(crate) const COOKIE: &str = "passkeys_lang";

/// The locale of a request, as the screens and JSON errors speak it.
///
/// Chosen, first match wins: the `lang` query parameter (the screens' language menu,
/// kept in the `passkeys_lang` cookie for a year), that cookie, the app's choice
/// ([`crate::PasskeysFairing::choose_locale`]), `Accept-Language`, and `default_locale`.
/// Each is matched to the offered locales (`de-AT` gets `de`, `pt` gets `pt-BR`); one
/// that matches none is passed over. A request guard for the app's own pages too:
///
/// ```rust,no_run
/// # use rocket::get;
/// use rocket_passkeys::Locale;
///
/// #[get("/")]
/// fn home(locale: Locale) -> String {
///     format!("<html lang=\"{}\" dir=\"{}\">", locale.tag(), locale.dir())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale {
    pub(crate) index: usize,
    tag: String,
    rtl: bool,
}

impl Locale {
    /// The language tag, such as `de` or `pt-BR`.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// `rtl` for languages written right to left, else `ltr`.
    pub fn dir(&self) -> &'static str {
        if self.rtl {
            "rtl"
        } else {
            "ltr"
        }
    }

    pub(crate) fn new(catalog: &Catalog, index: usize) -> Self {
        Locale {
            index,
            tag: catalog.tag(index).to_string(),
            rtl: catalog.is_rtl(index),
        }
    }

    /// The request's locale, chosen once per request.
    pub(crate) fn of<'r>(request: &'r Request<'_>, passkeys: &Passkeys) -> &'r Locale {
        request.local_cache(|| {
            let catalog = &passkeys.screens.catalog;
            Locale::new(catalog, choose(request, passkeys))
        })
    }
}

fn choose(request: &Request<'_>, passkeys: &Passkeys) -> usize {
    let catalog = &passkeys.screens.catalog;
    let asked = request
        .query_value::<&str>("lang")
        .and_then(Result::ok)
        .filter(|tag| tag.len() <= 35)
        .and_then(|tag| catalog.find(tag));
    if let Some(index) = asked {
        let cookie = Cookie::build((COOKIE, catalog.tag(index).to_string()))
            .path("/")
            .http_only(true)
            .secure(passkeys.settings().secure_cookies)
            .same_site(SameSite::Lax)
            .max_age(rocket::time::Duration::days(365));
        request.cookies().add(cookie);
        return index;
    }
    let kept = request.cookies().get(COOKIE).map(|c| c.value());
    if let Some(index) = kept
        .filter(|tag| tag.len() <= 35)
        .and_then(|t| catalog.find(t))
    {
        return index;
    }
    let app = passkeys
        .screens
        .choose_locale
        .as_ref()
        .and_then(|f| f(request));
    if let Some(index) = app.as_deref().and_then(|tag| catalog.find(tag)) {
        return index;
    }
    // A browser's header is short; a longer one is read only so far. Repeated header
    // lines are one list (RFC 9110).
    let lines: Vec<&str> = request.headers().get("Accept-Language").collect();
    if lines.is_empty() {
        return catalog.negotiate(None);
    }
    let joined = lines.join(",");
    let mut end = joined.len().min(512);
    while !joined.is_char_boundary(end) {
        end -= 1;
    }
    catalog.negotiate(Some(&joined[..end]))
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Locale {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        match request.rocket().state::<Passkeys>() {
            Some(passkeys) => Outcome::Success(Locale::of(request, passkeys).clone()),
            None => Outcome::Forward(rocket::http::Status::InternalServerError),
        }
    }
}

impl rocket::Sentinel for Locale {
    fn abort(rocket: &rocket::Rocket<rocket::Ignite>) -> bool {
        crate::passkeys::missing_fairing(rocket)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::PathBuf;

    use fluent_bundle::FluentResource;
    use fluent_syntax::ast;

    use super::*;

    /// Each message of a catalog, with the variables it uses.
    fn messages(source: &str) -> BTreeMap<String, BTreeSet<String>> {
        let resource = FluentResource::try_new(source.to_string()).expect("it parses");
        let mut out = BTreeMap::new();
        for entry in resource.entries() {
            if let ast::Entry::Message(message) = entry {
                let mut variables = BTreeSet::new();
                if let Some(pattern) = &message.value {
                    pattern_variables(pattern, &mut variables);
                }
                out.insert(message.id.name.to_string(), variables);
            }
        }
        out
    }

    fn pattern_variables(pattern: &ast::Pattern<&str>, out: &mut BTreeSet<String>) {
        for element in &pattern.elements {
            if let ast::PatternElement::Placeable { expression } = element {
                expression_variables(expression, out);
            }
        }
    }

    fn expression_variables(expression: &ast::Expression<&str>, out: &mut BTreeSet<String>) {
        match expression {
            ast::Expression::Select { selector, variants } => {
                inline_variables(selector, out);
                for variant in variants {
                    pattern_variables(&variant.value, out);
                }
            }
            ast::Expression::Inline(inline) => inline_variables(inline, out),
        }
    }

    fn inline_variables(inline: &ast::InlineExpression<&str>, out: &mut BTreeSet<String>) {
        match inline {
            ast::InlineExpression::VariableReference { id } => {
                out.insert(id.name.to_string());
            }
            ast::InlineExpression::Placeable { expression } => {
                expression_variables(expression, out)
            }
            _ => {}
        }
    }

    fn all_shipped() -> Catalog {
        Catalog::load(&LocaleConfig {
            default_locale: "en",
            locales: &[],
            dir: None,
        })
        .expect("the shipped catalogs load")
    }

    #[test]
    fn every_shipped_locale_has_every_message_with_the_same_variables() {
        let english = messages(SHIPPED[0].1);
        assert!(english.len() > 100, "{}", english.len());
        for (tag, source) in &SHIPPED[1..] {
            FluentResource::try_new(source.to_string())
                .unwrap_or_else(|(_, e)| panic!("`{tag}.ftl` does not parse: {e:?}"));
            let theirs = messages(source);
            let missing: Vec<_> = english
                .keys()
                .filter(|k| !theirs.contains_key(*k))
                .collect();
            let extra: Vec<_> = theirs
                .keys()
                .filter(|k| !english.contains_key(*k))
                .collect();
            assert!(missing.is_empty(), "`{tag}` lacks {missing:?}");
            assert!(
                extra.is_empty(),
                "`{tag}` has messages English lacks: {extra:?}"
            );
            for (id, variables) in &english {
                assert_eq!(&theirs[id], variables, "`{tag}`: the variables of `{id}`");
            }
        }
    }

    /// Every source file that may name a message: the crate's code and templates.
    fn sources() -> Vec<(PathBuf, String)> {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        let mut dirs = vec![root.join("src"), root.join("templates")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).expect("readable").flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if matches!(
                    path.extension().and_then(|e| e.to_str()),
                    Some("rs" | "hbs" | "js")
                ) {
                    let text = std::fs::read_to_string(&path).expect("readable");
                    files.push((path, text));
                }
            }
        }
        files
    }

    #[test]
    fn every_message_is_used_and_every_used_message_exists() {
        let english = messages(SHIPPED[0].1);
        let this_file = file!().rsplit('/').next().expect("a name");
        let sources = sources();
        // Used: named as a string literal somewhere other than these tests.
        let code: String = sources
            .iter()
            .map(|(path, text)| {
                if path.ends_with(this_file) {
                    text.split("#[cfg(test)]").next().unwrap_or("").to_string()
                } else {
                    text.clone()
                }
            })
            .collect();
        let unused: Vec<&String> = english
            .keys()
            .filter(|id| !code.contains(&format!("\"{id}\"")))
            .collect();
        assert!(
            unused.is_empty(),
            "messages no code or template names: {unused:?}"
        );
        // Every `{{t "id"` and `title="id"` of the templates exists.
        for (path, text) in sources
            .iter()
            .filter(|(p, _)| p.extension() == Some("hbs".as_ref()))
        {
            for marker in ["{{t \"", "title=\""] {
                for piece in text.split(marker).skip(1) {
                    let id = piece.split('"').next().unwrap_or("");
                    assert!(
                        english.contains_key(id),
                        "{}: `{id}` is not in en.ftl",
                        path.display()
                    );
                }
            }
        }
        // And every error message the code names exists.
        for piece in code.split("\"error-").skip(1) {
            let id = format!("error-{}", piece.split('"').next().unwrap_or(""));
            assert!(english.contains_key(&id), "`{id}` is not in en.ftl");
        }
    }

    /// The words of the recovery-codes sentence for `n` codes left, without its digits:
    /// two counts give the same words exactly when they fall in one plural category.
    fn plural(catalog: &Catalog, tag: &str, n: i64) -> String {
        let locale = catalog.find(tag).expect("offered");
        catalog
            .message(
                locale,
                "manage-recovery-left",
                &[("left", Arg::Number(n)), ("total", Arg::Number(10))],
            )
            .chars()
            .filter(|c| !c.is_ascii_digit())
            .collect()
    }

    #[test]
    fn plurals_follow_each_language() {
        let catalog = all_shipped();
        // Arabic has six forms: 0, 1, 2, 3-10, 11-99, 100+.
        let arabic: BTreeSet<String> = [0, 1, 2, 3, 11, 100]
            .iter()
            .map(|n| plural(&catalog, "ar", *n))
            .collect();
        assert_eq!(arabic.len(), 6, "{arabic:#?}");
        // 3 and 10 are both "few", 11 and 99 both "many", 100 and 1000 both "other".
        assert_eq!(plural(&catalog, "ar", 3), plural(&catalog, "ar", 10));
        assert_eq!(plural(&catalog, "ar", 11), plural(&catalog, "ar", 99));
        assert_eq!(plural(&catalog, "ar", 100), plural(&catalog, "ar", 1000));
        // Spanish and German: one, and other for the rest.
        for tag in ["es", "de"] {
            assert_ne!(plural(&catalog, tag, 1), plural(&catalog, tag, 2), "{tag}");
            assert_eq!(plural(&catalog, tag, 2), plural(&catalog, tag, 7), "{tag}");
        }
        let too_many = |tag: &str, n: i64| {
            let locale = catalog.find(tag).expect("offered");
            catalog.message(
                locale,
                "error-too-many-passkeys",
                &[("max", Arg::Number(n))],
            )
        };
        assert!(
            too_many("en", 1).contains("1 passkey,"),
            "{}",
            too_many("en", 1)
        );
        assert!(
            too_many("en", 20).contains("20 passkeys,"),
            "{}",
            too_many("en", 20)
        );
        assert!(too_many("de", 20).contains("20"), "{}", too_many("de", 20));
    }

    #[test]
    fn dates_are_written_in_each_language() {
        let catalog = all_shipped();
        let at = time::macros::datetime!(2026-12-03 07:05 UTC);
        let date = |tag: &str| catalog.date_time(catalog.find(tag).expect("offered"), at);
        assert_eq!(date("en"), "December 3, 2026, 07:05 UTC");
        assert!(date("de").contains("Dezember"), "{}", date("de"));
        assert!(date("fr").contains("décembre"), "{}", date("fr"));
        assert!(date("es").contains("diciembre"), "{}", date("es"));
        assert!(date("pt-BR").contains("dezembro"), "{}", date("pt-BR"));
        assert!(date("ja").starts_with("2026年12月3日"), "{}", date("ja"));
        assert!(date("ar").contains("ديسمبر"), "{}", date("ar"));
        for tag in catalog.tags() {
            assert!(date(tag).contains("07:05"), "{tag}: {}", date(tag));
        }
        // Each month by its own name: January is not December.
        let january = time::macros::datetime!(2027-01-01 23:59 UTC);
        let date = |tag: &str| catalog.date_time(catalog.find(tag).expect("offered"), january);
        assert_eq!(date("en"), "January 1, 2027, 23:59 UTC");
        assert!(date("de").contains("Januar 2027"), "{}", date("de"));
        assert!(date("fr").starts_with("1er janvier 2027"), "{}", date("fr"));
        assert!(date("ja").starts_with("2027年1月1日"), "{}", date("ja"));
        assert!(date("ar").contains("يناير"), "{}", date("ar"));
        let months: BTreeSet<String> = (1..=12u8)
            .map(|m| {
                let month = time::Month::try_from(m).expect("a month");
                let at = time::Date::from_calendar_date(2027, month, 15)
                    .expect("a date")
                    .midnight()
                    .assume_utc();
                catalog.date_time(catalog.find("es").expect("offered"), at)
            })
            .collect();
        assert_eq!(months.len(), 12, "{months:#?}");
    }

    #[test]
    fn accept_language_is_read_by_quality_then_order() {
        let tags = |header: &str| -> Vec<String> {
            accepted(header).iter().map(ToString::to_string).collect()
        };
        assert_eq!(tags("de-AT,de;q=0.9,en;q=0.8"), ["de-AT", "de", "en"]);
        assert_eq!(tags("en;q=0.1, ar"), ["ar", "en"]);
        assert_eq!(tags("fr;q=0, *;q=0.5, ja;q=0.4"), ["ja"]);
        assert_eq!(tags("en;q=2, !!, de;q=abc, ;"), Vec::<String>::new());
        assert_eq!(tags("ja,ja-JP;q=1"), ["ja", "ja-JP"]);
        // Extensions and private use never decide the language.
        assert_eq!(tags("ar-SA-u-nu-latn, ja-x-kana;q=0.5"), ["ar-SA", "ja"]);
    }

    #[test]
    fn negotiation_picks_the_closest_offered_locale() {
        let catalog = all_shipped();
        let pick = |header: &str| catalog.tag(catalog.negotiate(Some(header))).to_string();
        assert_eq!(pick("de-AT,de;q=0.9,en;q=0.8"), "de");
        assert_eq!(pick("pt"), "pt-BR");
        assert_eq!(pick("pt-PT,en;q=0.5"), "pt-BR");
        assert_eq!(pick("fr-CA"), "fr");
        assert_eq!(pick("es-419"), "es");
        assert_eq!(pick("zh-CN,ja;q=0.5"), "ja");
        assert_eq!(pick("ar-EG"), "ar");
        assert_eq!(pick("ja-JP-u-ca-japanese"), "ja");
        assert_eq!(
            catalog.find("pt-BR-x-foo").map(|i| catalog.tag(i)),
            Some("pt-BR")
        );
        assert_eq!(pick("en;q=0.1, ar"), "ar");
        assert_eq!(pick("zh-CN"), "en", "none offered: the default");
        assert_eq!(pick("*"), "en");
        assert_eq!(pick(""), "en");
        assert_eq!(catalog.tag(catalog.negotiate(None)), "en");
        assert!(catalog.is_rtl(catalog.find("ar").expect("offered")));
        assert!(!catalog.is_rtl(catalog.find("ja").expect("offered")));
        // A site offering fewer locales, defaulting to German.
        let two = Catalog::load(&LocaleConfig {
            default_locale: "de",
            locales: &["en".into(), "de".into()],
            dir: None,
        })
        .expect("loads");
        assert_eq!(two.tag(two.negotiate(Some("fr-FR,fr"))), "de");
        assert_eq!(two.tag(two.negotiate(Some("fr, en-GB;q=0.5"))), "en");
        assert_eq!(two.find("ja"), None);
    }

    fn load(default: &str, locales: &[&str], dir: Option<&Path>) -> Result<Catalog, String> {
        let locales: Vec<String> = locales.iter().map(|s| s.to_string()).collect();
        Catalog::load(&LocaleConfig {
            default_locale: default,
            locales: &locales,
            dir,
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn a_bad_locale_configuration_is_one_sentence_naming_its_key() {
        let dir = std::env::temp_dir().join(format!("passkeys-i18n-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let cases: Vec<(&str, Result<Catalog, String>)> = vec![
            ("`passkeys.locales`", load("en", &["en", "de_DE"], None)),
            ("`passkeys.locales`", load("en", &["en", "!!"], None)),
            ("`passkeys.locales`", load("en", &["en", "common"], None)),
            ("`passkeys.locales`", load("en", &["en", "it"], None)),
            ("`passkeys.locales`", load("en", &["en", "de", "de"], None)),
            ("`passkeys.default_locale`", load("ja", &["en", "de"], None)),
            ("`passkeys.default_locale`", load("", &[], None)),
            ("`passkeys.default_locale`", load("xx-!!", &[], None)),
        ];
        for (key, result) in cases {
            let sentence = result.expect_err(key);
            assert!(sentence.starts_with(key), "{sentence}");
            assert!(!sentence.contains('\n'), "one sentence: {sentence}");
        }
        std::fs::write(dir.join("it.ftl"), "sign-in-title = Accedi\nbroken = {\n").expect("write");
        let sentence = load("en", &[], Some(&dir)).expect_err("a file that does not parse");
        assert!(
            sentence.starts_with("`passkeys.locales_dir` has `")
                && sentence.contains("it.ftl`, which does not parse at line"),
            "{sentence}"
        );
        std::fs::remove_file(dir.join("it.ftl")).expect("remove");
        for name in ["de_DE", "errors", "und"] {
            std::fs::write(dir.join(format!("{name}.ftl")), "x = y\n").expect("write");
            let sentence = load("en", &[], Some(&dir)).expect_err("not named for a locale");
            assert!(
                sentence.contains(&format!("{name}.ftl`, which is not named for a locale")),
                "{sentence}"
            );
            std::fs::remove_file(dir.join(format!("{name}.ftl"))).expect("remove");
        }
        std::fs::remove_dir_all(&dir).expect("clean up");
    }

    #[test]
    fn the_app_adds_a_locale_and_replaces_messages_with_english_for_the_rest() {
        let dir = std::env::temp_dir().join(format!("passkeys-i18n-app-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        std::fs::write(dir.join("it.ftl"), "sign-in-title = Accedi\n").expect("write");
        std::fs::write(dir.join("de.ftl"), "sign-in-title = Einloggen\n").expect("write");
        let catalog = load("en", &[], Some(&dir)).expect("loads");
        let tags: Vec<&str> = catalog.tags().collect();
        assert_eq!(tags, ["en", "de", "fr", "es", "pt-BR", "ja", "ar", "it"]);
        let it = catalog.find("it-IT").expect("the app's locale");
        assert_eq!(catalog.message(it, "sign-in-title", &[]), "Accedi");
        // Missing in Italian: English, never the id. (What every page carries, the
        // language's name and the script's messages, was looked up, and logged, at load.)
        let logged = || catalog.logged.lock().len();
        let at_load = logged();
        assert_eq!(catalog.name(it), "English");
        assert_eq!(catalog.message(it, "enroll-skip", &[]), "Not now");
        assert_eq!(logged(), at_load + 1, "logged");
        assert_eq!(catalog.message(it, "enroll-skip", &[]), "Not now");
        assert_eq!(logged(), at_load + 1, "logged once");
        let de = catalog.find("de").expect("shipped");
        assert_eq!(catalog.message(de, "sign-in-title", &[]), "Einloggen");
        assert_ne!(catalog.message(de, "enroll-skip", &[]), "Not now");
        // An id no catalog has is empty, not shown.
        assert_eq!(catalog.message(de, "no-such-message", &[]), "");
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
