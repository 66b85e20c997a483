//! Sessions for the people who own them: list, end one, end every other. JSON routes
//! for scripts, and form posts for the manage screen without JavaScript.

use rocket::http::CookieJar;
use rocket::response::Redirect;
use rocket::serde::json::Json;
use rocket::{delete, get, post, routes, Route};
use serde_json::{json, Value};

use super::SameOrigin;
use crate::admin::{session_id, SessionInfo};
use crate::error::Error;
use crate::guards::CurrentSession;
use crate::limit::Action;
use crate::passkeys::Passkeys;
use crate::service::sessions::Current;

pub(crate) fn routes() -> Vec<Route> {
    routes![list, end, end_others, end_form, end_others_form]
}

type Guard<T> = Result<T, Error>;

fn signed_in(session: Guard<&CurrentSession>) -> Result<&Current, Error> {
    session?.as_ref().ok_or_else(Error::unauthorized)
}

/// The account's live sessions, as [`SessionInfo`] (the caller's marked `current`).
pub(crate) async fn listed(
    passkeys: &Passkeys,
    current: &Current,
) -> Result<Vec<SessionInfo>, Error> {
    let (session, _) = current;
    Ok(passkeys
        .sessions
        .list(session.user.handle)
        .await?
        .into_iter()
        .map(|s| SessionInfo::new(s, Some(&session.id)))
        .collect())
}

/// Another device's sessions are the account's to see and end only from a session that
/// holds every factor the account has (or two): a password alone must not sign the
/// owner's two-factor sessions out, nor learn their devices.
#[get("/sessions")]
async fn list(passkeys: &Passkeys, session: Guard<&CurrentSession>) -> Result<Json<Value>, Error> {
    let current = signed_in(session)?;
    passkeys.management.may_change(&current.0).await?;
    Ok(Json(
        json!({ "sessions": listed(passkeys, current).await? }),
    ))
}

/// Ends one session; ending the caller's own signs it out (its cookie goes too).
async fn end_one(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    jar: &CookieJar<'_>,
    id: &str,
) -> Result<bool, Error> {
    passkeys
        .limiter
        .admit(Action::Manage, origin?.client)
        .await?;
    let current = signed_in(session)?;
    let id = session_id(id)?;
    if id != current.0.id {
        passkeys.management.may_change(&current.0).await?;
    }
    passkeys.sessions.end_one(current, &id).await?;
    let own = id == current.0.id;
    if own {
        passkeys.cookies.clear_session(jar);
    }
    Ok(own)
}

async fn end_every_other(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
) -> Result<u64, Error> {
    passkeys
        .limiter
        .admit(Action::Manage, origin?.client)
        .await?;
    let current = signed_in(session)?;
    passkeys.management.may_change(&current.0).await?;
    passkeys.sessions.end_others(current).await
}

#[delete("/sessions/<id>")]
async fn end(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    jar: &CookieJar<'_>,
    id: &str,
) -> Result<Json<Value>, Error> {
    let signed_out = end_one(passkeys, origin, session, jar, id).await?;
    if signed_out {
        let redirect = &passkeys.settings().after_sign_out;
        return Ok(Json(
            json!({ "ended": id, "signed_out": true, "redirect": redirect }),
        ));
    }
    Ok(Json(json!({ "ended": id, "signed_out": false })))
}

#[delete("/sessions/others")]
async fn end_others(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
) -> Result<Json<Value>, Error> {
    let ended = end_every_other(passkeys, origin, session).await?;
    Ok(Json(json!({ "ended": ended })))
}

/// Where a form post goes back to: the manage screen, with the error code when it failed
/// (the screen says what to do), or the sign-in screen after signing itself out.
fn back(passkeys: &Passkeys, result: Result<bool, Error>) -> Redirect {
    let settings = passkeys.settings();
    let mount = &settings.mount;
    match result {
        Ok(false) => Redirect::to(format!("{mount}/manage#passkeys-sessions")),
        Ok(true) => Redirect::to(settings.after_sign_out.clone()),
        Err(e) => Redirect::to(format!("{mount}/manage?notice={}", e.code().as_str())),
    }
}

#[post("/sessions/<id>/end")]
async fn end_form(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    jar: &CookieJar<'_>,
    id: &str,
) -> Result<Redirect, Error> {
    // A cross-site form gets its error, not a redirect into the screen.
    let origin = Ok(origin?);
    let result = end_one(passkeys, origin, session, jar, id).await;
    Ok(back(passkeys, result))
}

#[post("/sessions/others/end")]
async fn end_others_form(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
) -> Result<Redirect, Error> {
    let origin = Ok(origin?);
    let result = end_every_other(passkeys, origin, session)
        .await
        .map(|_| false);
    Ok(back(passkeys, result))
}
