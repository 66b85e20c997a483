//! A passkeys-only app: no passwords anywhere.
//!
//! ```sh
//! cargo run --example passkeys_only
//! ```
//!
//! Then open http://localhost:8000 (use `localhost`, not `127.0.0.1`: passkeys need a
//! domain name). Accounts live in `passkeys.sqlite` beside where it runs. New accounts
//! get recovery codes; `/metrics` serves the crate's metrics (Prometheus text format).

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use rocket::http::ContentType;
use rocket::response::content::RawHtml;
use rocket::{get, launch, routes, State};
use rocket_passkeys::{PasskeyUser, Passkeys};

const STYLE: &str = r#"<link rel="stylesheet" href="/passkeys/passkeys.css">"#;

#[get("/")]
fn home(user: PasskeyUser) -> RawHtml<String> {
    // The display name is the user's own text: escape it.
    let name = escape(user.display_name());
    RawHtml(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Home</title><link rel="icon" href="data:,">{STYLE}</head>
<body class="passkeys-page"><main id="passkeys" class="passkeys-card">
<h1>Welcome back</h1>
<p>You are signed in as <strong id="signed-in-user">{name}</strong>.</p>
<p><a href="/passkeys/manage" id="manage-passkeys">Manage your passkeys</a></p>
<p id="passkey-error" class="passkeys-error" role="alert" hidden></p>
<button type="button" class="passkeys-button" data-passkey-action="sign-out">Sign out</button>
</main>
<script src="/passkeys/passkeys.js" data-mount="/passkeys" defer></script>
</body></html>"#
    ))
}

#[get("/", rank = 2)]
fn welcome() -> RawHtml<String> {
    RawHtml(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Welcome</title><link rel="icon" href="data:,">{STYLE}</head>
<body class="passkeys-page"><main id="passkeys" class="passkeys-card">
<h1>Passkeys demo</h1>
<p>No passwords here: your device unlocks your account.</p>
<p><a href="/passkeys/sign-in">Sign in</a> or <a href="/passkeys/sign-up">create an account</a>.</p>
</main></body></html>"#
    ))
}

fn escape(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '<' => "&lt;".into(),
            '>' => "&gt;".into(),
            '&' => "&amp;".into(),
            '"' => "&quot;".into(),
            '\'' => "&#39;".into(),
            c => c.to_string(),
        })
        .collect()
}

/// The crate's metrics in the Prometheus text format (a real app keeps this off the
/// public internet, or behind its own check).
#[get("/metrics")]
fn metrics(handle: &State<PrometheusHandle>) -> (ContentType, String) {
    (ContentType::Plain, handle.render())
}

#[launch]
fn rocket() -> _ {
    let recorder = PrometheusBuilder::new()
        .install_recorder()
        .unwrap_or_else(|e| panic!("cannot install the metrics recorder: {e}"));
    // Passkeys are this app's only way in: recovery codes are its way back (Rocket.toml
    // or ROCKET_PASSKEYS_RECOVERY_CODES=false turns them off).
    let figment = rocket::Config::figment().join(("passkeys.recovery_codes", true));
    rocket::custom(figment)
        .manage(recorder)
        .attach(Passkeys::fairing())
        .mount("/", routes![home, welcome, metrics])
}
