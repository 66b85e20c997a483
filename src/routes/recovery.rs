//! Recovery codes: the recovery screen, signing in with a code, and new codes.

use rocket::http::CookieJar;
use rocket::serde::json::Json;
use rocket::{get, post, routes, Route};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{JsonBody, SameOrigin, Screen};
use crate::error::{Error, ErrorCode};
use crate::guards::CurrentSession;
use crate::i18n::Locale;
use crate::limit::Action;
use crate::passkeys::Passkeys;
use crate::service::sessions::token_hash;

pub(crate) fn routes() -> Vec<Route> {
    routes![screen, recover, regenerate]
}

type Guard<T> = Result<T, Error>;

fn off() -> Error {
    Error::coded(ErrorCode::NotFound)
}

#[get("/recover")]
fn screen(passkeys: &Passkeys, locale: Locale) -> Screen {
    if !passkeys.recovery.enabled() {
        return Screen::Failed(off());
    }
    super::pages::page(passkeys, &locale, "recover", None)
}

/// The body of a recovery.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Recover {
    username: String,
    code: String,
}

/// Signs in with a recovery code and goes on to create a new passkey. The session the
/// browser held ends with every other of the account.
#[post("/recover", data = "<body>")]
async fn recover(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    jar: &CookieJar<'_>,
    body: Result<JsonBody<Recover>, Error>,
) -> Result<Json<Value>, Error> {
    let client = origin?.client;
    passkeys.limiter.admit(Action::Recover, client).await?;
    let body = body?.0;
    if body.username.chars().count() > 64 || body.code.len() > 64 {
        return Err(Error::say(
            ErrorCode::InvalidRequest,
            "error-recovery-too-long",
        ));
    }
    let held = passkeys.cookies.session_token(jar).map(|t| token_hash(&t));
    let (_, token) = passkeys
        .recovery
        .recover(&body.username, &body.code, client, held)
        .await?;
    passkeys.cookies.set_session(jar, &token);
    let mount = &passkeys.settings().mount;
    Ok(Json(
        json!({ "redirect": format!("{mount}/manage?recovered=1") }),
    ))
}

/// New recovery codes for the signed-in account, voiding the old ones; shown once.
#[post("/recovery-codes")]
async fn regenerate(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
) -> Result<Json<Value>, Error> {
    passkeys
        .limiter
        .admit(Action::Manage, origin?.client)
        .await?;
    let current = session?.as_ref().ok_or_else(Error::unauthorized)?;
    let codes = passkeys.recovery.regenerate(current).await?;
    Ok(Json(json!({ "recovery_codes": codes })))
}
