//! Progressive enrollment after a password sign-in, and the factors of a session, with a
//! clock the test moves (no sleeping).

use rocket_passkeys_testkit as support;

use std::time::Duration;

use rocket::http::Status;
use rocket_passkeys::{Config, EnrollmentStats, Passkeys};
use serde_json::json;
use support::{config, TestApp};

const DAY: Duration = Duration::from_secs(86_400);
const PROMPT: &str = "/passkeys/enroll?next=%2Fhome";

fn enrolling() -> Config {
    Config {
        progressive_enrollment: true,
        ..config()
    }
}

async fn stats(app: &TestApp) -> EnrollmentStats {
    app.client
        .rocket()
        .state::<Passkeys>()
        .expect("managed")
        .enrollment_stats()
        .await
        .expect("stats")
}

#[rocket::async_test]
async fn skip_reminds_after_fourteen_days() {
    let app = TestApp::with(enrolling()).await;
    let mut browser = app.browser();
    let (status, to) = browser.password_sign_in("u1", "/home").await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(to, PROMPT, "a user without a passkey is invited");
    assert!(browser.me().await.is_some(), "and is signed in");

    // The prompt page shows the three choices.
    let page = browser.get(PROMPT).await;
    let html = page.body.as_str().expect("html").to_string();
    for hook in ["register", "skip", "never"] {
        assert!(
            html.contains(&format!("data-passkey-action=\"{hook}\"")),
            "{hook}"
        );
    }

    let answer = browser
        .post("/passkeys/enroll/skip", &json!({ "next": "/home" }))
        .await;
    assert_eq!(answer.status, Status::Ok);
    assert_eq!(answer.body["redirect"], "/home");

    assert_eq!(
        browser.password_sign_in("u1", "/home").await.1,
        "/home",
        "just skipped"
    );
    app.clock.advance(DAY * 13);
    assert_eq!(
        browser.password_sign_in("u1", "/home").await.1,
        "/home",
        "13 days later"
    );
    app.clock.advance(DAY);
    assert_eq!(
        browser.password_sign_in("u1", "/home").await.1,
        PROMPT,
        "14 days later"
    );

    // Prompted counts each time a sign-in sent the user to the prompt (twice here),
    // not page views: opening the page changes nothing.
    browser.get(PROMPT).await;
    let stats = stats(&app).await;
    assert_eq!(
        (stats.prompted, stats.skipped, stats.never, stats.created),
        (2, 1, 0, 0)
    );
}

#[rocket::async_test]
async fn never_means_never() {
    let app = TestApp::with(enrolling()).await;
    let mut browser = app.browser();
    assert_eq!(browser.password_sign_in("u2", "/home").await.1, PROMPT);
    let answer = browser.post("/passkeys/enroll/never", &json!({})).await;
    assert_eq!(answer.status, Status::Ok);
    assert_eq!(answer.body["redirect"], "/");
    app.clock.advance(DAY * 400);
    assert_eq!(browser.password_sign_in("u2", "/home").await.1, "/home");
    assert_eq!(stats(&app).await.never, 1);
}

#[rocket::async_test]
async fn never_can_be_withheld_by_the_operator() {
    let app = TestApp::with(Config {
        allow_never_prompt: false,
        ..enrolling()
    })
    .await;
    let mut browser = app.browser();
    browser.password_sign_in("u3", "/home").await;
    let page = browser.get(PROMPT).await;
    assert!(!page
        .body
        .as_str()
        .unwrap_or("")
        .contains("data-passkey-action=\"never\""));
    browser
        .post("/passkeys/enroll/never", &json!({}))
        .await
        .assert_error(Status::Forbidden, "forbidden");
    assert_eq!(
        browser.password_sign_in("u3", "/home").await.1,
        PROMPT,
        "still due"
    );
}

#[rocket::async_test]
async fn creating_a_passkey_from_the_prompt_ends_the_invitations() {
    let app = TestApp::with(enrolling()).await;
    let mut browser = app.browser();
    browser.password_sign_in("u4", "/home").await;
    browser.get(PROMPT).await;
    let answer = browser.add_passkey().await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);

    assert_eq!(
        browser.password_sign_in("u4", "/home").await.1,
        "/home",
        "has a passkey"
    );
    let stats = stats(&app).await;
    assert_eq!((stats.prompted, stats.created), (1, 1));

    // And the passkey signs the same user in, without a prompt.
    browser.sign_out().await;
    let answer = browser.sign_in(None).await;
    assert_eq!(answer.status, Status::Ok);
    assert_eq!(answer.body["redirect"], "/");
    let me = browser.me().await.expect("signed in");
    assert_eq!(me["id"], "u4", "the app's user id");
}

#[rocket::async_test]
async fn nothing_is_prompted_when_the_feature_is_off() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    assert_eq!(browser.password_sign_in("u5", "/home").await.1, "/home");
    assert_eq!(stats(&app).await, EnrollmentStats::default());
}

#[rocket::async_test]
async fn next_must_be_a_local_path() {
    let app = TestApp::with(enrolling()).await;
    let mut browser = app.browser();
    for next in [
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "home",
    ] {
        let (status, to) = browser.password_sign_in("u6", next).await;
        assert_eq!(status, Status::BadRequest, "{next}");
        assert_eq!(to, "", "no redirect for {next}");
    }
    assert!(browser.me().await.is_none(), "no session was opened");
    let snapshot = app.snapshot().await;
    assert_eq!((snapshot.users, snapshot.sessions), (0, 0));

    // The prompt's own `next` is checked too.
    browser.password_sign_in("u6", "/home").await;
    browser
        .post(
            "/passkeys/enroll/skip",
            &json!({ "next": "https://evil.example/" }),
        )
        .await
        .assert_error(Status::BadRequest, "invalid_request");
}

#[rocket::async_test]
async fn the_prompt_routes_refuse_strangers_and_other_sites() {
    let app = TestApp::with(enrolling()).await;
    let mut stranger = app.browser();
    for route in ["/passkeys/enroll/skip", "/passkeys/enroll/never"] {
        stranger
            .post(route, &json!({}))
            .await
            .assert_error(Status::Unauthorized, "unauthorized");
    }
    let page = stranger.get(PROMPT).await;
    assert_eq!(
        page.status,
        Status::SeeOther,
        "the page sends strangers to sign in"
    );

    let mut user = app.browser();
    user.password_sign_in("u7", "/home").await;
    user.origin = "https://evil.example".into();
    for route in ["/passkeys/enroll/skip", "/passkeys/enroll/never"] {
        user.post(route, &json!({}))
            .await
            .assert_error(Status::Forbidden, "forbidden");
    }
    user.origin = support::ORIGIN.into();
    assert_eq!(
        user.password_sign_in("u7", "/home").await.1,
        PROMPT,
        "nothing was recorded"
    );
    assert_eq!(stats(&app).await.skipped + stats(&app).await.never, 0);
}

#[rocket::async_test]
async fn a_passkey_sign_in_is_never_prompted() {
    let app = TestApp::with(enrolling()).await;
    let mut browser = app.browser();
    let answer = browser.sign_up("passkey-user").await;
    assert_eq!(
        answer.body["redirect"], "/",
        "sign-up goes to next, not the prompt"
    );
    browser.sign_out().await;
    let answer = browser.sign_in(None).await;
    assert_eq!(answer.body["redirect"], "/");
    assert_eq!(stats(&app).await.prompted, 0);
}

#[rocket::async_test]
async fn the_multi_factor_guard_matrix() {
    let app = TestApp::new().await;

    // Nobody signed in: 401.
    let mut nobody = app.browser();
    assert_eq!(nobody.get("/mfa").await.status, Status::Unauthorized);

    // A password alone is one factor: 403.
    let mut password = app.browser();
    password.password_sign_in("p1", "/").await;
    assert_eq!(password.get("/mfa").await.status, Status::Forbidden);
    // Adding a one-time code makes two (and answers where to go next).
    assert_eq!(password.post_form("/otp").await.0, Status::SeeOther);
    assert_eq!(password.get("/mfa").await.status, Status::Ok);

    // A password and a code reported together.
    let mut both = app.browser();
    let (status, _) = both.post_form("/login?id=p2&name=p2&next=/&otp=true").await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(both.get("/mfa").await.status, Status::Ok);

    // A passkey with user verification is both factors.
    let mut passkey = app.browser();
    passkey.sign_up("p3").await;
    assert_eq!(passkey.get("/mfa").await.status, Status::Ok);
    let me = passkey.me().await.expect("signed in");
    assert_eq!(me["user_verified"], true);
    assert_eq!(me["factors"], "[Passkey]");

    // A factor cannot be added without a session.
    assert_eq!(nobody.post_form("/otp").await.0, Status::Unauthorized);
}

#[rocket::async_test]
async fn an_app_user_without_a_display_name_can_still_enroll() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    // The app hands over a user whose display name is blank.
    let (status, _) = browser
        .post_form("/login?id=blank&name=blank&next=/home&otp=false&display=%20%20")
        .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(
        browser.me().await.expect("signed in")["display_name"],
        "blank"
    );
    assert_eq!(browser.add_passkey().await.status, Status::Ok);
}
