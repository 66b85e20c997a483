//! WebAuthn hints (`hints.register`, `hints.authenticate`): sent with the options of
//! their ceremony kind only, in the configured order, and absent when none are set.

use rocket_passkeys_testkit as support;

use rocket::http::Status;
use rocket_passkeys::{Config, Hints};
use serde_json::{json, Value};
use support::{config, TestApp};

async fn options(app: &TestApp, path: &str, body: Value) -> Value {
    let mut browser = app.browser();
    let answer = browser.post(path, &body).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    answer.body["publicKey"].clone()
}

#[rocket::async_test]
async fn each_kind_sends_its_own_hints_in_order() {
    let app = TestApp::with(Config {
        hints: Hints {
            register: vec!["client-device".into(), "hybrid".into()],
            authenticate: vec!["security-key".into()],
        },
        ..config()
    })
    .await;
    let register = options(
        &app,
        "/passkeys/register/start",
        json!({ "username": "ada" }),
    )
    .await;
    assert_eq!(register["hints"], json!(["client-device", "hybrid"]));
    let usernameless = options(&app, "/passkeys/authenticate/start", json!({})).await;
    assert_eq!(usernameless["hints"], json!(["security-key"]));
    let named = options(
        &app,
        "/passkeys/authenticate/start",
        json!({ "username": "ada" }),
    )
    .await;
    assert_eq!(named["hints"], json!(["security-key"]));
}

#[rocket::async_test]
async fn without_hints_the_options_have_none() {
    let app = TestApp::new().await;
    let register = options(
        &app,
        "/passkeys/register/start",
        json!({ "username": "ada" }),
    )
    .await;
    assert!(register.get("hints").is_none(), "{register}");
    let sign_in = options(&app, "/passkeys/authenticate/start", json!({})).await;
    assert!(sign_in.get("hints").is_none(), "{sign_in}");
    // Only hints are added: a sign-up still works end to end.
    let mut browser = app.browser();
    assert_eq!(browser.sign_up("bob").await.status, Status::Ok);
}
