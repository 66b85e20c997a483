//! The core flows through the real routes, with a software authenticator as the browser,
//! and the bad inputs a browser or an attacker can send, each with its answer.

use rocket_passkeys_testkit as support;

use rocket::http::{ContentType, Status};
use serde_json::{json, Value};
use support::softkey::{SoftKey, Tamper, UP};
use support::{config, soft_account, soft_sign_in, soft_sign_up, Answer, TestApp};

fn redirect(answer: &Answer) -> &str {
    answer.body["redirect"].as_str().unwrap_or("")
}

#[rocket::async_test]
async fn sign_up_then_sign_in_both_ways_then_sign_out() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    assert!(browser.me().await.is_none(), "nobody is signed in yet");

    let answer = browser.sign_up("alice").await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(redirect(&answer), "/");
    assert!(answer.sets_session());
    let me = browser.me().await.expect("signed in after sign-up");
    assert_eq!(me["username"], "alice");
    assert_eq!(me["display_name"], "alice display");
    assert_eq!(me["user_verified"], true);

    let snapshot = app.snapshot().await;
    assert_eq!(
        (snapshot.users, snapshot.credentials, snapshot.sessions),
        (1, 1, 1)
    );

    assert_eq!(browser.sign_out().await.status, Status::Ok);
    assert!(browser.me().await.is_none(), "signed out");
    assert_eq!(
        app.snapshot().await.sessions,
        0,
        "the session ended server-side"
    );

    // Usernameless (discoverable) sign-in.
    let answer = browser.sign_in(None).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert!(answer.sets_session());
    assert_eq!(browser.me().await.expect("signed in")["username"], "alice");
    browser.sign_out().await;

    // Username-first sign-in, with another casing of the name.
    let answer = browser.sign_in(Some("ALICE")).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(browser.me().await.expect("signed in")["username"], "alice");

    let after = app.snapshot().await;
    assert!(after.credential_rows[0].3.is_some(), "last use recorded");
}

#[rocket::async_test]
async fn the_session_cookie_is_flagged_and_rotated() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let answer = browser.sign_up("bob").await;
    let cookie = answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with("passkeys_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http on localhost: {cookie}"
    );

    // A sign-in while signed in replaces the session: the old token is dead.
    let old = browser.cookies.clone();
    browser.sign_in(None).await;
    assert_ne!(
        old.get("passkeys_session"),
        browser.cookies.get("passkeys_session")
    );
    assert_eq!(
        app.snapshot().await.sessions,
        1,
        "the replaced session was ended"
    );
    let mut replayed = app.browser();
    replayed.cookies = old;
    assert!(
        replayed.me().await.is_none(),
        "the old token no longer signs in"
    );
}

#[rocket::async_test]
async fn https_origins_get_secure_host_cookies() {
    let app = TestApp::with(rocket_passkeys::Config {
        rp_id: "localhost".into(),
        origins: vec!["https://localhost:8443".into()],
        ..config()
    })
    .await;
    let mut browser = app.browser();
    browser.origin = "https://localhost:8443".into();
    let answer = browser.sign_up("carol").await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    let cookie = answer
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-passkeys_session="))
        .expect("a __Host- session cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[rocket::async_test]
async fn a_signed_in_user_adds_a_second_passkey_and_uses_it() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.sign_up("dana").await;

    // excludeCredentials names the first passkey.
    let start = browser.post("/passkeys/register/start", &json!({})).await;
    assert_eq!(start.status, Status::Ok);
    let excluded = start.body["publicKey"]["excludeCredentials"]
        .as_array()
        .expect("excludeCredentials")
        .len();
    assert_eq!(excluded, 1);
    assert_eq!(
        start.body["publicKey"]["authenticatorSelection"]["residentKey"],
        "required"
    );

    // A second device (another authenticator) registers for the same account.
    let first_device = std::mem::replace(&mut browser.authenticator, support::authenticator());
    let credential = browser.create(&start.body).await;
    let answer = browser.post("/passkeys/register/finish", &credential).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert!(!answer.sets_session(), "adding a passkey keeps the session");

    let list = browser.get("/passkeys/credentials").await;
    assert_eq!(list.status, Status::Ok);
    let list = list.body["credentials"].as_array().expect("a list").clone();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["provider"], "Google Password Manager");
    assert_eq!(list[0]["name"], "Google Password Manager");

    browser.sign_out().await;
    assert_eq!(
        browser.sign_in(None).await.status,
        Status::Ok,
        "second device"
    );
    browser.sign_out().await;
    browser.authenticator = first_device;
    assert_eq!(
        browser.sign_in(None).await.status,
        Status::Ok,
        "first device"
    );
}

#[rocket::async_test]
async fn credentials_need_a_session() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser
        .get("/passkeys/credentials")
        .await
        .assert_error(Status::Unauthorized, "unauthorized");
}

#[rocket::async_test]
async fn sign_up_refuses_a_taken_username_before_the_passkey_is_made() {
    let app = TestApp::new().await;
    app.browser().sign_up("erin").await;
    let before = app.snapshot().await;
    let mut other = app.browser();
    let start = other
        .post("/passkeys/register/start", &json!({ "username": "Erin" }))
        .await;
    start.assert_error(Status::Conflict, "username_taken");
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn bad_sign_up_names_are_refused() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    for body in [
        json!({}),
        json!({ "username": "   " }),
        json!({ "username": "x".repeat(65) }),
        json!({ "username": "a\u{0}b" }),
        json!({ "username": "ok", "display_name": "line\nbreak" }),
        json!({ "username": "ok", "next": "https://evil.example/" }),
        json!({ "username": "ok", "next": "//evil.example/" }),
        json!({ "username": "ok", "unexpected": true }),
        json!({ "username": 42 }),
    ] {
        let answer = browser.post("/passkeys/register/start", &body).await;
        answer.assert_error(Status::BadRequest, "invalid_request");
    }
    assert!(browser.cookies.is_empty(), "no ceremony cookie was set");
}

#[rocket::async_test]
async fn sign_up_can_be_closed() {
    let app = TestApp::with(rocket_passkeys::Config {
        sign_up: false,
        ..config()
    })
    .await;
    let mut browser = app.browser();
    let answer = browser
        .post("/passkeys/register/start", &json!({ "username": "frank" }))
        .await;
    answer.assert_error(Status::Forbidden, "forbidden");
}

#[rocket::async_test]
async fn next_is_followed_when_local() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let start = browser
        .post(
            "/passkeys/register/start",
            &json!({ "username": "gina", "next": "/welcome?tour=1" }),
        )
        .await;
    let credential = browser.create(&start.body).await;
    let answer = browser.post("/passkeys/register/finish", &credential).await;
    assert_eq!(redirect(&answer), "/welcome?tour=1");
}

// ---- Ceremony state -------------------------------------------------------------------

#[rocket::async_test]
async fn a_replayed_finish_is_refused() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": "hank" }))
        .await;
    let credential = browser.create(&start.body).await;
    let cookies = browser.cookies.clone();
    assert_eq!(
        browser
            .post("/passkeys/register/finish", &credential)
            .await
            .status,
        Status::Ok
    );
    let after_first = app.snapshot().await;

    // The same response again, even with the ceremony cookie put back.
    let mut replay = app.browser();
    replay.cookies = cookies;
    replay
        .post("/passkeys/register/finish", &credential)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await, after_first, "nothing written");

    // And a sign-in replayed.
    browser.sign_out().await;
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = browser.get_assertion(&start.body).await;
    let cookies = browser.cookies.clone();
    assert_eq!(
        browser
            .post("/passkeys/authenticate/finish", &assertion)
            .await
            .status,
        Status::Ok
    );
    let after_sign_in = app.snapshot().await;
    let mut replay = app.browser();
    replay.cookies = cookies;
    replay.cookies.remove("passkeys_session");
    replay
        .post("/passkeys/authenticate/finish", &assertion)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await, after_sign_in, "no second session");
}

#[rocket::async_test]
async fn a_finish_without_a_start_is_refused() {
    let app = TestApp::new().await;
    let mut owner = app.browser();
    owner.sign_up("ivy").await;
    let before = app.snapshot().await;
    let mut browser = app.browser();
    let mut key = SoftKey::random();
    let fake = json!({ "publicKey": { "challenge": "AAAA" } });
    browser
        .post(
            "/passkeys/register/finish",
            &key.register(&fake, &Tamper::default()),
        )
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    browser
        .post(
            "/passkeys/authenticate/finish",
            &key.assert(&fake, &Tamper::default()),
        )
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn a_ceremony_cannot_be_finished_by_another_browser() {
    let app = TestApp::new().await;
    let mut alice = app.browser();
    let start = alice
        .post("/passkeys/register/start", &json!({ "username": "jack" }))
        .await;
    let credential = alice.create(&start.body).await;
    let mut mallory = app.browser();
    mallory
        .post("/passkeys/register/finish", &credential)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await.credentials, 0);
    // The browser that started it still can.
    let answer = alice.post("/passkeys/register/finish", &credential).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
}

#[rocket::async_test]
async fn a_registration_ceremony_cannot_finish_a_sign_in() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.sign_up("kate").await;
    browser.sign_out().await;
    let before = app.snapshot().await;
    // Start a registration, then try to use its cookie for a sign-in.
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": "kate2" }))
        .await;
    let registration = browser
        .cookies
        .get("passkeys_registration")
        .cloned()
        .expect("cookie");
    browser
        .cookies
        .insert("passkeys_sign_in".into(), registration);
    let mut key = SoftKey::random();
    let assertion = key.assert(&start.body, &Tamper::default());
    browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn an_expired_ceremony_is_refused() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": "liam" }))
        .await;
    let credential = browser.create(&start.body).await;
    app.clock.advance(std::time::Duration::from_secs(301));
    browser
        .post("/passkeys/register/finish", &credential)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await.users, 0);
}

#[rocket::async_test]
async fn concurrent_finishes_of_one_ceremony_succeed_once() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": "mia" }))
        .await;
    let credential = browser.create(&start.body).await;
    let cookies = browser.cookies.clone();
    let mut browsers: Vec<_> = (0..20)
        .map(|_| {
            let mut b = app.browser();
            b.cookies = cookies.clone();
            b
        })
        .collect();
    let answers = support::join_all(
        browsers
            .iter_mut()
            .map(|b| b.post("/passkeys/register/finish", &credential)),
    )
    .await;
    let ok = answers.iter().filter(|a| a.status == Status::Ok).count();
    assert_eq!(ok, 1, "exactly one finish wins");
    for a in answers.iter().filter(|a| a.status != Status::Ok) {
        a.assert_error(Status::BadRequest, "ceremony_not_found");
    }
    let snapshot = app.snapshot().await;
    assert_eq!(
        (snapshot.users, snapshot.credentials, snapshot.sessions),
        (1, 1, 1)
    );
}

// ---- What the authenticator says ------------------------------------------------------

#[rocket::async_test]
async fn the_hand_built_authenticator_is_accepted_when_honest() {
    let app = TestApp::new().await;
    let answer = soft_sign_up(&app, "nora", &Tamper::default()).await.0;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
}

#[rocket::async_test]
async fn registrations_from_a_wrong_origin_or_without_verification_are_refused() {
    let app = TestApp::new().await;
    let cases = [
        (
            "wrong origin",
            Tamper {
                origin: Some("http://localhost:9999".into()),
                ..Tamper::default()
            },
            "registration_failed",
        ),
        (
            "lookalike origin",
            Tamper {
                origin: Some("http://evil-localhost:8000".into()),
                ..Tamper::default()
            },
            "registration_failed",
        ),
        (
            "user not verified",
            Tamper {
                flags: Some(UP | support::softkey::AT),
                ..Tamper::default()
            },
            "registration_failed",
        ),
        (
            "wrong rp id",
            Tamper {
                rp_id: Some("example.com".into()),
                ..Tamper::default()
            },
            "registration_failed",
        ),
        (
            "wrong type",
            Tamper {
                client_type: Some("webauthn.get".into()),
                ..Tamper::default()
            },
            "registration_failed",
        ),
        (
            "foreign topOrigin",
            Tamper {
                top_origin: Some("https://attacker.example".into()),
                ..Tamper::default()
            },
            "registration_failed",
        ),
        (
            "crossOrigin",
            Tamper {
                cross_origin: Some(true),
                ..Tamper::default()
            },
            "registration_failed",
        ),
        (
            "another challenge",
            Tamper {
                challenge: Some("AAAAAAAAAAAAAAAAAAAAAA".into()),
                ..Tamper::default()
            },
            "registration_failed",
        ),
        (
            "id is not rawId",
            Tamper {
                id: Some("AAAA".into()),
                ..Tamper::default()
            },
            "invalid_request",
        ),
        (
            "type is not public-key",
            Tamper {
                credential_type: Some("password".into()),
                ..Tamper::default()
            },
            "invalid_request",
        ),
    ];
    for (case, tamper, code) in cases {
        let answer = soft_sign_up(&app, "nora", &tamper).await.0;
        assert_eq!(answer.code(), code, "{case}: {:?}", answer.body);
        answer.assert_error(Status::BadRequest, code);
        let snapshot = app.snapshot().await;
        assert_eq!(
            (snapshot.users, snapshot.credentials, snapshot.sessions),
            (0, 0, 0),
            "{case}"
        );
    }
}

#[rocket::async_test]
async fn a_credential_id_of_another_account_is_refused_and_its_owner_still_signs_in() {
    let app = TestApp::new().await;
    let mut victim = app.browser();
    let start = victim
        .post("/passkeys/register/start", &json!({ "username": "victim" }))
        .await;
    let mut victim_key = SoftKey::random();
    let credential = victim_key.register(&start.body, &Tamper::default());
    assert_eq!(
        victim
            .post("/passkeys/register/finish", &credential)
            .await
            .status,
        Status::Ok
    );
    let before = app.snapshot().await;

    // The attacker registers the victim's credential id under their own new account.
    let mut attacker = app.browser();
    let start = attacker
        .post(
            "/passkeys/register/start",
            &json!({ "username": "attacker" }),
        )
        .await;
    let mut copy = SoftKey::new(victim_key.credential_id.clone());
    let credential = copy.register(&start.body, &Tamper::default());
    attacker
        .post("/passkeys/register/finish", &credential)
        .await
        .assert_error(Status::Conflict, "credential_exists");
    assert_eq!(
        app.snapshot().await,
        before,
        "no account, passkey or session for the attacker"
    );

    // The victim still signs in with it.
    victim.sign_out().await;
    let start = victim
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = victim_key.assert(&start.body, &Tamper::default());
    let answer = victim
        .post("/passkeys/authenticate/finish", &assertion)
        .await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(victim.me().await.expect("signed in")["username"], "victim");
}

#[rocket::async_test]
async fn bad_sign_ins_are_refused_with_one_code_and_change_nothing() {
    let app = TestApp::new().await;
    let mut victim = soft_account(&app, "victim").await;
    let mut attacker = soft_account(&app, "attacker").await;
    let before = app.snapshot().await;

    let victim_handle = victim.user_handle.clone();
    let cases: Vec<(&str, bool, Option<&str>, Tamper)> = vec![
        (
            "wrong origin",
            false,
            None,
            Tamper {
                origin: Some("http://localhost:9999".into()),
                ..Tamper::default()
            },
        ),
        (
            "user not verified",
            false,
            None,
            Tamper {
                flags: Some(UP),
                ..Tamper::default()
            },
        ),
        (
            "bad signature",
            false,
            None,
            Tamper {
                bad_signature: true,
                ..Tamper::default()
            },
        ),
        (
            "wrong rp id",
            false,
            None,
            Tamper {
                rp_id: Some("example.com".into()),
                ..Tamper::default()
            },
        ),
        (
            "another challenge",
            false,
            None,
            Tamper {
                challenge: Some("AAAAAAAAAAAAAAAAAAAAAA".into()),
                ..Tamper::default()
            },
        ),
        (
            "foreign topOrigin",
            false,
            None,
            Tamper {
                top_origin: Some("https://attacker.example".into()),
                ..Tamper::default()
            },
        ),
        (
            "victim's user handle with the attacker's passkey",
            true,
            None,
            Tamper {
                user_handle: Some(Some(victim_handle.clone())),
                ..Tamper::default()
            },
        ),
        (
            "victim's user handle, username-first",
            true,
            Some("attacker"),
            Tamper {
                user_handle: Some(Some(victim_handle.clone())),
                ..Tamper::default()
            },
        ),
        (
            "attacker's passkey for the victim's username",
            true,
            Some("victim"),
            Tamper::default(),
        ),
        (
            "no user handle, usernameless",
            false,
            None,
            Tamper {
                user_handle: Some(None),
                ..Tamper::default()
            },
        ),
    ];
    for (case, as_attacker, username, tamper) in cases {
        let key = if as_attacker {
            &mut attacker
        } else {
            &mut victim
        };
        let answer = soft_sign_in(&app, key, username, &tamper).await;
        answer.assert_error(Status::Unauthorized, "authentication_failed");
        assert_eq!(app.snapshot().await, before, "{case}: nothing written");
    }

    // A passkey this site never saw.
    let mut stranger = SoftKey::random();
    stranger.user_handle = victim_handle;
    let answer = soft_sign_in(&app, &mut stranger, None, &Tamper::default()).await;
    answer.assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(
        answer.body["unknown_credential"], true,
        "the browser may tell the provider"
    );
    assert_eq!(app.snapshot().await, before);

    // The honest ones still work.
    let answer = soft_sign_in(&app, &mut victim, None, &Tamper::default()).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
}

#[rocket::async_test]
async fn unknown_usernames_get_options_of_the_same_shape() {
    let app = TestApp::new().await;
    soft_account(&app, "olga").await;
    let mut browser = app.browser();
    let real = browser
        .post(
            "/passkeys/authenticate/start",
            &json!({ "username": "olga" }),
        )
        .await;
    let fake = browser
        .post(
            "/passkeys/authenticate/start",
            &json!({ "username": "nobody" }),
        )
        .await;
    let again = browser
        .post(
            "/passkeys/authenticate/start",
            &json!({ "username": "nobody" }),
        )
        .await;
    assert_eq!(real.status, Status::Ok);
    assert_eq!(fake.status, Status::Ok);
    fn shape(v: &Value) -> Vec<String> {
        let mut keys: Vec<String> = v["publicKey"]
            .as_object()
            .expect("publicKey")
            .keys()
            .cloned()
            .collect();
        keys.extend(v.as_object().expect("object").keys().cloned());
        keys.sort();
        keys
    }
    assert_eq!(shape(&real.body), shape(&fake.body));
    let ids = |v: &Value| {
        v["publicKey"]["allowCredentials"]
            .as_array()
            .map(|a| a.len())
    };
    assert!(
        matches!(ids(&fake.body), Some(1..=2)),
        "one or two decoy ids"
    );
    assert_eq!(ids(&real.body), Some(1));
    assert_eq!(
        fake.body["publicKey"]["allowCredentials"], again.body["publicKey"]["allowCredentials"],
        "stable across requests"
    );
    assert!(
        real.body.get("mediation").is_none(),
        "username-first is not autofill"
    );
}

// ---- Transport ------------------------------------------------------------------------

#[rocket::async_test]
async fn malformed_wrong_type_and_oversized_bodies_get_json_errors() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    for route in [
        "/passkeys/register/start",
        "/passkeys/register/finish",
        "/passkeys/authenticate/start",
        "/passkeys/authenticate/finish",
    ] {
        browser
            .post_raw(route, ContentType::JSON, "{\"id\":".into())
            .await
            .assert_error(Status::BadRequest, "invalid_request");
        browser
            .post_raw(route, ContentType::Form, "username=x".into())
            .await
            .assert_error(Status::UnsupportedMediaType, "unsupported_media_type");
        browser
            .post_raw(route, ContentType::Plain, "{}".into())
            .await
            .assert_error(Status::UnsupportedMediaType, "unsupported_media_type");
        let big = format!("{{\"username\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
        browser
            .post_raw(route, ContentType::JSON, big)
            .await
            .assert_error(Status::PayloadTooLarge, "payload_too_large");
    }
    assert!(browser.cookies.is_empty(), "no ceremony cookie was set");
    assert_eq!(app.finished_ceremonies().await, 0);
    let snapshot = app.snapshot().await;
    assert_eq!(
        (snapshot.users, snapshot.credentials, snapshot.sessions),
        (0, 0, 0)
    );
}

#[rocket::async_test]
async fn a_finish_with_missing_fields_ends_the_browsers_ceremony_and_writes_nothing() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": "pia" }))
        .await;
    let credential = browser.create(&start.body).await;
    let mut broken = credential.clone();
    broken["response"]
        .as_object_mut()
        .expect("response")
        .remove("attestationObject");
    let failed = browser.post("/passkeys/register/finish", &broken).await;
    failed.assert_error(Status::BadRequest, "invalid_request");
    assert!(
        failed
            .set_cookies
            .iter()
            .any(|c| c.starts_with("passkeys_registration=;")),
        "the browser's ceremony is removed: {:?}",
        failed.set_cookies
    );
    assert!(!browser.holds("passkeys_registration"));
    browser
        .post("/passkeys/register/finish", &credential)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await.users, 0);
    // A failed finish is not recorded: only a verified one is (it answers once).
    assert_eq!(app.finished_ceremonies().await, 0);
}

#[rocket::async_test]
async fn unknown_routes_under_the_mount_answer_json() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser
        .get("/passkeys/nothing-here")
        .await
        .assert_error(Status::NotFound, "not_found");
    browser
        .get("/passkeys/register/start")
        .await
        .assert_error(Status::NotFound, "not_found");
}

#[rocket::async_test]
async fn cross_site_requests_are_forbidden() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.sign_up("quinn").await;
    let before = app.snapshot().await;
    browser.origin = "https://evil.example".into();
    for route in [
        "/passkeys/register/start",
        "/passkeys/authenticate/start",
        "/passkeys/sign-out",
    ] {
        browser
            .post(route, &json!({}))
            .await
            .assert_error(Status::Forbidden, "forbidden");
    }
    assert_eq!(
        app.snapshot().await,
        before,
        "still signed in, nothing started"
    );
    browser.origin = support::ORIGIN.into();
    assert!(browser.me().await.is_some());
}

#[rocket::async_test]
async fn ceremonies_are_rate_limited_with_retry_after() {
    let app = TestApp::with(rocket_passkeys::Config {
        rate_limit: rocket_passkeys::RateLimit {
            per_minute: 1,
            burst: 3,
            ..Default::default()
        },
        ..config()
    })
    .await;
    let mut browser = app.browser();
    for _ in 0..3 {
        let answer = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        assert_eq!(answer.status, Status::Ok);
    }
    let limited = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    limited.assert_error(Status::TooManyRequests, "rate_limited");
    let wait: u64 = limited
        .retry_after
        .as_deref()
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=61).contains(&wait), "{wait}");
    assert!(
        limited.set_cookies.is_empty(),
        "the refused start handed out nothing"
    );
    // Registration has its own budget.
    let answer = browser
        .post("/passkeys/register/start", &json!({ "username": "rita" }))
        .await;
    assert_eq!(answer.status, Status::Ok);
}

/// The credential ids a username-first start offers for `username`.
async fn offered(browser: &mut support::Browser<'_>, username: &str) -> Vec<String> {
    let start = browser
        .post(
            "/passkeys/authenticate/start",
            &json!({ "username": username }),
        )
        .await;
    assert_eq!(start.status, Status::Ok);
    start.body["publicKey"]["allowCredentials"]
        .as_array()
        .expect("allowCredentials")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_string())
        .collect()
}

#[rocket::async_test]
async fn every_change_shows_at_once_despite_the_cache() {
    // The SQLite store keeps accounts and passkeys in memory for the sign-in path; each
    // change must show on the very next request, never a stale copy.
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let (status, _) = browser
        .post_form("/login?id=u-77&name=alpha&next=/&otp=false")
        .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(browser.add_passkey().await.status, Status::Ok);
    let first = browser.credential_ids();
    // Read, and so cached: the account by name and its passkeys.
    assert_eq!(offered(&mut browser, "alpha").await, first);
    assert_eq!(browser.sign_in(Some("alpha")).await.status, Status::Ok);

    // A second passkey on another device is offered at once.
    let first_device = std::mem::replace(&mut browser.authenticator, support::authenticator());
    assert_eq!(browser.add_passkey().await.status, Status::Ok);
    let second = browser.credential_ids();
    assert_eq!(offered(&mut browser, "alpha").await.len(), 2);
    assert_eq!(browser.sign_in(Some("alpha")).await.status, Status::Ok);

    // A rename shows in the list at once.
    let renamed = browser
        .patch(
            &format!("/passkeys/credentials/{}", second[0]),
            &json!({ "name": "Work laptop" }),
        )
        .await;
    assert_eq!(renamed.status, Status::Ok, "{:?}", renamed.body);
    let list = browser.get("/passkeys/credentials").await;
    let names: Vec<&str> = list.body["credentials"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| c["name"].as_str().expect("a name"))
        .collect();
    assert!(names.contains(&"Work laptop"), "{names:?}");

    // The app renames the user (a sign-in with a password and a code): the new name
    // finds the account, the old one does not.
    let (status, _) = browser
        .post_form("/login?id=u-77&name=beta&next=/&otp=true")
        .await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(offered(&mut browser, "beta").await.len(), 2);
    let old_name = offered(&mut browser, "alpha").await;
    assert!(old_name
        .iter()
        .all(|id| !first.contains(id) && !second.contains(id)));

    // A deleted passkey is offered no more and signs in no more.
    let deleted = browser
        .delete(&format!("/passkeys/credentials/{}", first[0]))
        .await;
    assert_eq!(deleted.status, Status::Ok, "{:?}", deleted.body);
    assert_eq!(offered(&mut browser, "beta").await, second);
    browser.sign_out().await;
    browser.authenticator = first_device;
    browser
        .sign_in(None)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
}
