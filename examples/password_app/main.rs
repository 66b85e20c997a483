//! An app with its own password accounts, an optional second factor (a TOTP app), that
//! adds passkeys progressively.
//!
//! ```sh
//! cargo run --example password_app
//! ```
//!
//! Open http://localhost:8000, create an account with a password. On the home page, turn
//! on two-step sign-in: scan the QR code (or type the key) into an authenticator app and
//! confirm with a code. Sign out and sign in with the password: the app asks for the code,
//! then invites you to create a passkey ("Create a passkey", "Not now", "Don't ask
//! again"). After that, "Sign in with a passkey" (or the browser's autofill) signs you in
//! without the password and without the code, and `/admin` (two factors) opens: a passkey
//! with user verification is both. There, look up a user to see their passkeys and
//! sessions, revoke a passkey or end their sessions (the crate's admin API); `/metrics`
//! serves the crate's metrics in the Prometheus text format. A session that has only the password cannot add a
//! passkey while the account has a code (`factor_required`), so a stolen password alone
//! cannot plant one. Every passkey added shows a notice on the home page (a real app
//! would send an email).
//!
//! The app's users live in the same SQLite database as the passkeys (table `app_users`,
//! argon2 password hashes, the TOTP secret), reached through rocket_db_pools. The
//! handlers query through the pool (`&State<PasskeysDb>`) rather than holding a
//! `Connection<PasskeysDb>`: the SQLite pool has one connection by default, which the
//! crate needs when it is called. Its forms accept posts from its own origin only
//! (`SameOrigin`, the crate's guard).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rocket::fairing::AdHoc;
use rocket::form::Form;
use rocket::http::{CookieJar, RawStr, Status};
use rocket::response::content::RawHtml;
use rocket::response::Redirect;
use rocket::State;
use rocket::{get, launch, post, routes, FromForm, Responder};
use rocket_db_pools::Database;
use rocket_passkeys::{
    AppUser, Error, Event, Events, Factor, LogEvents, PasskeyUser, Passkeys, PasskeysDb, SameOrigin,
};
use totp_rs::{Algorithm, TOTP};

mod admin;

#[derive(FromForm)]
struct Credentials<'r> {
    username: &'r str,
    password: &'r str,
    next: Option<&'r str>,
}

#[derive(FromForm)]
struct Code<'r> {
    code: &'r str,
    next: Option<&'r str>,
}

#[derive(Responder)]
enum Answer {
    Page(RawHtml<String>),
    Refused((Status, RawHtml<String>)),
    Redirect(Box<Redirect>),
}

impl Answer {
    fn refused(status: Status, title: &str, body: &str) -> Answer {
        Answer::Refused((status, page(title, body)))
    }

    fn redirect(to: Redirect) -> Answer {
        Answer::Redirect(Box::new(to))
    }

    fn failed(e: &Error) -> Answer {
        Answer::refused(
            e.code().status(),
            "Error",
            &format!("<p id=\"app-error\">{}</p>", escape(e.message())),
        )
    }
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
    Answer::refused(Status::ServiceUnavailable, "Error", body)
}

fn other_site() -> Answer {
    let body = "<p id=\"app-error\">This form was sent from another site.</p>";
    Answer::refused(Status::Forbidden, "Error", body)
}

// ---- notices: what the crate's events tell the user ----------------------------------

/// Notices for each user, from the crate's events: a passkey added to or removed from
/// the account. A real app would email them; this one shows them on the home page.
#[derive(Clone, Default)]
struct Notices(Arc<Mutex<HashMap<String, Vec<String>>>>);

impl Events for Notices {
    fn event(&self, event: &Event) {
        let notice = match event {
            Event::PasskeyAdded { user_id, name, .. } => Some((
                user_id,
                format!(
                    "A passkey ({name}) was added to your account. If this was not you, \
                     delete it under \"Manage your passkeys\" and change your password."
                ),
            )),
            Event::PasskeyRemoved { user_id, .. } => Some((
                user_id,
                "A passkey was removed from your account.".to_string(),
            )),
            _ => None,
        };
        if let Some((user_id, text)) = notice {
            if let Ok(mut notices) = self.0.lock() {
                notices.entry(user_id.clone()).or_default().push(text);
            }
        }
        LogEvents.event(event);
    }
}

impl Notices {
    fn of(&self, user_id: &str) -> Vec<String> {
        self.0
            .lock()
            .map(|n| n.get(user_id).cloned().unwrap_or_default())
            .unwrap_or_default()
    }
}

// ---- the second factor: TOTP (RFC 6238) ------------------------------------------------

/// The TOTP of an account: SHA-1, 6 digits, 30-second steps, as authenticator apps do.
fn totp(secret: &[u8], username: &str) -> Option<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        secret.to_vec(),
        Some("rocket_passkeys demo".into()),
        username.replace(':', "_"),
    )
    .ok()
}

/// The time step a code belongs to, if it is right for this step or the one before or
/// after (clocks drift), and later than the last step used: a used code never works
/// twice.
fn check_code(totp: &TOTP, code: &str, last_step: Option<i64>) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let current = (now / 30) as i64;
    (current - 1..=current + 1)
        .filter(|step| last_step.is_none_or(|last| *step > last))
        .find(|step| totp.generate(*step as u64 * 30) == code)
}

/// The factors an account has: its password, and its code when turned on.
fn account_factors(has_totp: bool) -> &'static [Factor] {
    if has_totp {
        &[Factor::Password, Factor::OneTimeCode]
    } else {
        &[Factor::Password]
    }
}

struct Account {
    id: String,
    username: String,
    password_hash: String,
    totp_secret: Option<Vec<u8>>,
    totp_last_step: Option<i64>,
}

type AccountRow = (String, String, String, Option<Vec<u8>>, Option<i64>);

async fn account(pool: &sqlx::SqlitePool, column: &str, value: &str) -> Option<Account> {
    let sql = format!(
        "SELECT id, username, password_hash, totp_secret, totp_last_step \
         FROM app_users WHERE {column} = ?"
    );
    let row: Option<AccountRow> = sqlx::query_as(&sql)
        .bind(value)
        .fetch_optional(pool)
        .await
        .ok()
        .flatten();
    row.map(
        |(id, username, password_hash, totp_secret, totp_last_step)| Account {
            id,
            username,
            password_hash,
            totp_secret,
            totp_last_step,
        },
    )
}

/// The most wrong codes in a row before code entry pauses for the account: 30 s after
/// the fifth, doubling with each wrong code after that, up to an hour. A password alone
/// gets a handful of guesses an hour at a 6-digit code, not thousands a second.
const CODE_ATTEMPTS: i64 = 5;

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Takes one code attempt for the account, atomically (so concurrent guesses cannot
/// share one), or answers how many seconds code entry is paused.
async fn take_attempt(pool: &sqlx::SqlitePool, id: &str) -> Result<(), i64> {
    let now = now_secs();
    let taken: Option<i64> = sqlx::query_scalar(
        "UPDATE app_users SET code_failures = code_failures + 1 \
         WHERE id = ? AND code_paused_until <= ? RETURNING code_failures",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(pool)
    .await
    .ok()
    .flatten();
    match taken {
        Some(failures) if failures <= CODE_ATTEMPTS => Ok(()),
        Some(failures) => {
            let pause = (30i64 << (failures - CODE_ATTEMPTS - 1).min(7)).min(3600);
            let _ = sqlx::query("UPDATE app_users SET code_paused_until = ? WHERE id = ?")
                .bind(now + pause)
                .bind(id)
                .execute(pool)
                .await;
            Err(pause)
        }
        None => {
            let until: i64 =
                sqlx::query_scalar("SELECT code_paused_until FROM app_users WHERE id = ?")
                    .bind(id)
                    .fetch_one(pool)
                    .await
                    .unwrap_or(now + 30);
            Err((until - now).max(1))
        }
    }
}

// ---- pages -----------------------------------------------------------------------------

#[get("/")]
async fn home(user: PasskeyUser, db: &State<PasskeysDb>, notices: &State<Notices>) -> Answer {
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let how = if user.factors().contains(&Factor::Passkey) {
        "with a passkey"
    } else if user.factors().contains(&Factor::OneTimeCode) {
        "with your password and a code"
    } else {
        "with your password"
    };
    let has_totp = account(pool, "id", user.id())
        .await
        .is_some_and(|a| a.totp_secret.is_some());
    let two_step = if has_totp {
        r#"<p id="totp-status">Two-step sign-in is on: a password sign-in also asks for a code.</p>"#
            .to_string()
    } else {
        r#"<p id="totp-status">Two-step sign-in is off. <a href="/totp" id="totp-setup">Turn it on</a></p>"#
            .to_string()
    };
    let notices: String = notices
        .of(user.id())
        .iter()
        .map(|n| format!("<li class=\"app-notice\">{}</li>", escape(n)))
        .collect();
    let notices = if notices.is_empty() {
        String::new()
    } else {
        format!("<ul id=\"notices\">{notices}</ul>")
    };
    Answer::Page(page(
        "Home",
        &format!(
            r#"<h1>Welcome back</h1>
<p>You are signed in as <strong id="signed-in-user">{}</strong>, {how}.</p>
{notices}{two_step}
<p><a href="/admin" id="admin-link">Admin area</a> (needs two factors: a passkey counts as both)</p>
<p><a href="/passkeys/manage" id="manage-passkeys">Manage your passkeys</a></p>
<div class="passkeys-actions">
<button type="button" class="passkeys-button" data-passkey-action="sign-out">Sign out</button>
</div>"#,
            escape(user.display_name())
        ),
    ))
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
    same_origin: Result<SameOrigin, Error>,
    db: &State<PasskeysDb>,
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
    form: Form<Credentials<'_>>,
) -> Answer {
    if same_origin.is_err() {
        return other_site();
    }
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let username = form.username.trim();
    if username.is_empty() || username.chars().count() > 64 || form.password.len() < 8 {
        let body = "<h1>Create an account</h1><p id=\"app-error\">Choose a username and a password of at least 8 characters. <a href=\"/signup\">Try again</a></p>";
        return Answer::refused(Status::BadRequest, "Create an account", body);
    }
    let salt = SaltString::generate(&mut OsRng);
    let Ok(hash) = Argon2::default().hash_password(form.password.as_bytes(), &salt) else {
        return Answer::refused(
            Status::InternalServerError,
            "Error",
            "<p>Please try again.</p>",
        );
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
        let body = "<h1>Create an account</h1><p id=\"app-error\">That username is taken. <a href=\"/signup\">Try another</a></p>";
        return Answer::refused(Status::Conflict, "Create an account", body);
    }
    let user = AppUser {
        id: &id,
        username,
        display_name: username,
        factors: account_factors(false),
    };
    match passkeys
        .signed_in(cookies, user, &[Factor::Password], "/")
        .await
    {
        Ok(to) => Answer::redirect(to),
        Err(e) => Answer::failed(&e),
    }
}

#[post("/login", data = "<form>")]
async fn login(
    same_origin: Result<SameOrigin, Error>,
    db: &State<PasskeysDb>,
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
    form: Form<Credentials<'_>>,
) -> Answer {
    if same_origin.is_err() {
        return other_site();
    }
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let found = account(pool, "username", form.username.trim()).await;
    // The same work and the same answer whether or not the user exists.
    const UNKNOWN: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Kx7bCdsfDmQyEhNMvNCqLy1mWumaH3oPSHNbSqaxA6M";
    let stored = found.as_ref().map_or(UNKNOWN, |a| a.password_hash.as_str());
    let verified = PasswordHash::new(stored)
        .map(|hash| {
            Argon2::default()
                .verify_password(form.password.as_bytes(), &hash)
                .is_ok()
        })
        .unwrap_or(false);
    let (Some(account), true) = (found, verified) else {
        let body = format!("<p class=\"passkeys-error\" id=\"password-error\">Wrong username or password.</p>{SIGN_IN_FORM}");
        return Answer::refused(Status::Unauthorized, "Sign in", &body);
    };
    let has_totp = account.totp_secret.is_some();
    let user = AppUser {
        id: &account.id,
        username: &account.username,
        display_name: &account.username,
        factors: account_factors(has_totp),
    };
    let next = form.next.unwrap_or("/");
    // With a code on the account, the password is the first step: the crate opens a
    // one-factor session (it may not add a passkey), and the code comes next.
    let after_password = if has_totp {
        format!("/login/code?next={}", RawStr::new(next).percent_encode())
    } else {
        next.to_string()
    };
    match passkeys
        .signed_in(cookies, user, &[Factor::Password], &after_password)
        .await
    {
        Ok(to) => Answer::redirect(to),
        Err(e) => Answer::failed(&e),
    }
}

fn code_form(next: &str, error: &str) -> String {
    format!(
        r#"<h1>Enter your code</h1>{error}
<p>Open your authenticator app and enter the 6-digit code for this site.</p>
<form class="passkeys-form" method="post" action="/login/code">
  <input type="hidden" name="next" value="{}">
  <div class="passkeys-field"><label for="code">Code</label>
  <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" required></div>
  <button type="submit" class="passkeys-button passkeys-primary" id="code-submit">Continue</button>
</form>"#,
        escape(next)
    )
}

#[get("/login/code?<next>")]
fn code_page(user: PasskeyUser, next: Option<&str>) -> Answer {
    let next = next.unwrap_or("/");
    if user.is_multi_factor() {
        return Answer::redirect(Redirect::to("/"));
    }
    Answer::Page(page("Enter your code", &code_form(next, "")))
}

#[post("/login/code", data = "<form>")]
async fn code(
    same_origin: Result<SameOrigin, Error>,
    user: PasskeyUser,
    db: &State<PasskeysDb>,
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
    form: Form<Code<'_>>,
) -> Answer {
    if same_origin.is_err() {
        return other_site();
    }
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let next = form.next.unwrap_or("/");
    // A bad `next` is refused before the code is spent on it.
    if !rocket_passkeys::is_local_path(next) {
        return Answer::refused(Status::BadRequest, "Error", "<p>Bad address.</p>");
    }
    if let Err(pause) = take_attempt(pool, user.id()).await {
        let error = format!(
            "<p class=\"passkeys-error\" id=\"code-error\">Too many wrong codes. Try again in {pause} seconds.</p>"
        );
        return Answer::refused(
            Status::TooManyRequests,
            "Enter your code",
            &code_form(next, &error),
        );
    }
    let account = account(pool, "id", user.id()).await;
    let checked = account.as_ref().and_then(|a| {
        let totp = totp(a.totp_secret.as_deref()?, &a.username)?;
        check_code(&totp, form.code, a.totp_last_step)
    });
    let Some(step) = checked else {
        let error = "<p class=\"passkeys-error\" id=\"code-error\">That code did not work. Wait for the next one and try again.</p>";
        return Answer::refused(
            Status::Unauthorized,
            "Enter your code",
            &code_form(next, error),
        );
    };
    // Spent: the same code, or an older one, never works again; the count of wrong
    // codes starts over.
    let spent = sqlx::query(
        "UPDATE app_users SET totp_last_step = ?, code_failures = 0 WHERE id = ? \
         AND (totp_last_step IS NULL OR totp_last_step < ?)",
    )
    .bind(step)
    .bind(user.id())
    .bind(step)
    .execute(pool)
    .await;
    if !spent.is_ok_and(|r| r.rows_affected() == 1) {
        let error = "<p class=\"passkeys-error\" id=\"code-error\">That code was used already.</p>";
        return Answer::refused(
            Status::Unauthorized,
            "Enter your code",
            &code_form(next, error),
        );
    }
    // The second step: a new session token with both factors, and the passkey
    // invitation now if it is due.
    match passkeys
        .add_factor(cookies, Factor::OneTimeCode, next)
        .await
    {
        Ok(to) => Answer::redirect(to),
        Err(e) => Answer::failed(&e),
    }
}

fn setup_page(username: &str, secret: &[u8], error: &str) -> Option<String> {
    let totp = totp(secret, username)?;
    let svg = qrcode::QrCode::new(totp.get_url().as_bytes())
        .ok()?
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build();
    Some(format!(
        r#"<h1>Turn on two-step sign-in</h1>{error}
<p>Scan this code with an authenticator app, or type the key into it.</p>
<figure role="img" aria-label="QR code of the key" id="totp-qr">{svg}</figure>
<p>Key: <code id="totp-secret">{}</code></p>
<form class="passkeys-form" method="post" action="/totp">
  <div class="passkeys-field"><label for="code">Code from the app</label>
  <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required></div>
  <button type="submit" class="passkeys-button passkeys-primary" id="totp-confirm">Turn on</button>
</form>"#,
        totp.get_secret_base32()
    ))
}

/// The key being set up, kept in this browser (a private cookie: encrypted, so neither
/// read nor changed there) until a code from it confirms it: another session of the
/// account cannot swap in a key of its own.
const PENDING_KEY: &str = "totp_pending";

fn pending_key(cookies: &CookieJar<'_>, user_id: &str) -> Option<Vec<u8>> {
    let value = cookies.get_private(PENDING_KEY)?;
    let (owner, hex) = value.value().split_once(':')?;
    if owner != user_id || hex.len() != 40 {
        return None;
    }
    (0..20)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect()
}

#[get("/totp")]
async fn totp_page(user: PasskeyUser, db: &State<PasskeysDb>, cookies: &CookieJar<'_>) -> Answer {
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let Some(account) = account(pool, "id", user.id()).await else {
        return Answer::refused(Status::NotFound, "Error", "<p>No such account.</p>");
    };
    if account.totp_secret.is_some() {
        return Answer::redirect(Redirect::to("/"));
    }
    // A new key each time the page opens.
    let mut secret = vec![0u8; 20];
    OsRng.fill_bytes(&mut secret);
    let hex: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let cookie = rocket::http::Cookie::build((PENDING_KEY, format!("{}:{hex}", account.id)))
        .path("/totp")
        .http_only(true)
        .same_site(rocket::http::SameSite::Strict)
        .max_age(rocket::time::Duration::minutes(15));
    cookies.add_private(cookie);
    match setup_page(&account.username, &secret, "") {
        Some(body) => Answer::Page(page("Two-step sign-in", &body)),
        None => Answer::refused(Status::ServiceUnavailable, "Error", "<p>Try again.</p>"),
    }
}

#[post("/totp", data = "<form>")]
async fn totp_confirm(
    same_origin: Result<SameOrigin, Error>,
    user: PasskeyUser,
    db: &State<PasskeysDb>,
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
    form: Form<Code<'_>>,
) -> Answer {
    if same_origin.is_err() {
        return other_site();
    }
    let Some(pool) = db.sqlite() else {
        return sqlite_only();
    };
    let Some(account) = account(pool, "id", user.id()).await else {
        return Answer::refused(Status::NotFound, "Error", "<p>No such account.</p>");
    };
    let Some(pending) = pending_key(cookies, &account.id) else {
        return Answer::redirect(Redirect::to("/totp"));
    };
    let step = totp(&pending, &account.username).and_then(|t| check_code(&t, form.code, None));
    let Some(step) = step else {
        let error = "<p class=\"passkeys-error\" id=\"code-error\">That code did not work. Check the app and try again.</p>";
        let body = setup_page(&account.username, &pending, error).unwrap_or_default();
        return Answer::refused(Status::BadRequest, "Two-step sign-in", &body);
    };
    let enabled = sqlx::query(
        "UPDATE app_users SET totp_secret = ?, totp_last_step = ?, code_failures = 0 \
         WHERE id = ? AND totp_secret IS NULL",
    )
    .bind(&pending)
    .bind(step)
    .bind(&account.id)
    .execute(pool)
    .await;
    if !enabled.is_ok_and(|r| r.rows_affected() == 1) {
        return Answer::refused(
            Status::Conflict,
            "Error",
            "<p>Two-step sign-in is on already.</p>",
        );
    }
    cookies.remove_private(rocket::http::Cookie::build(PENDING_KEY).path("/totp"));
    // The account's ways to sign in changed: the crate learns its factors (so a session
    // holding the password alone can no longer add a passkey), and the user's other
    // sessions end. This session just proved the code: it holds both factors now.
    let now = AppUser {
        id: &account.id,
        username: &account.username,
        display_name: &account.username,
        factors: account_factors(true),
    };
    if let Err(e) = passkeys.account_changed(cookies, now).await {
        return Answer::failed(&e);
    }
    match passkeys.add_factor(cookies, Factor::OneTimeCode, "/").await {
        Ok(to) => Answer::redirect(to),
        Err(e) => Answer::failed(&e),
    }
}

#[get("/admin", rank = 2)]
fn admin_needs_two_factors() -> (Status, RawHtml<String>) {
    (
        Status::Forbidden,
        page("Admin", "<h1>Admin area</h1><p id=\"admin-refused\">This area needs two factors: sign in with a passkey, or with your password and a code.</p>"),
    )
}

#[launch]
fn rocket() -> _ {
    let figment = rocket::Config::figment()
        .merge(("passkeys.progressive_enrollment", true))
        .merge(("passkeys.sign_up", false));
    let notices = Notices::default();
    rocket::custom(figment)
        .manage(admin::recorder())
        .attach(Passkeys::fairing().events(notices.clone()))
        .manage(notices)
        .attach(AdHoc::on_liftoff("app_users table", |rocket| {
            Box::pin(async move {
                let Some(pool) = PasskeysDb::fetch(rocket).and_then(|db| db.sqlite()) else {
                    return;
                };
                for sql in [
                    "CREATE TABLE IF NOT EXISTS app_users (id TEXT PRIMARY KEY NOT NULL, \
                     username TEXT NOT NULL UNIQUE COLLATE NOCASE, password_hash TEXT NOT NULL)",
                    "ALTER TABLE app_users ADD COLUMN totp_secret BLOB",
                    "ALTER TABLE app_users ADD COLUMN totp_last_step INTEGER",
                    "ALTER TABLE app_users ADD COLUMN code_failures INTEGER NOT NULL DEFAULT 0",
                    "ALTER TABLE app_users ADD COLUMN code_paused_until INTEGER NOT NULL DEFAULT 0",
                ] {
                    if let Err(e) = sqlx::query(sql).execute(pool).await {
                        // The columns of an existing table may be there already.
                        if !e.to_string().contains("duplicate column") {
                            eprintln!("cannot prepare the app_users table: {e}");
                        }
                    }
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
                code_page,
                code,
                totp_page,
                totp_confirm,
                admin::admin,
                admin::revoke,
                admin::end_sessions,
                admin::metrics,
                admin_needs_two_factors
            ],
        )
}
