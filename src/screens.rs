//! The HTML screens: handlebars templates shipped in the crate, overridable file by file.
//!
//! The crate keeps its own registry, so it never collides with an app's `Template`
//! fairing. A file `NAME.hbs` in `templates_dir` replaces the built-in `NAME`, and
//! `passkeys.js` / `passkeys.css` there replace the built-in script and styles.
//!
//! Templates hold no sentences: `{{t "message-id" name=value}}` writes a message of the
//! request's locale (see [`crate::i18n`]), `{{date at}}` a moment (RFC 3339) in its words.

use std::path::Path;
use std::sync::Arc;

use handlebars::{
    Context, Handlebars, Helper, HelperDef, RenderContext, RenderError, RenderErrorReason,
    ScopedJson,
};
use serde::Serialize;
use serde_json::Value;

use crate::i18n::{Arg, Catalog, ChooseLocale, Locale};

/// The built-in templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout", include_str!("../templates/layout.hbs")),
    ("sign-in", include_str!("../templates/sign-in.hbs")),
    ("sign-up", include_str!("../templates/sign-up.hbs")),
    ("enroll", include_str!("../templates/enroll.hbs")),
    ("manage", include_str!("../templates/manage.hbs")),
    ("recover", include_str!("../templates/recover.hbs")),
];

const SCRIPT: &str = include_str!("../templates/passkeys.js");
const STYLES: &str = include_str!("../templates/passkeys.css");

/// The rendered-on-demand screens and the static script and styles.
pub(crate) struct Screens {
    registry: Handlebars<'static>,
    pub script: String,
    pub styles: String,
    pub catalog: Arc<Catalog>,
    /// The app's choice of locale per request, if it makes one.
    pub choose_locale: Option<ChooseLocale>,
}

/// What every screen is given.
#[derive(Debug, Serialize)]
pub(crate) struct Page<'a> {
    pub mount: &'a str,
    pub rp_name: &'a str,
    pub sign_up: bool,
    pub next: &'a str,
    pub next_query: String,
    /// Whether recovery codes are on (the sign-in screen links to recovery).
    pub recovery: bool,
}

impl Screens {
    /// Loads the built-in templates, then the overrides. A bad override stops the launch.
    pub fn load(
        overrides: Option<&Path>,
        catalog: Arc<Catalog>,
        choose_locale: Option<ChooseLocale>,
    ) -> Result<Self, String> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_helper("t", Box::new(Translate(catalog.clone())));
        registry.register_helper("date", Box::new(Moment(catalog.clone())));
        let read = |name: &str, builtin: &str| -> Result<String, String> {
            match overrides.map(|dir| dir.join(name)) {
                Some(path) if path.is_file() => std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read `{}`: {e}", path.display())),
                _ => Ok(builtin.to_string()),
            }
        };
        for (name, builtin) in TEMPLATES {
            let source = read(&format!("{name}.hbs"), builtin)?;
            registry
                .register_template_string(name, source)
                .map_err(|e| format!("template `{name}.hbs` does not parse: {e}"))?;
        }
        Ok(Screens {
            registry,
            script: read("passkeys.js", SCRIPT)?,
            styles: read("passkeys.css", STYLES)?,
            catalog,
            choose_locale,
        })
    }

    /// Renders a screen in `locale`; a failure is logged and shown as a plain sentence.
    ///
    /// Every screen is also given `lang`, `dir`, the language menu (`languages`, keeping
    /// the page's `next`) and the script's messages (`script_messages`).
    pub fn render<T: Serialize>(
        &self,
        name: &str,
        locale: &Locale,
        data: &T,
    ) -> Result<String, String> {
        let failed = |e: &dyn std::fmt::Display| {
            log::error!("passkeys: cannot render `{name}`: {e}");
            format!("The `{name}` screen could not be shown.")
        };
        let mut data = serde_json::to_value(data).map_err(|e| failed(&e))?;
        let Value::Object(fields) = &mut data else {
            return Err(failed(&"its data is not an object"));
        };
        let next = fields.get("next").and_then(Value::as_str).unwrap_or("");
        let keep = if next.is_empty() {
            String::new()
        } else {
            format!("&next={}", rocket::http::RawStr::new(next).percent_encode())
        };
        let languages: Vec<Value> = (0..self.catalog.tags().count())
            .map(|index| {
                let tag = self.catalog.tag(index);
                serde_json::json!({
                    "tag": tag,
                    "name": self.catalog.name(index),
                    "href": format!("?lang={tag}{keep}"),
                    "current": index == locale.index,
                })
            })
            .collect();
        fields.insert("locale".into(), Value::from(locale.index));
        fields.insert("lang".into(), Value::from(locale.tag()));
        fields.insert("dir".into(), Value::from(locale.dir()));
        fields.insert("languages".into(), Value::Array(languages));
        fields.insert(
            "script_messages".into(),
            Value::from(self.catalog.script_messages(locale.index)),
        );
        self.registry.render(name, &data).map_err(|e| failed(&e))
    }
}

/// The locale a template renders in, from its root data.
fn locale_of(ctx: &Context) -> usize {
    ctx.data()
        .get("locale")
        .and_then(Value::as_u64)
        .and_then(|i| usize::try_from(i).ok())
        .unwrap_or(0)
}

/// `{{t "message-id" name=value ...}}`: a message of the page's locale. Written as a
/// value: escaped in the page, raw as an argument of another helper. An argument that
/// names nothing fails the render, as a missing field does in strict mode.
struct Translate(Arc<Catalog>);

impl HelperDef for Translate {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let id = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("t", 0))?;
        let mut args = Vec::new();
        for (name, value) in h.hash() {
            let arg = match value.value() {
                Value::Number(n) => match n.as_i64() {
                    Some(n) => Arg::Number(n),
                    None => Arg::Text(n.to_string()),
                },
                Value::String(s) => Arg::Text(s.clone()),
                Value::Null => {
                    return Err(RenderErrorReason::Other(format!(
                        "the argument `{name}` of the message `{id}` is missing"
                    ))
                    .into())
                }
                other => Arg::Text(other.to_string()),
            };
            args.push((*name, arg));
        }
        let text = self.0.message(locale_of(ctx), id, &args);
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

/// `{{date at}}`: a moment given in RFC 3339, in the page's locale; a value like `t`'s.
struct Moment(Arc<Catalog>);

impl HelperDef for Moment {
    fn call_inner<'reg: 'rc, 'rc>(
        &self,
        h: &Helper<'rc>,
        _: &'reg Handlebars<'reg>,
        ctx: &'rc Context,
        _: &mut RenderContext<'reg, 'rc>,
    ) -> Result<ScopedJson<'rc>, RenderError> {
        let at = h
            .param(0)
            .and_then(|p| p.value().as_str())
            .ok_or(RenderErrorReason::ParamNotFoundForIndex("date", 0))?;
        let at = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map_err(|e| RenderError::from(RenderErrorReason::Other(e.to_string())))?;
        let text = self.0.date_time(locale_of(ctx), at);
        Ok(ScopedJson::Derived(Value::String(text)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::i18n::LocaleConfig;

    fn dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("passkeys-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[test]
    fn messages_and_dates_are_escaped_once_and_a_missing_argument_fails() {
        let templates = dir("screens-templates");
        let locales = dir("screens-locales");
        std::fs::write(
            templates.join("sign-in.hbs"),
            "{{t \"manage-created\" date=(date at)}}|{{date at}}|{{t \"sign-in-heading\" site=rp_name}}",
        )
        .expect("write");
        std::fs::write(
            templates.join("recover.hbs"),
            "{{t \"sign-in-heading\" site=no_such_field}}",
        )
        .expect("write");
        std::fs::write(
            locales.join("en.ftl"),
            "date-time = { $day } Dec '{ $year }\n",
        )
        .expect("write");
        let catalog = Catalog::load(&LocaleConfig {
            default_locale: "en",
            locales: &[],
            dir: Some(&locales),
        })
        .expect("loads");
        let screens = Screens::load(Some(&templates), Arc::new(catalog), None).expect("loads");
        let english = Locale::new(&screens.catalog, 0);
        let data = serde_json::json!({ "at": "2026-12-03T07:05:00Z", "rp_name": "A&B" });
        assert_eq!(
            screens.render("sign-in", &english, &data).expect("renders"),
            "Created 3 Dec &#x27;2026|3 Dec &#x27;2026|Sign in to A&amp;B"
        );
        assert!(screens.render("recover", &english, &data).is_err());
        std::fs::remove_dir_all(&templates).expect("clean up");
        std::fs::remove_dir_all(&locales).expect("clean up");
    }
}
