//! Managing passkeys: list, rename, delete, and the manage screen.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, routes, Route};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{JsonBody, SameOrigin, Screen};
use crate::admin::{PasskeyInfo, SessionInfo};
use crate::device::{self, Parts};
use crate::error::{Error, ErrorCode};
use crate::factor::Factor;
use crate::guards::CurrentSession;
use crate::i18n::{Arg, Catalog, Locale};
use crate::limit::Action;
use crate::passkeys::Passkeys;
use crate::service::management::Management;
use crate::service::sessions::Current;
use crate::store::CredentialRecord;

pub(crate) fn routes() -> Vec<Route> {
    routes![list, rename, remove, screen]
}

type Guard<T> = Result<T, Error>;

fn signed_in(session: Guard<&CurrentSession>) -> Result<&Current, Error> {
    session?.as_ref().ok_or_else(Error::unauthorized)
}

/// A credential id from the path; an undecodable one is simply not found.
fn credential_id(id: &str) -> Result<Vec<u8>, Error> {
    crate::admin::credential_id(id)
        .map_err(|_| Error::say(ErrorCode::NotFound, "error-passkey-not-found"))
}

fn view(management: &Management, c: CredentialRecord) -> PasskeyInfo {
    PasskeyInfo::new(management, c)
}

#[get("/credentials")]
async fn list(passkeys: &Passkeys, session: Guard<&CurrentSession>) -> Result<Json<Value>, Error> {
    let (session, _) = signed_in(session)?;
    let management = &passkeys.management;
    let list: Vec<PasskeyInfo> = management
        .list(session.user.handle)
        .await?
        .into_iter()
        .map(|c| view(management, c))
        .collect();
    Ok(Json(json!({ "credentials": list })))
}

/// The body of a rename.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    name: String,
}

#[patch("/credentials/<id>", data = "<body>")]
async fn rename(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    id: &str,
    body: Result<JsonBody<Rename>, Error>,
) -> Result<Json<Value>, Error> {
    passkeys
        .limiter
        .admit(Action::Manage, origin?.client)
        .await?;
    let (session, _) = signed_in(session)?;
    let name = body?.0.name;
    let id = credential_id(id)?;
    let management = &passkeys.management;
    let renamed = management.rename(session, &id, Some(&name)).await?;
    Ok(Json(json!({ "credential": view(management, renamed) })))
}

#[delete("/credentials/<id>")]
async fn remove(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    id: &str,
) -> Result<Json<Value>, Error> {
    passkeys
        .limiter
        .admit(Action::Manage, origin?.client)
        .await?;
    let current = signed_in(session)?;
    let id = credential_id(id)?;
    let remaining: Vec<String> = passkeys
        .management
        .delete(current, &id)
        .await?
        .iter()
        .map(|id| URL_SAFE_NO_PAD.encode(id))
        .collect();
    Ok(Json(json!({
        "deleted": URL_SAFE_NO_PAD.encode(&id),
        "credentials": remaining,
    })))
}

/// One session of the manage screen.
#[derive(Serialize)]
struct SessionRow {
    #[serde(flatten)]
    session: SessionInfo,
    /// How it signed in, for people: "the passkey “Work laptop”", "a password".
    method: String,
    /// Its device, for people: "Firefox on Linux", "Firefox unter Linux".
    device_words: String,
}

impl SessionRow {
    fn new(catalog: &Catalog, locale: &Locale, session: SessionInfo) -> Self {
        let say = |id: &str, args: &[(&str, Arg)]| catalog.message(locale.index, id, args);
        let method = match &session.passkey {
            // The name a passkey of an unknown provider is given, in no language.
            Some(name) if name == "Passkey" => say("session-method-passkey", &[]),
            Some(name) => say(
                "session-method-passkey-named",
                &[("name", Arg::from(name.as_str()))],
            ),
            None => session
                .factors
                .iter()
                .map(|f| {
                    say(
                        match *f {
                            "passkey" => "session-method-passkey",
                            "password" => "session-method-password",
                            "one_time_code" => "session-method-one-time-code",
                            "email_link" => "session-method-email-link",
                            "external" => "session-method-external",
                            "recovery_code" => "session-method-recovery-code",
                            _ => "session-method-other",
                        },
                        &[],
                    )
                })
                .reduce(|first, second| {
                    say(
                        "session-method-and",
                        &[("first", Arg::from(first)), ("second", Arg::from(second))],
                    )
                })
                .unwrap_or_default(),
        };
        let device_words = match device::parts(&session.device) {
            Parts::On { browser, os } => say(
                "session-device",
                &[("browser", Arg::from(browser)), ("os", Arg::from(os))],
            ),
            Parts::Os(os) => say("session-device-os", &[("os", Arg::from(os))]),
            Parts::Unknown => say("session-device-unknown", &[]),
            Parts::Name(name) => name.to_string(),
        };
        SessionRow {
            method,
            device_words,
            session,
        }
    }
}

/// The message the screen shows after a form post it sent failed (its error code).
fn notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "reauth_required" => "notice-reauth",
        "not_found" => "notice-session-gone",
        "rate_limited" => "error-rate-limited",
        "factor_required" => "notice-factor",
        _ => return None,
    })
}

#[derive(Serialize)]
struct ManagePage<'a> {
    mount: &'a str,
    rp_name: &'a str,
    rp_id: &'a str,
    sign_up: bool,
    next: &'a str,
    next_query: &'a str,
    user_id: String,
    username: &'a str,
    display_name: &'a str,
    show_username: bool,
    credentials: Vec<PasskeyInfo>,
    credential_ids: String,
    /// Whether the screen offers adding, renaming and deleting passkeys: the session
    /// may, or it can first sign in with one of the account's passkeys (the page does
    /// so on `factor_required`). Else the screen offers none of it and says why.
    may_change: bool,
    sessions: Vec<SessionRow>,
    /// Whether there are sessions besides this one.
    others: bool,
    /// Whether the account has recovery codes, and how many are left.
    recovery: bool,
    recovery_left: i64,
    /// Just signed in with a recovery code.
    recovered: bool,
    /// Whether the session sees the account's other sessions.
    sees_all: bool,
    /// The id of the message about a failed form post.
    notice: Option<&'static str>,
}

#[get("/manage?<recovered>&<notice>")]
async fn screen(
    passkeys: &Passkeys,
    session: Guard<&CurrentSession>,
    locale: Locale,
    recovered: Option<&str>,
    notice: Option<&str>,
) -> Screen {
    let settings = passkeys.settings();
    let management = &passkeys.management;
    let session = match session {
        Ok(session) => session,
        Err(e) => return Screen::Failed(e),
    };
    let Some(current) = session.as_ref() else {
        return Screen::sign_in_first(passkeys, "/manage");
    };
    let session = &current.0;
    let records = match management.list(session.user.handle).await {
        Ok(records) => records,
        Err(e) => return Screen::Failed(e),
    };
    // Other devices' sessions only for a session that may change the account (a
    // password alone, before the account's code, sees its own).
    let sees_all = Management::allows(session, !records.is_empty());
    let sessions = match super::sessions::listed(passkeys, current).await {
        Ok(sessions) if sees_all => sessions,
        Ok(sessions) => sessions.into_iter().filter(|s| s.current).collect(),
        Err(e) => return Screen::Failed(e),
    };
    let recovery = passkeys.recovery.offered_to(&session.user);
    let recovery_left = if recovery {
        match passkeys.recovery.left(session.user.handle).await {
            Ok(left) => left,
            Err(e) => return Screen::Failed(e),
        }
    } else {
        0
    };
    // With a passkey on the account the page can sign in with it first (on
    // `factor_required`); without one, only a session allowed as it is may change.
    let may_change = !records.is_empty() || Management::allows(session, false);
    let credential_ids = records
        .iter()
        .map(|c| URL_SAFE_NO_PAD.encode(&c.credential_id))
        .collect::<Vec<_>>()
        .join(" ");
    let credentials = records.into_iter().map(|c| view(management, c)).collect();
    let catalog = &passkeys.screens.catalog;
    let page = ManagePage {
        mount: &settings.mount,
        rp_name: &settings.rp_name,
        rp_id: &settings.rp_id,
        sign_up: settings.sign_up,
        next: "",
        next_query: "",
        user_id: URL_SAFE_NO_PAD.encode(session.user.handle.as_bytes()),
        username: &session.user.username,
        display_name: &session.user.display_name,
        show_username: session.user.display_name != session.user.username,
        credentials,
        credential_ids,
        may_change,
        others: sessions.len() > 1,
        sessions: sessions
            .into_iter()
            .map(|s| SessionRow::new(catalog, &locale, s))
            .collect(),
        recovery,
        recovery_left,
        // Only a session a recovery opened says so (not any link with the parameter).
        recovered: recovered.is_some() && session.factors & Factor::RecoveryCode.bit() != 0,
        sees_all,
        notice: notice.and_then(self::notice),
    };
    Screen::render(passkeys, &locale, "manage", &page)
}
