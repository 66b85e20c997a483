//! The JSON API of the ceremonies: registration, sign-in, sign-out.

use rocket::http::CookieJar;
use rocket::serde::json::Json;
use rocket::{post, routes, Route};
use serde_json::{json, Value};
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

use super::{JsonBody, SameOrigin};
use crate::error::Error;
use crate::factor::Factor;
use crate::guards::CurrentSession;
use crate::limit::Action;
use crate::measure;
use crate::passkeys::Passkeys;
use crate::service::ceremonies::started::Started;
use crate::service::ceremonies::{AuthenticateStart, CeremonyKind, RegisterStart, SignedIn};
use crate::service::sessions::token_hash;

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

/// Counts a start or finish of a ceremony of this kind (`register`, `authenticate`):
/// started or finished when it succeeded, else failed with its error code. A sign-in's
/// finish also records how long it took.
fn measured<T>(
    kind: &'static str,
    finish: Option<std::time::Instant>,
    result: Result<T, Error>,
) -> Result<T, Error> {
    match (&result, finish) {
        (Ok(_), None) => measure::started(kind),
        (Ok(_), Some(began)) => {
            let took = (kind == "authenticate").then(|| began.elapsed());
            measure::finished(kind, took);
        }
        (Err(e), _) => measure::failed(kind, e.code()),
    }
    result
}

/// Hands the browser its started ceremony, sealed in the cookie of its kind.
fn hand_over(passkeys: &Passkeys, jar: &CookieJar<'_>, started: &Started) -> Result<(), Error> {
    let sealed = started.to_cookie()?;
    passkeys.cookies.set_ceremony(jar, started.kind(), sealed);
    Ok(())
}

/// The started ceremony of this kind the browser sent, taken out of its jar.
fn taken(passkeys: &Passkeys, jar: &CookieJar<'_>, kind: CeremonyKind) -> Option<Started> {
    let value = passkeys.cookies.take_ceremony(jar, kind)?;
    Started::from_cookie(&value)
}

/// The answer of a finish: the new session's cookie (when it opened one) and where to go.
fn finished(passkeys: &Passkeys, jar: &CookieJar<'_>, signed_in: SignedIn) -> Json<Value> {
    if let Some(token) = signed_in.token {
        passkeys.cookies.set_session(jar, &token);
        measure::session_opened(Factor::Passkey.bit());
    }
    match signed_in.recovery_codes {
        Some(codes) => Json(json!({ "redirect": signed_in.redirect, "recovery_codes": codes })),
        None => Json(json!({ "redirect": signed_in.redirect })),
    }
}

#[post("/register/start", data = "<body>")]
async fn register_start(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    jar: &CookieJar<'_>,
    body: Body<RegisterStart>,
) -> Result<Json<CreationChallengeResponse>, Error> {
    let started = async {
        passkeys
            .limiter
            .admit(Action::Register, origin?.client)
            .await?;
        let session = session?;
        let body = body?.0;
        let (options, started) = passkeys
            .ceremonies
            .register_start(session.as_ref(), body)
            .await?;
        hand_over(passkeys, jar, &started)?;
        Ok(Json(options))
    };
    measured("register", None, started.await)
}

/// A sign-up ends the session the browser held, in the transaction that opens the new
/// one; adding a passkey keeps it.
#[post("/register/finish", data = "<body>")]
async fn register_finish(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    jar: &CookieJar<'_>,
    body: Body<Value>,
) -> Result<Json<Value>, Error> {
    let began = std::time::Instant::now();
    let done = async {
        passkeys
            .limiter
            .admit(Action::Register, origin?.client)
            .await?;
        let session = session?;
        let body = body?.0;
        let started = taken(passkeys, jar, CeremonyKind::Register);
        let signed_in = passkeys
            .ceremonies
            .register_finish(started, session.as_ref(), body)
            .await?;
        Ok(finished(passkeys, jar, signed_in))
    };
    measured("register", Some(began), done.await)
}

#[post("/authenticate/start", data = "<body>")]
async fn authenticate_start(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    jar: &CookieJar<'_>,
    body: Body<AuthenticateStart>,
) -> Result<Json<RequestChallengeResponse>, Error> {
    let started = async {
        let client = origin?.client;
        passkeys.limiter.admit(Action::Authenticate, client).await?;
        let body = body?.0;
        let (options, started) = passkeys.ceremonies.authenticate_start(body).await?;
        hand_over(passkeys, jar, &started)?;
        Ok(Json(options))
    };
    measured("authenticate", None, started.await)
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
    let began = std::time::Instant::now();
    let done = async {
        let client = origin?.client;
        passkeys.limiter.admit(Action::Authenticate, client).await?;
        let body = body?.0;
        let started = taken(passkeys, jar, CeremonyKind::Authenticate);
        let replaces = passkeys.cookies.session_token(jar).map(|t| token_hash(&t));
        let signed_in = passkeys
            .ceremonies
            .authenticate_finish(started, replaces, body)
            .await?;
        Ok(finished(passkeys, jar, signed_in))
    };
    measured("authenticate", Some(began), done.await)
}

#[post("/sign-out")]
async fn sign_out(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    jar: &CookieJar<'_>,
) -> Result<Json<Value>, Error> {
    origin?;
    passkeys.sign_out(jar).await?;
    let redirect = &passkeys.settings().after_sign_out;
    Ok(Json(json!({ "redirect": redirect })))
}
