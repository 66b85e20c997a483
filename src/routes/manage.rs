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
use crate::ceremony::Ceremonies;
use crate::error::{Error, ErrorCode};
use crate::events::Event;
use crate::guards::CurrentSession;
use crate::input;
use crate::limit::Action;
use crate::passkeys::Passkeys;
use crate::store::{CredentialRecord, Deleted, SessionRecord};

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

fn view(ceremonies: &Ceremonies, c: CredentialRecord) -> CredentialView {
    CredentialView {
        id: URL_SAFE_NO_PAD.encode(&c.credential_id),
        provider: ceremonies.providers.name(c.aaguid).to_string(),
        name: c.name,
        created_at: rfc3339(c.created_at),
        last_used_at: c.last_used_at.map(rfc3339),
        synced: c.backup_state,
        backup_eligible: c.backup_eligible,
        transports: c.transports,
    }
}

type Guard<T> = Result<T, Error>;

fn signed_in(session: Guard<&CurrentSession>) -> Result<(&SessionRecord, [u8; 32]), Error> {
    session?.as_ref().ok_or_else(Error::unauthorized)
}

/// A credential id from the path; an undecodable one is simply not found.
fn credential_id(id: &str) -> Result<Vec<u8>, Error> {
    URL_SAFE_NO_PAD
        .decode(id.trim_end_matches('='))
        .map_err(|_| not_found())
}

fn not_found() -> Error {
    Error::new(ErrorCode::NotFound, "You have no passkey with this id.")
}

#[get("/credentials")]
async fn list(passkeys: &Passkeys, session: Guard<&CurrentSession>) -> Result<Json<Value>, Error> {
    let (session, _) = signed_in(session)?;
    let ceremonies = &passkeys.ceremonies;
    let list: Vec<CredentialView> = ceremonies
        .store
        .credentials(session.user.handle)
        .await?
        .into_iter()
        .map(|c| view(ceremonies, c))
        .collect();
    Ok(Json(json!({ "credentials": list })))
}

/// The body of a rename.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    name: String,
}

/// A passkey name: the rules of every name (see [`input::name`]), and not blank.
fn clean_passkey_name(name: &str) -> Result<String, Error> {
    input::name("name", Some(name))?.ok_or_else(|| {
        Error::invalid(format!(
            "A passkey name has 1 to {} characters.",
            input::MAX_NAME
        ))
    })
}

#[patch("/credentials/<id>", data = "<body>")]
async fn rename(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    id: &str,
    body: Result<JsonBody<Rename>, Error>,
) -> Result<Json<Value>, Error> {
    passkeys.admit(Action::Manage, origin?.client).await?;
    let (session, _) = signed_in(session)?;
    let name = clean_passkey_name(&body?.0.name)?;
    let id = credential_id(id)?;
    let ceremonies = &passkeys.ceremonies;
    ceremonies.may_change_passkeys(session).await?;
    let handle = session.user.handle;
    if !ceremonies
        .store
        .rename_credential(handle, &id, &name)
        .await?
    {
        return Err(not_found());
    }
    ceremonies.events.event(&Event::PasskeyRenamed {
        user_id: session.user.user_id.clone(),
        credential_id: URL_SAFE_NO_PAD.encode(&id),
        name,
    });
    let renamed = ceremonies
        .store
        .credential(handle, &id)
        .await?
        .ok_or_else(not_found)?;
    Ok(Json(json!({ "credential": view(ceremonies, renamed) })))
}

#[delete("/credentials/<id>")]
async fn remove(
    passkeys: &Passkeys,
    origin: Guard<SameOrigin>,
    session: Guard<&CurrentSession>,
    id: &str,
) -> Result<Json<Value>, Error> {
    passkeys.admit(Action::Manage, origin?.client).await?;
    let (session, token_hash) = signed_in(session)?;
    let id = credential_id(id)?;
    let ceremonies = &passkeys.ceremonies;
    ceremonies.may_change_passkeys(session).await?;
    if ceremonies.now() - session.created_at > ceremonies.settings.reauth_max_age {
        return Err(Error::reauth_required());
    }
    let handle = session.user.handle;
    let revoke = ceremonies.settings.revoke_sessions_on_delete;
    match ceremonies
        .store
        .delete_credential(handle, &id, revoke, &token_hash)
        .await?
    {
        Deleted::Done => {}
        Deleted::NotFound => return Err(not_found()),
        Deleted::LastPasskey => {
            return Err(Error::new(
                ErrorCode::LastPasskey,
                "This is your only passkey and your only way to sign in. Add another \
                 passkey before deleting this one.",
            ))
        }
    }
    ceremonies.events.event(&Event::PasskeyRemoved {
        user_id: session.user.user_id.clone(),
        credential_id: URL_SAFE_NO_PAD.encode(&id),
    });
    let remaining: Vec<String> = ceremonies
        .store
        .credentials(handle)
        .await?
        .iter()
        .map(|c| URL_SAFE_NO_PAD.encode(&c.credential_id))
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
    let ceremonies = &passkeys.ceremonies;
    let settings = &ceremonies.settings;
    let session = match session {
        Ok(session) => session,
        Err(e) => return Screen::Failed(e),
    };
    let Some((session, _)) = session.as_ref() else {
        return Screen::sign_in_first(passkeys, "/manage");
    };
    let records = match ceremonies.store.credentials(session.user.handle).await {
        Ok(records) => records,
        Err(e) => return Screen::Failed(e.into()),
    };
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
            credential: view(ceremonies, c),
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
    };
    Screen::render(passkeys, "manage", &page)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn passkey_names() {
        assert_eq!(clean_passkey_name("  Work laptop ").unwrap(), "Work laptop");
        assert_eq!(
            clean_passkey_name("<script>").unwrap(),
            "<script>",
            "escaped on output"
        );
        for bad in [
            "",
            "   ",
            "a\nb",
            "a\u{0}b",
            "\u{202e}evil",
            &"x".repeat(65),
        ] {
            assert!(clean_passkey_name(bad).is_err(), "{bad:?}");
        }
        assert!(
            clean_passkey_name(&"é".repeat(64)).is_ok(),
            "64 characters, not bytes"
        );
    }
}
