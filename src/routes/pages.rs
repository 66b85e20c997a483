//! The HTML screens and the static script and styles.

use rocket::http::{ContentType, Header};
use rocket::response::Redirect;
use rocket::{get, routes, Responder, Route};

use super::Screen;
use crate::guards::CurrentSession;
use crate::i18n::Locale;
use crate::input::Next;
use crate::is_local_path;
use crate::passkeys::Passkeys;
use crate::screens::Page;

pub(crate) fn routes() -> Vec<Route> {
    routes![sign_in, sign_up, script, styles]
}

/// A static asset, cached by the browser for an hour.
#[derive(Responder)]
struct Asset {
    body: String,
    content_type: ContentType,
    cache: Header<'static>,
}

impl Asset {
    fn new(body: &str, content_type: ContentType) -> Self {
        Asset {
            body: body.to_string(),
            content_type,
            cache: Header::new("Cache-Control", "public, max-age=3600"),
        }
    }
}

pub(super) fn page(passkeys: &Passkeys, locale: &Locale, name: &str, next: Option<&str>) -> Screen {
    let settings = passkeys.settings();
    // A page with no (or a bad) `next` names none: the sign-in then goes to the default.
    let next = next.filter(|next| is_local_path(next)).unwrap_or("");
    let next_query = if next.is_empty() {
        String::new()
    } else {
        Next::lenient(Some(next), &settings.after_sign_in).query()
    };
    let data = Page {
        mount: &settings.mount,
        rp_name: &settings.rp_name,
        sign_up: settings.sign_up,
        next,
        next_query,
        recovery: settings.recovery_codes,
    };
    Screen::render(passkeys, locale, name, &data)
}

/// Signed-in visitors go on to `next` instead of seeing the form again.
fn signed_in(passkeys: &Passkeys, session: &CurrentSession, next: Option<&str>) -> Option<Screen> {
    session.0.as_ref()?;
    let to = Next::lenient(next, &passkeys.settings().after_sign_in);
    Some(Screen::Redirect(Box::new(Redirect::to(to.into_string()))))
}

#[get("/sign-in?<next>")]
fn sign_in(
    passkeys: &Passkeys,
    session: &CurrentSession,
    locale: Locale,
    next: Option<&str>,
) -> Screen {
    signed_in(passkeys, session, next).unwrap_or_else(|| page(passkeys, &locale, "sign-in", next))
}

#[get("/sign-up?<next>")]
fn sign_up(
    passkeys: &Passkeys,
    session: &CurrentSession,
    locale: Locale,
    next: Option<&str>,
) -> Screen {
    if let Some(redirect) = signed_in(passkeys, session, next) {
        return redirect;
    }
    if !passkeys.settings().sign_up {
        return page(passkeys, &locale, "sign-in", next);
    }
    page(passkeys, &locale, "sign-up", next)
}

#[get("/passkeys.js")]
fn script(passkeys: &Passkeys) -> Asset {
    Asset::new(&passkeys.screens.script, ContentType::JavaScript)
}

#[get("/passkeys.css")]
fn styles(passkeys: &Passkeys) -> Asset {
    Asset::new(&passkeys.screens.styles, ContentType::CSS)
}
