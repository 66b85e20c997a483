//! The JSON API: registration, sign-in, sign-out, and the signed-in user's passkeys.

use rocket::http::CookieJar;
use rocket::serde::json::Json;
use rocket::{post, routes, Route};
use serde_json::{json, Value};
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

use super::{JsonBody, SameOrigin};
use crate::ceremony::started::Started;
use crate::ceremony::{AuthenticateStart, RegisterStart, SignedIn};
use crate::error::Error;
use crate::guards::CurrentSession;
use crate::limit::Action;
use crate::passkeys::Passkeys;
use crate::session::{token_hash, CeremonyKind};

pub(crate) fn routes() -> Vec<Route> {
    routes![
        register_start,
        register_finish,
        authenticate_start,
        authenticate_finish,
        sign_out,
    ]
}

type Body<T> = Result<JsonBody<T>, Error>;
type Guard<T> = Result<T, Error>;

#[post("/register/start", data = "<body>")]
async fn register_start(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    jar: &CookieJar<'_>,
    body: Body<RegisterStart>,
) -> Result<Json<CreationChallengeResponse>, Error> {
    passkeys.admit(Action::Register, origin?.client).await?;
    let session = session?;
    let body = body?.0;
    let (options, started) = passkeys
        .ceremonies
        .register_start(session.as_ref(), body)
        .await?;
    let sealed = started.to_cookie()?;
    passkeys
        .cookies
        .set_ceremony(jar, CeremonyKind::Register, sealed);
    Ok(Json(options))
}

#[post("/register/finish", data = "<body>")]
async fn register_finish(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    jar: &CookieJar<'_>,
    body: Body<Value>,
) -> Result<Json<Value>, Error> {
    passkeys.admit(Action::Register, origin?.client).await?;
    let session = session?;
    let body = body?.0;
    let ceremony = started(passkeys, jar, CeremonyKind::Register);
    let signed_in = passkeys
        .ceremonies
        .register_finish(ceremony, session.as_ref(), body)
        .await?;
    Ok(open_session(passkeys, jar, session, signed_in).await)
}

#[post("/authenticate/start", data = "<body>")]
async fn authenticate_start(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    jar: &CookieJar<'_>,
    body: Body<AuthenticateStart>,
) -> Result<Json<RequestChallengeResponse>, Error> {
    passkeys.admit(Action::Authenticate, origin?.client).await?;
    let body = body?.0;
    let (options, started) = passkeys.ceremonies.authenticate_start(body).await?;
    let sealed = started.to_cookie()?;
    passkeys
        .cookies
        .set_ceremony(jar, CeremonyKind::Authenticate, sealed);
    Ok(Json(options))
}

/// The session the browser holds is not looked up: whatever it is, the sign-in ends it in
/// the transaction that opens the new one.
#[post("/authenticate/finish", data = "<body>")]
async fn authenticate_finish(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    jar: &CookieJar<'_>,
    body: Body<Value>,
) -> Result<Json<Value>, Error> {
    passkeys.admit(Action::Authenticate, origin?.client).await?;
    let body = body?.0;
    let ceremony = started(passkeys, jar, CeremonyKind::Authenticate);
    let replaces = passkeys.cookies.session_token(jar).map(|t| token_hash(&t));
    let signed_in = passkeys
        .ceremonies
        .authenticate_finish(ceremony, replaces, body)
        .await?;
    if let Some(token) = signed_in.token {
        passkeys.cookies.set_session(jar, &token);
    }
    Ok(Json(json!({ "redirect": signed_in.redirect })))
}

/// The started ceremony of this kind the browser sent, taken out of its jar.
fn started(passkeys: &Passkeys, jar: &CookieJar<'_>, kind: CeremonyKind) -> Option<Started> {
    let value = passkeys.cookies.take_ceremony(jar, kind)?;
    Started::from_cookie(&value)
}

/// Sets the new session's cookie (a fresh token on every sign-in) and ends the session
/// it replaces, so a token planted before sign-in is worth nothing after it.
async fn open_session(
    passkeys: &Passkeys,
    jar: &CookieJar<'_>,
    previous: &CurrentSession,
    signed_in: SignedIn,
) -> Json<Value> {
    if let Some(token) = signed_in.token {
        if let Some((_, old)) = previous.as_ref() {
            if let Err(e) = passkeys.ceremonies.store.delete_session(&old).await {
                log::warn!("passkeys: could not end the replaced session: {e}");
            }
        }
        passkeys.cookies.set_session(jar, &token);
    }
    Json(json!({ "redirect": signed_in.redirect }))
}

#[post("/sign-out")]
async fn sign_out(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    jar: &CookieJar<'_>,
) -> Result<Json<Value>, Error> {
    origin?;
    if let Some(token) = passkeys.cookies.session_token(jar) {
        passkeys
            .ceremonies
            .store
            .delete_session(&token_hash(&token))
            .await?;
    }
    passkeys.cookies.clear_session(jar);
    let redirect = &passkeys.ceremonies.settings.after_sign_out;
    Ok(Json(json!({ "redirect": redirect })))
}
