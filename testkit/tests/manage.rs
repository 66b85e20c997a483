//! Managing passkeys: list, rename, delete, the last-passkey guard, the step-up window,
//! session revocation, the counter policy and the events hook.

use rocket_passkeys_testkit as support;

use std::time::Duration;

use rocket::http::Status;
use rocket_passkeys::{Config, CounterPolicy, Event};
use serde_json::{json, Value};
use support::softkey::{SoftKey, Tamper, AT, BE, BS, UP, UV};
use support::{config, Browser, Recorder, TestApp};

async fn list(browser: &mut Browser<'_>) -> Vec<Value> {
    let answer = browser.get("/passkeys/credentials").await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    answer.body["credentials"]
        .as_array()
        .expect("a list")
        .clone()
}

fn path(id: &Value) -> String {
    format!("/passkeys/credentials/{}", id.as_str().expect("an id"))
}

async fn delete(browser: &mut Browser<'_>, id: &Value) -> support::Answer {
    let mut request = browser
        .client
        .delete(path(id))
        .header(rocket::http::Header::new("Origin", browser.origin.clone()));
    for (k, v) in &browser.cookies {
        request = request.cookie(rocket::http::Cookie::new(k.clone(), v.clone()));
    }
    let response = request.dispatch().await;
    browser.read_answer(response).await
}

async fn rename(browser: &mut Browser<'_>, id: &Value, name: &str) -> support::Answer {
    let mut request = browser
        .client
        .patch(path(id))
        .header(rocket::http::ContentType::JSON)
        .header(rocket::http::Header::new("Origin", browser.origin.clone()))
        .body(json!({ "name": name }).to_string());
    for (k, v) in &browser.cookies {
        request = request.cookie(rocket::http::Cookie::new(k.clone(), v.clone()));
    }
    let response = request.dispatch().await;
    browser.read_answer(response).await
}

/// A passkeys-only account with two passkeys (two devices).
async fn two_passkeys<'c>(app: &'c TestApp, name: &str) -> Browser<'c> {
    let mut browser = app.browser();
    assert_eq!(browser.sign_up(name).await.status, Status::Ok);
    let first = std::mem::replace(&mut browser.authenticator, support::authenticator());
    assert_eq!(browser.add_passkey().await.status, Status::Ok);
    browser.authenticator = first;
    browser
}

#[rocket::async_test]
async fn list_rename_and_delete() {
    let events = Recorder::default();
    let app = TestApp::with_events(config(), events.clone()).await;
    let mut browser = two_passkeys(&app, "ann").await;
    let passkeys = list(&mut browser).await;
    assert_eq!(passkeys.len(), 2);
    for p in &passkeys {
        assert_eq!(p["provider"], "Google Password Manager");
        assert_eq!(
            p["name"], "Google Password Manager",
            "named from the provider"
        );
        assert_eq!(
            p["synced"], true,
            "1Password's authenticator reports backed up"
        );
        assert!(p["created_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    }
    assert!(
        passkeys[0]["last_used_at"].is_null(),
        "not used to sign in yet"
    );

    let answer = rename(&mut browser, &passkeys[0]["id"], "  Work laptop ").await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(answer.body["credential"]["name"], "Work laptop");
    assert_eq!(
        list(&mut browser).await[0]["name"],
        "Work laptop",
        "persisted"
    );

    let answer = delete(&mut browser, &passkeys[1]["id"]).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(
        answer.body["credentials"],
        json!([passkeys[0]["id"]]),
        "what remains"
    );
    assert_eq!(list(&mut browser).await.len(), 1);

    let kinds: Vec<&str> = events
        .take()
        .iter()
        .map(|e| match e {
            Event::SignedUp { .. } => "signed_up",
            Event::PasskeyAdded { .. } => "added",
            Event::PasskeyRenamed { .. } => "renamed",
            Event::PasskeyRemoved { .. } => "removed",
            Event::PasskeyUsed { .. } => "used",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, ["signed_up", "added", "added", "renamed", "removed"]);
}

#[rocket::async_test]
async fn the_manage_screen_lists_and_escapes() {
    let app = TestApp::new().await;
    let mut browser = two_passkeys(&app, "bea").await;
    let passkeys = list(&mut browser).await;
    let answer = rename(
        &mut browser,
        &passkeys[0]["id"],
        "<script>alert(1)</script>",
    )
    .await;
    assert_eq!(answer.status, Status::Ok);
    let page = browser.get("/passkeys/manage").await;
    assert_eq!(page.status, Status::Ok);
    let html = page.body.as_str().expect("html");
    assert_eq!(html.matches("data-passkey-id=").count(), 2);
    for hook in ["rename", "delete", "register"] {
        assert!(
            html.contains(&format!("data-passkey-action=\"{hook}\"")),
            "{hook}"
        );
    }
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "escaped"
    );
    assert!(!html.contains("<script>alert(1)"), "never raw");
    assert!(html.contains("Google Password Manager"));
    assert!(html.contains("Synced across your devices"));

    let mut stranger = app.browser();
    assert_eq!(
        stranger.get("/passkeys/manage").await.status,
        Status::SeeOther
    );
}

#[rocket::async_test]
async fn hostile_names_are_refused() {
    let app = TestApp::new().await;
    let mut browser = two_passkeys(&app, "cat").await;
    let id = list(&mut browser).await[0]["id"].clone();
    let before = app.snapshot().await;
    let long = "x".repeat(10 * 1024);
    for name in [
        "",
        "   ",
        "a\r\nInjected: log line",
        "nul\u{0}byte",
        "\u{202e}txt.exe",
        long.as_str(),
    ] {
        let answer = rename(&mut browser, &id, name).await;
        answer.assert_error(Status::BadRequest, "invalid_request");
        // Each says what is wrong with the name, not only that the request is invalid.
        let message = answer.body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("name") && message.contains("64")
                || message.contains("invisible formatting"),
            "{name:?}: {message}"
        );
    }
    assert_eq!(app.snapshot().await, before);
    assert_eq!(
        list(&mut browser).await[0]["name"],
        "Google Password Manager"
    );
}

#[rocket::async_test]
async fn another_users_passkey_is_not_found() {
    let app = TestApp::new().await;
    let mut alice = two_passkeys(&app, "alice").await;
    let mut bob = two_passkeys(&app, "bob").await;
    let bobs = list(&mut bob).await;
    let before = app.snapshot().await;
    rename(&mut alice, &bobs[0]["id"], "mine now")
        .await
        .assert_error(Status::NotFound, "not_found");
    delete(&mut alice, &bobs[0]["id"])
        .await
        .assert_error(Status::NotFound, "not_found");
    delete(&mut alice, &json!("AAA!"))
        .await
        .assert_error(Status::NotFound, "not_found");
    assert_eq!(app.snapshot().await, before, "nothing changed");
    assert_eq!(list(&mut bob).await[0]["name"], bobs[0]["name"]);

    let alices = list(&mut alice).await;
    let mut stranger = app.browser();
    delete(&mut stranger, &bobs[0]["id"])
        .await
        .assert_error(Status::Unauthorized, "unauthorized");
    stranger.origin = "https://evil.example".into();
    alice.origin = "https://evil.example".into();
    delete(&mut alice, &alices[0]["id"])
        .await
        .assert_error(Status::Forbidden, "forbidden");
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn the_last_passkey_of_a_passkeys_only_account_stays() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.sign_up("dan").await;
    let id = list(&mut browser).await[0]["id"].clone();
    let before = app.snapshot().await;
    let answer = delete(&mut browser, &id).await;
    answer.assert_error(Status::Conflict, "last_passkey");
    assert!(answer.body["message"]
        .as_str()
        .unwrap_or("")
        .contains("only way to sign in"));
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn a_password_user_may_delete_their_only_passkey_with_it_not_with_the_password() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.password_sign_in("eve", "/").await;
    assert_eq!(browser.add_passkey().await.status, Status::Ok);
    let id = list(&mut browser).await[0]["id"].clone();
    // The password alone can neither delete nor rename it (nor, then, add its own).
    let mut password = app.browser();
    password.password_sign_in("eve", "/").await;
    let before = app.snapshot().await;
    delete(&mut password, &id)
        .await
        .assert_error(Status::Forbidden, "factor_required");
    rename(&mut password, &id, "Mine now")
        .await
        .assert_error(Status::Forbidden, "factor_required");
    assert_eq!(app.snapshot().await, before);
    // A sign-in with the passkey may: the account keeps its password.
    let mut passkey = app.browser();
    passkey.authenticator = browser.authenticator;
    assert_eq!(passkey.sign_in(None).await.status, Status::Ok);
    assert_eq!(delete(&mut passkey, &id).await.status, Status::Ok);
    assert!(list(&mut passkey).await.is_empty());
}

#[rocket::async_test]
async fn adding_and_deleting_need_a_recent_sign_in() {
    let app = TestApp::new().await;
    let mut browser = two_passkeys(&app, "fay").await;
    let id = list(&mut browser).await[1]["id"].clone();
    assert_eq!(browser.get("/recent").await.status, Status::Ok);

    app.clock.advance(Duration::from_secs(601));
    let before = app.snapshot().await;
    delete(&mut browser, &id)
        .await
        .assert_error(Status::Forbidden, "reauth_required");
    browser
        .post("/passkeys/register/start", &json!({}))
        .await
        .assert_error(Status::Forbidden, "reauth_required");
    assert_eq!(browser.get("/recent").await.status, Status::Forbidden);
    assert_eq!(app.snapshot().await, before);
    // Renaming is not sensitive.
    assert_eq!(
        rename(&mut browser, &id, "Old phone").await.status,
        Status::Ok
    );

    // A fresh passkey sign-in opens the window again.
    assert_eq!(browser.sign_in(None).await.status, Status::Ok);
    assert_eq!(browser.get("/recent").await.status, Status::Ok);
    assert_eq!(delete(&mut browser, &id).await.status, Status::Ok);
}

#[rocket::async_test]
async fn deleting_a_passkey_ends_the_sessions_it_opened() {
    let app = TestApp::new().await;
    let mut laptop = app.browser();
    laptop.sign_up("gus").await;
    // The phone's passkey is added from the laptop's session, then used on the phone.
    let laptop_key = std::mem::replace(&mut laptop.authenticator, support::authenticator());
    assert_eq!(laptop.add_passkey().await.status, Status::Ok);
    let mut phone = app.browser();
    phone.authenticator = std::mem::replace(&mut laptop.authenticator, laptop_key);
    assert_eq!(phone.sign_in(None).await.status, Status::Ok);
    assert!(phone.me().await.is_some());
    let ids = list(&mut laptop).await;
    // The laptop deletes the phone's passkey (the second one registered).
    assert_eq!(delete(&mut laptop, &ids[1]["id"]).await.status, Status::Ok);
    assert!(phone.me().await.is_none(), "the phone's session ended");
    assert!(laptop.me().await.is_some(), "the laptop's did not");
}

/// Registers a SoftKey account whose authenticator reports counters (and optionally
/// is synced), signed out.
async fn counting_account(app: &TestApp, name: &str, synced: bool, counter: u32) -> SoftKey {
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": name }))
        .await;
    let mut key = SoftKey::random();
    key.counter = counter;
    let flags = if synced {
        UP | UV | AT | BE | BS
    } else {
        UP | UV | AT
    };
    let credential = key.register(
        &start.body,
        &Tamper {
            flags: Some(flags),
            ..Tamper::default()
        },
    );
    let answer = browser.post("/passkeys/register/finish", &credential).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    key
}

async fn sign_in_with(
    app: &TestApp,
    key: &mut SoftKey,
    counter: u32,
    synced: bool,
) -> support::Answer {
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    key.counter = counter;
    let flags = if synced { UP | UV | BE | BS } else { UP | UV };
    let assertion = key.assert(
        &start.body,
        &Tamper {
            flags: Some(flags),
            ..Tamper::default()
        },
    );
    browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await
}

fn clones(events: &Recorder) -> Vec<(u32, u32, bool)> {
    events
        .take()
        .into_iter()
        .filter_map(|e| match e {
            Event::SuspectedClone {
                stored,
                received,
                allowed,
                ..
            } => Some((stored, received, allowed)),
            _ => None,
        })
        .collect()
}

async fn stored_counter(app: &TestApp) -> i64 {
    app.snapshot().await.credential_rows[0].1
}

#[rocket::async_test]
async fn counter_policy_strict() {
    let events = Recorder::default();
    let app = TestApp::with_events(
        Config {
            counter_policy: CounterPolicy::Strict,
            ..config()
        },
        events.clone(),
    )
    .await;
    let mut key = counting_account(&app, "hal", true, 5).await;
    assert_eq!(
        sign_in_with(&app, &mut key, 6, true).await.status,
        Status::Ok
    );
    assert_eq!(stored_counter(&app).await, 6);
    events.take();
    sign_in_with(&app, &mut key, 6, true)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    sign_in_with(&app, &mut key, 0, true)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(clones(&events), [(6, 6, false), (6, 0, false)]);
    assert_eq!(
        stored_counter(&app).await,
        6,
        "unchanged, and the passkey is not deleted"
    );
    assert_eq!(
        sign_in_with(&app, &mut key, 7, true).await.status,
        Status::Ok,
        "not locked out"
    );
}

#[rocket::async_test]
async fn counter_policy_synced_is_the_default() {
    let events = Recorder::default();
    let app = TestApp::with_events(config(), events.clone()).await;
    let mut synced = counting_account(&app, "ida", true, 5).await;
    let mut device = counting_account(&app, "jon", false, 5).await;
    events.take();
    // A synced passkey that reports 0 is what sync providers do: allowed, no alarm.
    assert_eq!(
        sign_in_with(&app, &mut synced, 0, true).await.status,
        Status::Ok
    );
    assert_eq!(clones(&events), []);
    // A device-bound one going back is a clone signal, refused.
    sign_in_with(&app, &mut device, 5, false)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(clones(&events), [(5, 5, false)]);
    // Both counters zero is fine (no counter at all).
    let mut zero = counting_account(&app, "kim", false, 0).await;
    assert_eq!(
        sign_in_with(&app, &mut zero, 0, false).await.status,
        Status::Ok
    );
    assert_eq!(
        sign_in_with(&app, &mut zero, 0, false).await.status,
        Status::Ok
    );
}

#[rocket::async_test]
async fn counter_policy_warn_allows_and_never_lowers_the_counter() {
    let events = Recorder::default();
    let app = TestApp::with_events(
        Config {
            counter_policy: CounterPolicy::Warn,
            ..config()
        },
        events.clone(),
    )
    .await;
    let mut key = counting_account(&app, "lou", false, 10).await;
    assert_eq!(
        sign_in_with(&app, &mut key, 12, false).await.status,
        Status::Ok
    );
    events.take();
    // 11 arrives after 12: allowed under `warn`, but the stored counter stays 12.
    assert_eq!(
        sign_in_with(&app, &mut key, 11, false).await.status,
        Status::Ok
    );
    assert_eq!(clones(&events), [(12, 11, true)]);
    assert_eq!(stored_counter(&app).await, 12);
}
