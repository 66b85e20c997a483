//! The "create a passkey?" prompt and its answers.

use rocket::response::Redirect;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{JsonBody, SameOrigin, Screen};
use crate::error::Error;
use crate::guards::CurrentSession;
use crate::i18n::Locale;
use crate::input::Next;
use crate::passkeys::Passkeys;
use crate::store::EnrollmentEvent;

pub(crate) fn routes() -> Vec<Route> {
    routes![prompt, here, skip, never]
}

#[derive(Serialize)]
struct PromptPage<'a> {
    mount: &'a str,
    rp_name: &'a str,
    sign_up: bool,
    next: &'a str,
    next_query: String,
    display_name: &'a str,
    allow_never: bool,
    /// The offer after a sign-in with another device's passkey: a passkey on this one.
    here: bool,
}

/// Shown to a session that may add a passkey and has none; anyone else goes on. The page
/// changes nothing: the app's sign-in counted the prompt when it sent them here.
#[get("/enroll?<next>")]
async fn prompt(
    passkeys: &Passkeys,
    session: Result<&CurrentSession, Error>,
    locale: Locale,
    next: Option<&str>,
) -> Screen {
    offer(passkeys, session, &locale, next, false).await
}

/// The offer of a passkey on this device, after a sign-in with another device's (a
/// phone's, over hybrid transport): shown to a session that may add a passkey, whatever
/// passkeys the account has elsewhere. The page changes nothing.
#[get("/enroll/here?<next>")]
async fn here(
    passkeys: &Passkeys,
    session: Result<&CurrentSession, Error>,
    locale: Locale,
    next: Option<&str>,
) -> Screen {
    offer(passkeys, session, &locale, next, true).await
}

/// The prompt (`here`: its "on this device" form) to a session it is for; a signed-out
/// visitor signs in first, anyone else goes on to `next`.
async fn offer(
    passkeys: &Passkeys,
    session: Result<&CurrentSession, Error>,
    locale: &Locale,
    next: Option<&str>,
    here: bool,
) -> Screen {
    let settings = passkeys.settings();
    let next = Next::lenient(next, &settings.after_sign_in);
    let next_query = next.query();
    let session = match session {
        Ok(session) => session,
        Err(e) => return Screen::Failed(e),
    };
    let path = if here { "/enroll/here" } else { "/enroll" };
    let Some((session, _)) = session.as_ref() else {
        return Screen::sign_in_first(passkeys, &format!("{path}{next_query}"));
    };
    let shown = if here {
        Ok(passkeys.management.may_add(session).await.is_ok())
    } else {
        passkeys.enrollment.shows_prompt(session).await
    };
    match shown {
        Ok(true) => {}
        Ok(false) => return Screen::Redirect(Box::new(Redirect::to(next.into_string()))),
        Err(e) => return Screen::Failed(e),
    }
    let page = PromptPage {
        mount: &settings.mount,
        rp_name: &settings.rp_name,
        sign_up: settings.sign_up,
        next: next.as_str(),
        next_query,
        display_name: &session.user.display_name,
        allow_never: settings.allow_never_prompt,
        here,
    };
    Screen::render(passkeys, locale, "enroll", &page)
}

/// The body of `enroll/skip` and `enroll/never`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Choice {
    next: Option<String>,
}

async fn answer(
    passkeys: &Passkeys,
    origin: Result<SameOrigin, Error>,
    session: Result<&CurrentSession, Error>,
    body: Result<JsonBody<Choice>, Error>,
    event: EnrollmentEvent,
) -> Result<Json<Value>, Error> {
    origin?;
    let (session, _) = session?.as_ref().ok_or_else(Error::unauthorized)?;
    let body = body?.0;
    let next = Next::or(body.next.as_deref(), &passkeys.settings().after_sign_in)?;
    passkeys.enrollment.answer(session, event).await?;
    Ok(Json(json!({ "redirect": next.as_str() })))
}

#[post("/enroll/skip", data = "<body>")]
async fn skip(
    passkeys: &Passkeys,
    origin: Result<SameOrigin, Error>,
    session: Result<&CurrentSession, Error>,
    body: Result<JsonBody<Choice>, Error>,
) -> Result<Json<Value>, Error> {
    answer(passkeys, origin, session, body, EnrollmentEvent::Skipped).await
}

#[post("/enroll/never", data = "<body>")]
async fn never(
    passkeys: &Passkeys,
    origin: Result<SameOrigin, Error>,
    session: Result<&CurrentSession, Error>,
    body: Result<JsonBody<Choice>, Error>,
) -> Result<Json<Value>, Error> {
    answer(passkeys, origin, session, body, EnrollmentEvent::Never).await
}
