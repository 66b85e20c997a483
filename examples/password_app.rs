//! An app with its own password accounts that adds passkeys progressively.
//!
//! ```sh
//! cargo run --example password_app
//! ```
//!
//! Open http://localhost:8000, create an account with a password, sign out and sign in
//! with the password: you are invited to create a passkey ("Create a passkey", "Not
//! now", "Don't ask again"). After that, "Sign in with a passkey" (or the browser's
//! autofill on the username field) signs you in without the password.
//!
//! The app's users live in the same SQLite database as the passkeys (table `app_users`,
//! argon2 password hashes), reached through rocket_db_pools. The handlers query through
//! the pool (`&State<PasskeysDb>`) rather than holding a `Connection<PasskeysDb>`: the
//! SQLite pool has one connection by default, which the crate needs when it is called.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rocket::fairing::AdHoc;
use rocket::form::Form;
use rocket::http::{CookieJar, Status};
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::State;
use rocket::{get, launch, post, routes, FromForm, Responder};
use rocket_db_pools::Database;
use rocket_passkeys::{AppUser, Factor, MultiFactor, PasskeyUser, Passkeys, PasskeysDb};

#[derive(FromForm)]
struct Credentials<'r> {
    username: &'r str,
    password: &'r str,
    next: Option<&'r str>,
}

#[derive(Responder)]
enum Answer {
    Refused((Status, RawHtml<String>)),
    Redirect(Box<Redirect>),
}

fn page(title: &str, body: &str) -> RawHtml<String> {
    RawHtml(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/passkeys/passkeys.css"></head>
<body class="passkeys-page"><main id="passkeys" class="passkeys-card">
<p id="passkey-error" class="passkeys-error" role="alert" hidden></p>
{body}</main>
<script src="/passkeys/passkeys.js" data-mount="/passkeys" defer></script>
</body></html>"#
    ))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn sqlite_only() -> Answer {
    let body = "<p>This example keeps its users in SQLite.</p>";
    Answer::Refused((Status::ServiceUnavailable, page("Error", body)))
}

#[get("/")]
fn home(user: PasskeyUser) -> RawHtml<String> {
    let how = if user.factors().contains(&Factor::Passkey) {
        "with a passkey"
    } else {
        "with your password"
    };
    page(
        "Home",
        &format!(
            r#"<h1>Welcome back</h1>
<p>You are signed in as <strong id="signed-in-user">{}</strong>, {how}.</p>
<p><a href="/admin">Admin area</a> (needs two factors: a passkey counts as both)</p>
<p><a href="/passkeys/manage" id="manage-passkeys">Manage your passkeys</a></p>
<div class="passkeys-actions">
<button type="button" class="passkeys-button" data-passkey-action="sign-out">Sign out</button>
</div>"#,
            escape(user.display_name())
        ),
    )
}

const SIGN_IN_FORM: &str = r#"<h1>Sign in</h1>
<form class="passkeys-form" method="post" action="/login">
  <div class="passkeys-field"><label for="username">Username</label>
  <input id="username" name="username" autocomplete="username webauthn" required></div>
  <div class="passkeys-field"><label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password"></div>
  <button type="submit" class="passkeys-button passkeys-primary" id="password-sign-in">Sign in with password</button>
  <button type="button" class="passkeys-button" data-passkey-action="authenticate">Sign in with a passkey</button>
</form>
<p class="passkeys-alt">New here? <a href="/signup">Create an account</a></p>"#;

#[get("/", rank = 2)]
fn sign_in_page() -> RawHtml<String> {
    page("Sign in", SIGN_IN_FORM)
}

#[get("/signup")]
fn sign_up_page() -> RawHtml<String> {
    page(
        "Create an account",
        r#"<h1>Create an account</h1>
<form class="passkeys-form" method="post" action="/signup">
  <div class="passkeys-field"><label for="username">Username</label>
  <input id="username" name="username" autocomplete="username" required maxlength="64"></div>
  <div class="passkeys-field"><label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required minlength="8"></div>
  <button type="submit" class="passkeys-button passkeys-primary" id="password-sign-up">Create account</button>
</form>
<p class="passkeys-alt">Have an account? <a href="/">Sign in</a></p>"#,
    )
}

#[post("/signup", data = "<form>")]
async fn sign_up(
    db: &State<PasskeysDb>,
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
    form: Form<Credentials<'_>>,
) -> Answer {
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let username = form.username.trim();
    if username.is_empty() || username.len() > 64 || form.password.len() < 8 {
        let body = "<h1>Create an account</h1><p>Choose a username and a password of at least 8 characters. <a href=\"/signup\">Try again</a></p>";
        return Answer::Refused((Status::BadRequest, page("Create an account", body)));
    }
    let salt = SaltString::generate(&mut OsRng);
    let Ok(hash) = Argon2::default().hash_password(form.password.as_bytes(), &salt) else {
        return Answer::Refused((
            Status::InternalServerError,
            page("Error", "<p>Please try again.</p>"),
        ));
    };
    let id = uuid::Uuid::new_v4().to_string();
    let inserted =
        sqlx::query("INSERT INTO app_users (id, username, password_hash) VALUES (?, ?, ?)")
            .bind(&id)
            .bind(username)
            .bind(hash.to_string())
            .execute(pool)
            .await;
    if inserted.is_err() {
        let body = "<h1>Create an account</h1><p>That username is taken. <a href=\"/signup\">Try another</a></p>";
        return Answer::Refused((Status::Conflict, page("Create an account", body)));
    }
    let user = AppUser {
        id: &id,
        username,
        display_name: username,
    };
    match passkeys
        .signed_in(cookies, user, &[Factor::Password], "/")
        .await
    {
        Ok(to) => Answer::Redirect(Box::new(to)),
        Err(e) => Answer::Refused((e.code().status(), page("Error", &escape(e.message())))),
    }
}

#[post("/login", data = "<form>")]
async fn login(
    db: &State<PasskeysDb>,
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
    form: Form<Credentials<'_>>,
) -> Answer {
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let row: Option<(String, String, String)> =
        sqlx::query_as("SELECT id, username, password_hash FROM app_users WHERE username = ?")
            .bind(form.username.trim())
            .fetch_optional(pool)
            .await
            .ok()
            .flatten();
    // The same work and the same answer whether or not the user exists.
    const UNKNOWN: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Kx7bCdsfDmQyEhNMvNCqLy1mWumaH3oPSHNbSqaxA6M";
    let stored = row.as_ref().map_or(UNKNOWN, |(_, _, hash)| hash.as_str());
    let verified = PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(form.password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false);
    let (Some((id, username, _)), true) = (&row, verified) else {
        let body = format!("<p class=\"passkeys-error\" id=\"password-error\">Wrong username or password.</p>{SIGN_IN_FORM}");
        return Answer::Refused((Status::Unauthorized, page("Sign in", &body)));
    };
    let user = AppUser {
        id,
        username,
        display_name: username,
    };
    let next = form.next.unwrap_or("/");
    match passkeys
        .signed_in(cookies, user, &[Factor::Password], next)
        .await
    {
        Ok(to) => Answer::Redirect(Box::new(to)),
        Err(e) => Answer::Refused((e.code().status(), page("Error", &escape(e.message())))),
    }
}

#[get("/admin")]
fn admin(user: MultiFactor) -> RawHtml<String> {
    page(
        "Admin",
        &format!(
            "<h1>Admin area</h1><p id=\"admin\">Hello {}, your session holds two factors.</p>",
            escape(user.display_name())
        ),
    )
}

#[get("/admin", rank = 2)]
fn admin_needs_two_factors() -> (Status, RawHtml<String>) {
    (
        Status::Forbidden,
        page("Admin", "<h1>Admin area</h1><p id=\"admin-refused\">This area needs two factors. Sign in with a passkey.</p>"),
    )
}

#[launch]
fn rocket() -> _ {
    let figment = rocket::Config::figment()
        .merge(("passkeys.progressive_enrollment", true))
        .merge(("passkeys.sign_up", false));
    rocket::custom(figment)
        .attach(Passkeys::fairing())
        .attach(AdHoc::on_liftoff("app_users table", |rocket| {
            Box::pin(async move {
                let Some(pool) = PasskeysDb::fetch(rocket).and_then(|db| db.sqlite()) else {
                    return;
                };
                let created = sqlx::query(
                    "CREATE TABLE IF NOT EXISTS app_users (id TEXT PRIMARY KEY NOT NULL, \
                     username TEXT NOT NULL UNIQUE COLLATE NOCASE, password_hash TEXT NOT NULL)",
                )
                .execute(pool)
                .await;
                if let Err(e) = created {
                    eprintln!("cannot create the app_users table: {e}");
                }
            })
        }))
        .mount(
            "/",
            routes![
                home,
                sign_in_page,
                sign_up_page,
                sign_up,
                login,
                admin,
                admin_needs_two_factors
            ],
        )
}
