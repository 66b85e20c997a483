//! Managing passkeys: list, rename, delete, and the manage screen.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::serde::json::Json;
use rocket::{delete, get, patch, routes, Route};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{JsonBody, SameOrigin, Screen};
use crate::error::{Error, ErrorCode};
use crate::guards::CurrentSession;
use crate::limit::Action;
use crate::passkeys::Passkeys;
use crate::service::management::Management;
use crate::service::sessions::Current;
use crate::store::CredentialRecord;

pub(crate) fn routes() -> Vec<Route> {
    routes![list, rename, remove, screen]
}

/// One passkey as the API and the screen show it.
#[derive(Debug, Serialize)]
struct CredentialView {
    id: String,
    name: String,
    provider: String,
    created_at: String,
    last_used_at: Option<String>,
    /// Backed up by a passkey provider (synced across devices), else on this device only.
    synced: bool,
    backup_eligible: bool,
    transports: Vec<String>,
}

fn rfc3339(seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn view(management: &Management, c: CredentialRecord) -> CredentialView {
    CredentialView {
        id: URL_SAFE_NO_PAD.encode(&c.credential_id),
        provider: management.provider(c.aaguid).to_string(),
        name: c.name,
        created_at: rfc3339(c.created_at),
        last_used_at: c.last_used_at.map(rfc3339),
        synced: c.backup_state,
        backup_eligible: c.backup_eligible,
        transports: c.transports,
    }
}

type Guard<T> = Result<T, Error>;

fn signed_in(session: Guard<&CurrentSession>) -> Result<&Current, Error> {
    session?.as_ref().ok_or_else(Error::unauthorized)
}

/// A credential id from the path; an undecodable one is simply not found.
fn credential_id(id: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .map_err(|_| Error::new(ErrorCode::NotFound, "You have no passkey with this id."))
}

#[get("/credentials")]
async fn list(passkeys: &Passkeys, session: Guard<&CurrentSession>) -> Result<Json<Value>, Error> {
    let (session, _) = signed_in(session)?;
    let management = &passkeys.management;
    let list: Vec<CredentialView> = management
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

/// One row of the manage screen.
#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    credential: CredentialView,
    created: String,
    last_used: Option<String>,
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
    credentials: Vec<Row>,
    credential_ids: String,
    /// Whether the screen offers adding, renaming and deleting passkeys: the session
    /// may, or it can first sign in with one of the account's passkeys (the page does
    /// so on `factor_required`). Else the screen offers none of it and says why.
    may_change: bool,
}

/// "2026-11-25 14:03 UTC", for people.
fn when(seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

#[get("/manage")]
async fn screen(passkeys: &Passkeys, session: Guard<&CurrentSession>) -> Screen {
    let settings = passkeys.settings();
    let management = &passkeys.management;
    let session = match session {
        Ok(session) => session,
        Err(e) => return Screen::Failed(e),
    };
    let Some((session, _)) = session.as_ref() else {
        return Screen::sign_in_first(passkeys, "/manage");
    };
    let records = match management.list(session.user.handle).await {
        Ok(records) => records,
        Err(e) => return Screen::Failed(e),
    };
    // With a passkey on the account the page can sign in with it first (on
    // `factor_required`); without one, only a session allowed as it is may change.
    let may_change = !records.is_empty() || Management::allows(session, false);
    let credential_ids = records
        .iter()
        .map(|c| URL_SAFE_NO_PAD.encode(&c.credential_id))
        .collect::<Vec<_>>()
        .join(" ");
    let credentials = records
        .into_iter()
        .map(|c| Row {
            created: when(c.created_at),
            last_used: c.last_used_at.map(when),
            credential: view(management, c),
        })
        .collect();
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
    };
    Screen::render(passkeys, "manage", &page)
}
