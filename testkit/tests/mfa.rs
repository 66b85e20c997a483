//! MFA as promised: a passkey sign-in is both factors, and a passkey can only be added by
//! a session that holds the assurance it will grant: every factor the account has (its
//! password, its one-time code, its passkeys), or two. So a stolen password cannot plant
//! a passkey that skips the account's code. Runs on the store suite's backend.

use rocket_passkeys_testkit as support;

use rocket::http::Status;
use rocket_passkeys::{Clock, Config, Event};
use serde_json::json;
use support::{Recorder, TestApp};

const PROMPT: &str = "/passkeys/enroll?next=%2Fhome";

fn enrolling() -> Config {
    Config {
        progressive_enrollment: true,
        ..support::config()
    }
}

/// A password sign-in of `id`; `mfa`: the account has a one-time code too.
async fn password(browser: &mut support::Browser<'_>, id: &str, mfa: bool) -> (Status, String) {
    let path = format!("/login?id={id}&name={id}&next=%2Fhome&otp=false&mfa={mfa}");
    browser.post_form(&path).await
}

#[rocket::async_test]
async fn a_password_alone_cannot_add_a_passkey_to_an_account_with_a_code() {
    let events = Recorder::default();
    let app = TestApp::with_events(enrolling(), events.clone()).await;
    let mut browser = app.browser();
    // The password is the first of two steps: no prompt yet, and /mfa is refused.
    let (status, to) = password(&mut browser, "tess", true).await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, "/home"));
    assert_eq!(browser.get("/mfa").await.status, Status::Forbidden);
    let before = app.snapshot().await;
    browser
        .post("/passkeys/register/start", &json!({}))
        .await
        .assert_error(Status::Forbidden, "factor_required");
    assert!(!browser.holds("passkeys_registration"), "nothing started");
    // Nor can it answer the invitation for the account.
    browser
        .post("/passkeys/enroll/never", &json!({}))
        .await
        .assert_error(Status::Forbidden, "factor_required");
    // The prompt page does not show itself to this session either.
    let page = browser.get(PROMPT).await;
    assert_eq!(page.status, Status::SeeOther);
    // The manage screen offers none of what it would refuse, and says why.
    let manage = browser.get("/passkeys/manage").await;
    assert_eq!(manage.status, Status::Ok);
    let html = manage.body.as_str().expect("an HTML screen");
    assert!(!html.contains("data-passkey-action=\"register\""), "{html}");
    assert!(html.contains("id=\"passkeys-factor-required\""), "{html}");
    assert_eq!(app.snapshot().await, before, "nothing written");

    // The code completes the sign-in: a new session token, then the invitation.
    let old = browser.cookies["passkeys_session"].clone();
    let (status, to) = browser.post_form("/otp?next=%2Fhome").await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, PROMPT));
    assert_ne!(browser.cookies["passkeys_session"], old, "a new token");
    let mut stale = app.browser();
    stale.cookies.insert("passkeys_session".into(), old);
    assert!(stale.me().await.is_none(), "the one-factor token ended");
    assert_eq!(browser.get("/mfa").await.status, Status::Ok);
    let manage = browser.get("/passkeys/manage").await;
    let html = manage.body.as_str().expect("an HTML screen");
    assert!(html.contains("data-passkey-action=\"register\""), "{html}");
    events.take();
    assert_eq!(browser.add_passkey().await.status, Status::Ok);
    let added = events
        .take()
        .into_iter()
        .filter(|e| matches!(e, Event::PasskeyAdded { user_id, .. } if user_id == "tess"))
        .count();
    assert_eq!(added, 1, "the app hears of every passkey added");

    // Next time the passkey goes straight through: both factors, no code.
    let mut later = app.browser();
    later.authenticator = browser.authenticator;
    let answer = later.sign_in(None).await;
    assert_eq!(answer.status, Status::Ok);
    assert_eq!(later.get("/mfa").await.status, Status::Ok);
    // And the password alone now cannot add another (the account has a passkey too).
    let mut thief = app.browser();
    password(&mut thief, "tess", true).await;
    thief
        .post("/passkeys/register/start", &json!({}))
        .await
        .assert_error(Status::Forbidden, "factor_required");
}

#[rocket::async_test]
async fn a_password_only_account_is_invited_after_its_password() {
    let app = TestApp::with(enrolling()).await;
    let mut browser = app.browser();
    let (status, to) = password(&mut browser, "paula", false).await;
    assert_eq!((status, to.as_str()), (Status::SeeOther, PROMPT));
    assert_eq!(browser.add_passkey().await.status, Status::Ok);
    // With a passkey on the account, a second one needs it (or two factors).
    let mut again = app.browser();
    password(&mut again, "paula", false).await;
    again
        .post("/passkeys/register/start", &json!({}))
        .await
        .assert_error(Status::Forbidden, "factor_required");
    let mut both = app.browser();
    both.post_form("/login?id=paula&name=paula&next=/&otp=true")
        .await;
    assert_eq!(
        both.post("/passkeys/register/start", &json!({}))
            .await
            .status,
        Status::Ok,
        "password and code"
    );
}

#[rocket::async_test]
async fn the_app_cannot_report_a_passkey_factor() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    password(&mut browser, "rita", false).await;
    let before = app.snapshot().await;
    let answer = browser.post("/passkey-factor", &json!({})).await;
    answer.assert_error(Status::BadRequest, "invalid_request");
    assert_eq!(app.snapshot().await, before);
    assert_eq!(browser.get("/mfa").await.status, Status::Forbidden);
}

#[rocket::async_test]
async fn passkeys_added_after_a_compromise_can_be_removed_with_their_sessions() {
    let events = Recorder::default();
    let app = TestApp::with_events(support::config(), events.clone()).await;
    // The owner's passkey.
    let mut owner = app.browser();
    password(&mut owner, "vera", false).await;
    assert_eq!(owner.add_passkey().await.status, Status::Ok);
    let compromised_at = app.clock.now() + 30;
    app.clock.advance(std::time::Duration::from_secs(60));
    // An attacker with the password and a code (say) adds one, and signs in with it.
    let mut attacker = app.browser();
    attacker
        .post_form("/login?id=vera&name=vera&next=/&otp=true")
        .await;
    assert_eq!(attacker.add_passkey().await.status, Status::Ok);
    let mut attacker_later = app.browser();
    attacker_later.authenticator = attacker.authenticator;
    assert_eq!(attacker_later.sign_in(None).await.status, Status::Ok);
    assert_eq!(app.snapshot().await.credentials, 2);

    // The owner resets the password; the app removes what was added since.
    events.take();
    let mut reset = app.browser();
    reset
        .post_form("/login?id=vera&name=vera&next=/&otp=true")
        .await;
    let answer = reset
        .post(
            &format!("/remove-passkeys?after={compromised_at}"),
            &json!({}),
        )
        .await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(answer.body["removed"], 1);
    assert_eq!(app.snapshot().await.credentials, 1);
    assert!(attacker_later.me().await.is_none(), "its session ended");
    assert!(
        events
            .take()
            .iter()
            .any(|e| matches!(e, Event::PasskeyRemoved { user_id, .. } if user_id == "vera")),
        "an event for each"
    );
    // The owner's passkey still signs in; the attacker's no longer does.
    let mut owner_later = app.browser();
    owner_later.authenticator = owner.authenticator;
    assert_eq!(owner_later.sign_in(None).await.status, Status::Ok);
    attacker_later
        .sign_in(None)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
}
