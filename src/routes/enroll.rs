//! The "create a passkey?" prompt and its answers.

use rocket::http::RawStr;
use rocket::response::Redirect;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{JsonBody, SameOrigin, Screen};
use crate::enrollment;
use crate::error::{Error, ErrorCode};
use crate::guards::CurrentSession;
use crate::input::local_path;
use crate::passkeys::Passkeys;
use crate::session::may_add_passkey;
use crate::store::EnrollmentEvent;

pub(crate) fn routes() -> Vec<Route> {
    routes![prompt, skip, never]
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
}

#[get("/enroll?<next>")]
async fn prompt(
    passkeys: &Passkeys,
    session: Result<&CurrentSession, Error>,
    next: Option<&str>,
) -> Screen {
    let settings = &passkeys.ceremonies.settings;
    let next = next.and_then(local_path).unwrap_or(&settings.after_sign_in);
    let next_query = format!("?next={}", RawStr::new(next).percent_encode());
    let session = match session {
        Ok(session) => session,
        Err(e) => return Screen::Failed(e),
    };
    let Some((session, _)) = session.as_ref() else {
        return Screen::sign_in_first(passkeys, &format!("/enroll{next_query}"));
    };
    // Shown to a session that may add a passkey and has none; anyone else goes on. The
    // page changes nothing: the app's sign-in counted the prompt when it sent them here.
    let store = &*passkeys.ceremonies.store;
    let has_passkey = match store.credentials(session.user.handle).await {
        Ok(list) => !list.is_empty(),
        Err(e) => return Screen::Failed(e.into()),
    };
    let may = may_add_passkey(
        session.factors,
        session.user_verified,
        session.user.factors,
        has_passkey,
    );
    if has_passkey || !may {
        return Screen::Redirect(Box::new(Redirect::to(next.to_string())));
    }
    let page = PromptPage {
        mount: &settings.mount,
        rp_name: &settings.rp_name,
        sign_up: settings.sign_up,
        next,
        next_query,
        display_name: &session.user.display_name,
        allow_never: settings.allow_never_prompt,
    };
    Screen::render(passkeys, "enroll", &page)
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
    let session = session?;
    let Some((session, _)) = session.as_ref() else {
        return Err(Error::unauthorized());
    };
    let body = body?.0;
    // The answer changes what the account is offered: the same session as the prompt's.
    passkeys.ceremonies.may_change_passkeys(session).await?;
    let settings = &passkeys.ceremonies.settings;
    let next = match body.next.as_deref() {
        None | Some("") => settings.after_sign_in.clone(),
        Some(next) => local_path(next)
            .ok_or_else(|| Error::invalid("`next` must be a local path starting with `/`."))?
            .to_string(),
    };
    if event == EnrollmentEvent::Never && !settings.allow_never_prompt {
        return Err(Error::new(
            ErrorCode::Forbidden,
            "\"Don't ask again\" is not offered on this site.",
        ));
    }
    let now = passkeys.ceremonies.now();
    let ceremonies = &passkeys.ceremonies;
    let user = (session.user.handle, session.user.user_id.as_str());
    enrollment::record(&*ceremonies.store, &*ceremonies.events, user, event, now).await?;
    Ok(Json(json!({ "redirect": next })))
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
