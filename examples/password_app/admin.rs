//! The admin page: look up a user, see their passkeys and sessions, revoke a passkey,
//! end their sessions, through the crate's admin API (`Passkeys::admin`). Two checks,
//! both needed: `MultiFactor` (the session holds two factors) and the app's own role
//! (here: the app's first account is its administrator). Two factors alone are no
//! authorization: anyone can sign up and add a passkey.

use metrics_exporter_prometheus::PrometheusHandle;
use rocket::form::Form;
use rocket::http::{ContentType, RawStr, Status};
use rocket::response::Redirect;
use rocket::{get, post, FromForm, State};
use rocket_passkeys::{Error, MultiFactor, Passkeys, PasskeysDb, SameOrigin};

use super::{account, escape, other_site, page, sqlite_only, Answer};

/// The admin page's link back to a user.
fn user_page(username: &str) -> Redirect {
    Redirect::to(format!(
        "/admin?user={}",
        RawStr::new(username).percent_encode()
    ))
}

/// Whether the signed-in user is the administrator: the app's first account.
async fn is_admin(db: &PasskeysDb, user_id: &str) -> bool {
    let Some(pool) = db.sqlite() else {
        return false;
    };
    let first: Option<String> =
        sqlx::query_scalar("SELECT id FROM app_users ORDER BY rowid LIMIT 1")
            .fetch_optional(pool)
            .await
            .ok()
            .flatten();
    first.as_deref() == Some(user_id)
}

fn not_admin() -> Answer {
    let body = "<h1>Admin area</h1><p id=\"admin-not-admin\">This area is for the site's administrator.</p>";
    Answer::refused(Status::Forbidden, "Admin", body)
}

#[get("/admin?<user>")]
pub async fn admin(
    admin: MultiFactor,
    passkeys: &Passkeys,
    db: &State<PasskeysDb>,
    user: Option<&str>,
) -> Answer {
    if !is_admin(db, admin.id()).await {
        return not_admin();
    }
    let mut body = format!(
        "<h1>Admin area</h1><p id=\"admin\">Hello {}, your session holds two factors.</p>\
         <form method=\"get\" action=\"/admin\" class=\"passkeys-form\">\
         <div class=\"passkeys-field\"><label for=\"admin-user\">Look up a user</label>\
         <input id=\"admin-user\" name=\"user\" value=\"{}\" required></div>\
         <button type=\"submit\" class=\"passkeys-button\">Show</button></form>",
        escape(admin.display_name()),
        escape(user.unwrap_or_default()),
    );
    if let Some(username) = user {
        let Some(pool) = db.sqlite() else {
            return sqlite_only();
        };
        let Some(found) = account(pool, "username", username).await else {
            body.push_str("<p id=\"admin-no-user\">No user has this name.</p>");
            return Answer::Page(page("Admin", &body));
        };
        match user_details(passkeys, &found.id, &found.username).await {
            Ok(details) => body.push_str(&details),
            Err(e) if e.code().status() == Status::NotFound => {
                body.push_str("<p id=\"admin-no-passkeys\">This user has never used passkeys.</p>")
            }
            Err(e) => return Answer::failed(&e),
        }
    }
    Answer::Page(page("Admin", &body))
}

/// A user's passkeys and sessions, with the forms that revoke and end them.
async fn user_details(passkeys: &Passkeys, id: &str, username: &str) -> Result<String, Error> {
    let admin = passkeys.admin();
    let (keys, sessions) = (admin.passkeys(id).await?, admin.sessions(id).await?);
    let name = escape(username);
    let mut html =
        format!("<h2>{name}: passkeys</h2><ul class=\"passkeys-list\" id=\"admin-passkeys\">");
    for key in &keys {
        html.push_str(&format!(
            "<li class=\"passkeys-item\" data-admin-passkey=\"{id}\"><strong>{}</strong> ({}), \
             added {}<form method=\"post\" action=\"/admin/passkeys/revoke\" class=\"passkeys-row-actions\">\
             <input type=\"hidden\" name=\"user\" value=\"{name}\"><input type=\"hidden\" name=\"passkey\" value=\"{id}\">\
             <label><input type=\"checkbox\" name=\"allow_last\"> even if it is the last way to sign in</label>\
             <button type=\"submit\" class=\"passkeys-button passkeys-danger\">Revoke</button></form></li>",
            escape(&key.name),
            escape(&key.provider),
            key.created_at.date(),
            id = escape(&key.id),
        ));
    }
    html.push_str(&format!(
        "</ul><h2>{name}: sessions</h2><ul class=\"passkeys-list\" id=\"admin-sessions\">"
    ));
    for session in &sessions {
        let device = if session.device.is_empty() {
            "Not seen yet"
        } else {
            &session.device
        };
        html.push_str(&format!(
            "<li class=\"passkeys-item\" data-admin-session=\"{}\">{} · {} · last seen {}</li>",
            escape(&session.id),
            escape(device),
            session.factors.join(" + "),
            session.last_seen_at,
        ));
    }
    html.push_str(&format!(
        "</ul><form method=\"post\" action=\"/admin/sessions/end\">\
         <input type=\"hidden\" name=\"user\" value=\"{name}\">\
         <button type=\"submit\" class=\"passkeys-button passkeys-danger\" id=\"admin-end-sessions\">\
         End every session of {name}</button></form>"
    ));
    Ok(html)
}

#[derive(FromForm)]
pub struct Revoke<'r> {
    user: &'r str,
    passkey: &'r str,
    allow_last: bool,
}

#[post("/admin/passkeys/revoke", data = "<form>")]
pub async fn revoke(
    admin: MultiFactor,
    same_origin: Result<SameOrigin, Error>,
    passkeys: &Passkeys,
    db: &State<PasskeysDb>,
    form: Form<Revoke<'_>>,
) -> Answer {
    if same_origin.is_err() {
        return other_site();
    }
    if !is_admin(db, admin.id()).await {
        return not_admin();
    }
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let Some(found) = account(pool, "username", form.user).await else {
        return Answer::failed(&Error::new(
            rocket_passkeys::ErrorCode::NotFound,
            "No such user.",
        ));
    };
    let admin = passkeys.admin();
    match admin
        .revoke_passkey(&found.id, form.passkey, form.allow_last)
        .await
    {
        Ok(()) => Answer::redirect(user_page(form.user)),
        Err(e) => Answer::failed(&e),
    }
}

#[derive(FromForm)]
pub struct EndSessions<'r> {
    user: &'r str,
}

#[post("/admin/sessions/end", data = "<form>")]
pub async fn end_sessions(
    admin: MultiFactor,
    same_origin: Result<SameOrigin, Error>,
    passkeys: &Passkeys,
    db: &State<PasskeysDb>,
    form: Form<EndSessions<'_>>,
) -> Answer {
    if same_origin.is_err() {
        return other_site();
    }
    if !is_admin(db, admin.id()).await {
        return not_admin();
    }
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let Some(found) = account(pool, "username", form.user).await else {
        return Answer::failed(&Error::new(
            rocket_passkeys::ErrorCode::NotFound,
            "No such user.",
        ));
    };
    match passkeys.admin().end_sessions(&found.id).await {
        Ok(_) => Answer::redirect(user_page(form.user)),
        Err(e) => Answer::failed(&e),
    }
}

/// The metrics, in the Prometheus text format (a real app keeps this off the public
/// internet, or behind its own check).
#[get("/metrics")]
pub fn metrics(handle: &State<PrometheusHandle>) -> (ContentType, String) {
    (ContentType::Plain, handle.render())
}

/// The Prometheus recorder every metric of the process goes to.
pub fn recorder() -> PrometheusHandle {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .unwrap_or_else(|e| panic!("cannot install the metrics recorder: {e}"))
}
