//! The HTML screens: handlebars templates shipped in the crate, overridable file by file.
//!
//! The crate keeps its own registry, so it never collides with an app's `Template`
//! fairing. A file `NAME.hbs` in `templates_dir` replaces the built-in `NAME`, and
//! `passkeys.js` / `passkeys.css` there replace the built-in script and styles.

use std::path::Path;

use handlebars::Handlebars;
use serde::Serialize;

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
    pub fn load(overrides: Option<&Path>) -> Result<Self, String> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
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
        })
    }

    /// Renders a screen; a failure is logged and shown as a plain sentence.
    pub fn render<T: Serialize>(&self, name: &str, data: &T) -> Result<String, String> {
        self.registry.render(name, data).map_err(|e| {
            log::error!("passkeys: cannot render `{name}`: {e}");
            format!("The `{name}` screen could not be shown.")
        })
    }
}
