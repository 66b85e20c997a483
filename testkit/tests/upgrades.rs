//! Automatic passkey upgrades (`auto_upgrade`): the landing page's mark, and conditional
//! registrations, which alone may lack user presence and verification, and only when the
//! server started them as conditional; every other check and tampering still refused,
//! with nothing written. Runs on SQLite, and on PostgreSQL with the `postgres` feature.

use rocket_passkeys_testkit as support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::Value as Cbor;
use rocket::http::Status;
use rocket_passkeys::{Config, Passkeys};
use serde_json::{json, Value};
use support::softkey::{SoftKey, Tamper, AT, UP, UV};
use support::{config, Browser, TestApp};

fn upgrading() -> Config {
    Config {
        progressive_enrollment: true,
        auto_upgrade: true,
        ..config()
    }
}

/// A password sign-in (an account with a password only); answers where it went and
/// whether the upgrade mark was set.
async fn password_sign_in(browser: &mut Browser<'_>) -> (String, bool) {
    let path = "/login?id=u1&name=ada&next=%2Fhome&otp=false";
    let request = browser
        .client
        .post(path)
        .header(rocket::http::Header::new("Origin", browser.origin.clone()));
    let response = request.dispatch().await;
    let to = response
        .headers()
        .get_one("Location")
        .unwrap_or_default()
        .to_string();
    let marked = response
        .headers()
        .get("Set-Cookie")
        .any(|c| c.starts_with("passkeys_upgrade=1"));
    let answer = browser.read_answer(response).await;
    assert_eq!(answer.status, Status::SeeOther);
    (to, marked)
}

async fn start(browser: &mut Browser<'_>, body: Value) -> support::Answer {
    browser.post("/passkeys/register/start", &body).await
}

/// Rewrites the attestation object of a registration response.
fn rewrite(body: &mut Value, change: impl FnOnce(&mut Vec<(Cbor, Cbor)>)) {
    let raw = URL_SAFE_NO_PAD
        .decode(
            body["response"]["attestationObject"]
                .as_str()
                .expect("an object"),
        )
        .expect("base64url");
    let Cbor::Map(mut entries) = ciborium::from_reader(&raw[..]).expect("cbor") else {
        panic!("not a map");
    };
    change(&mut entries);
    let mut out = Vec::new();
    ciborium::into_writer(&Cbor::Map(entries), &mut out).expect("cbor");
    body["response"]["attestationObject"] = Value::from(URL_SAFE_NO_PAD.encode(out));
}

fn set(entries: &mut [(Cbor, Cbor)], key: &str, value: Cbor) {
    for (k, v) in entries.iter_mut() {
        if matches!(k, Cbor::Text(t) if t == key) {
            *v = value;
            return;
        }
    }
    panic!("no {key}");
}

async fn credentials(browser: &mut Browser<'_>) -> Vec<Value> {
    let list = browser.get("/passkeys/credentials").await;
    assert_eq!(list.status, Status::Ok, "{:?}", list.body);
    list.body["credentials"].as_array().expect("a list").clone()
}

#[rocket::async_test]
async fn a_conditional_registration_without_presence_is_stored_unverified_until_its_first_sign_in()
{
    let app = TestApp::with(upgrading()).await;
    let mut browser = app.browser();
    let (to, marked) = password_sign_in(&mut browser).await;
    assert_eq!(
        (to.as_str(), marked),
        ("/home", true),
        "the landing page is marked"
    );

    let options = start(&mut browser, json!({ "mediation": "conditional" })).await;
    assert_eq!(options.status, Status::Ok, "{:?}", options.body);
    let selection = &options.body["publicKey"]["authenticatorSelection"];
    assert_eq!(selection["userVerification"], "preferred", "{selection}");
    let extensions = &options.body["publicKey"]["extensions"];
    assert!(
        extensions.get("credentialProtectionPolicy").is_none(),
        "no credential protection a silent create cannot meet: {extensions}"
    );
    let mut key = SoftKey::random();
    let tamper = Tamper {
        flags: Some(AT),
        ..Tamper::default()
    };
    let body = key.register(&options.body, &tamper);
    let done = browser.post("/passkeys/register/finish", &body).await;
    assert_eq!(done.status, Status::Ok, "{:?}", done.body);
    let list = credentials(&mut browser).await;
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0]["user_verified"], false,
        "not yet verified: {:?}",
        list[0]
    );
    let passkeys = app.client.rocket().state::<Passkeys>().expect("fairing");
    let stats = passkeys.enrollment_stats().await.expect("stats");
    assert_eq!(
        (stats.prompted, stats.created),
        (1, 1),
        "the funnel counts it"
    );

    // A sign-in with it still needs verification.
    let mut other = app.browser();
    let options = other.post("/passkeys/authenticate/start", &json!({})).await;
    let unverified = Tamper {
        flags: Some(UP),
        ..Tamper::default()
    };
    let body = key.assert(&options.body, &unverified);
    let before = app.snapshot().await;
    other
        .post("/passkeys/authenticate/finish", &body)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(app.snapshot().await, before);
    // With it, the sign-in works and the passkey counts as verified from then on.
    let options = other.post("/passkeys/authenticate/start", &json!({})).await;
    let body = key.assert(&options.body, &Tamper::default());
    let signed_in = other.post("/passkeys/authenticate/finish", &body).await;
    assert_eq!(signed_in.status, Status::Ok, "{:?}", signed_in.body);
    assert_eq!(credentials(&mut other).await[0]["user_verified"], true);
}

#[rocket::async_test]
async fn a_conditional_registration_is_unverified_whatever_its_unsigned_flags_claim() {
    let app = TestApp::with(upgrading()).await;
    let mut browser = app.browser();
    password_sign_in(&mut browser).await;
    let options = start(&mut browser, json!({ "mediation": "conditional" })).await;
    let body = SoftKey::random().register(&options.body, &Tamper::default());
    let done = browser.post("/passkeys/register/finish", &body).await;
    assert_eq!(done.status, Status::Ok, "{:?}", done.body);
    let list = credentials(&mut browser).await;
    assert_eq!(
        list[0]["user_verified"], false,
        "UP and UV claimed, unsigned: {list:?}"
    );
}

#[rocket::async_test]
async fn only_a_session_with_an_upgrade_due_may_start_a_conditional_registration() {
    let app = TestApp::with(upgrading()).await;
    let mut browser = app.browser();
    password_sign_in(&mut browser).await;
    let before = app.snapshot().await;
    // After "Don't ask again": no upgrade due.
    let never = browser.post("/passkeys/enroll/never", &json!({})).await;
    assert_eq!(never.status, Status::Ok, "{:?}", never.body);
    start(&mut browser, json!({ "mediation": "conditional" }))
        .await
        .assert_error(Status::Forbidden, "forbidden");
    // A passkey session, of an account with a passkey: none either.
    let app = TestApp::with(upgrading()).await;
    let mut ada = app.browser();
    assert_eq!(ada.sign_up("ada").await.status, Status::Ok);
    start(&mut ada, json!({ "mediation": "conditional" }))
        .await
        .assert_error(Status::Forbidden, "forbidden");
    let _ = before;
}

#[rocket::async_test]
async fn a_registration_finishes_only_while_the_sign_in_is_recent() {
    // A sign-in counts as recent for a minute; a started ceremony lives five.
    let app = TestApp::with(Config {
        reauth_max_age: rocket_passkeys::Interval::from_secs(60),
        ..upgrading()
    })
    .await;
    let mut browser = app.browser();
    password_sign_in(&mut browser).await;
    for body in [json!({}), json!({ "mediation": "conditional" })] {
        let options = start(&mut browser, body.clone()).await;
        assert_eq!(options.status, Status::Ok, "{body}: {:?}", options.body);
        // The sign-in turns two minutes old before the finish: the ceremony is alive,
        // the sign-in no longer recent.
        app.clock.advance(std::time::Duration::from_secs(120));
        let before = app.snapshot().await;
        let credential = SoftKey::random().register(&options.body, &Tamper::default());
        browser
            .post("/passkeys/register/finish", &credential)
            .await
            .assert_error(Status::Forbidden, "reauth_required");
        assert_eq!(app.snapshot().await, before, "{body}: nothing written");
        // Signed in again, for the next round.
        password_sign_in(&mut browser).await;
    }
}

#[rocket::async_test]
async fn without_a_conditional_start_presence_and_verification_are_required() {
    let app = TestApp::with(upgrading()).await;
    let mut browser = app.browser();
    password_sign_in(&mut browser).await;
    let before = app.snapshot().await;
    for (flags, what) in [
        (AT, "neither"),
        (AT | UV, "no presence"),
        (AT | UP, "no verification"),
    ] {
        let options = start(&mut browser, json!({})).await;
        assert_eq!(options.status, Status::Ok, "{:?}", options.body);
        let extensions = &options.body["publicKey"]["extensions"];
        assert!(
            extensions.get("credentialProtectionPolicy").is_some(),
            "a plain registration keeps webauthn-rs's credential protection: {extensions}"
        );
        let tamper = Tamper {
            flags: Some(flags),
            ..Tamper::default()
        };
        let body = SoftKey::random().register(&options.body, &tamper);
        let answer = browser.post("/passkeys/register/finish", &body).await;
        answer.assert_error(Status::BadRequest, "registration_failed");
        let _ = what;
    }
    assert_eq!(app.snapshot().await, before, "nothing written");
}

#[rocket::async_test]
async fn a_conditional_registration_is_refused_for_any_other_tampering() {
    let app = TestApp::with(upgrading()).await;
    let mut browser = app.browser();
    password_sign_in(&mut browser).await;
    let before = app.snapshot().await;
    let quiet = || Tamper {
        flags: Some(AT),
        ..Tamper::default()
    };
    type Bend = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Tamper, Bend)> = vec![
        (
            "a signed format",
            quiet(),
            Box::new(|body| {
                rewrite(body, |e| {
                    set(e, "fmt", Cbor::Text("packed".into()));
                    set(
                        e,
                        "attStmt",
                        Cbor::Map(vec![
                            (Cbor::Text("alg".into()), Cbor::Integer((-7).into())),
                            (Cbor::Text("sig".into()), Cbor::Bytes(vec![1; 70])),
                        ]),
                    );
                })
            }),
        ),
        (
            "a statement under none",
            quiet(),
            Box::new(|body| {
                rewrite(body, |e| {
                    set(
                        e,
                        "attStmt",
                        Cbor::Map(vec![(Cbor::Text("x".into()), Cbor::Integer(1.into()))]),
                    )
                })
            }),
        ),
        (
            "another field",
            quiet(),
            Box::new(|body| {
                rewrite(body, |e| {
                    e.push((Cbor::Text("extra".into()), Cbor::Integer(1.into())))
                })
            }),
        ),
        (
            "bytes after the attestation object",
            quiet(),
            Box::new(|body| {
                let raw = URL_SAFE_NO_PAD
                    .decode(
                        body["response"]["attestationObject"]
                            .as_str()
                            .expect("an object"),
                    )
                    .expect("base64url");
                let mut longer = raw;
                longer.extend_from_slice(b"\x00\xff\xffgarbage");
                body["response"]["attestationObject"] = Value::from(URL_SAFE_NO_PAD.encode(longer));
            }),
        ),
        (
            "no attested credential",
            Tamper {
                flags: Some(0),
                ..Tamper::default()
            },
            Box::new(|_| {}),
        ),
        (
            "another origin",
            Tamper {
                origin: Some("https://evil.example".into()),
                ..quiet()
            },
            Box::new(|_| {}),
        ),
        (
            "another challenge",
            Tamper {
                challenge: Some(URL_SAFE_NO_PAD.encode([9u8; 32])),
                ..quiet()
            },
            Box::new(|_| {}),
        ),
        (
            "another rp id",
            Tamper {
                rp_id: Some("evil.example".into()),
                ..quiet()
            },
            Box::new(|_| {}),
        ),
        (
            "a sign-in's client data",
            Tamper {
                client_type: Some("webauthn.get".into()),
                ..quiet()
            },
            Box::new(|_| {}),
        ),
        (
            "a key of another algorithm",
            Tamper {
                cose_alg: Some(-8),
                ..quiet()
            },
            Box::new(|_| {}),
        ),
    ];
    for (what, tamper, bend) in cases {
        let options = start(&mut browser, json!({ "mediation": "conditional" })).await;
        assert_eq!(options.status, Status::Ok, "{what}: {:?}", options.body);
        let mut body = SoftKey::random().register(&options.body, &tamper);
        bend(&mut body);
        let answer = browser.post("/passkeys/register/finish", &body).await;
        assert_eq!(
            answer.status,
            Status::BadRequest,
            "{what}: {:?}",
            answer.body
        );
        assert_eq!(answer.code(), "registration_failed", "{what}");
        assert!(!answer.sets_session(), "{what}");
    }
    assert_eq!(app.snapshot().await, before, "nothing written");
}

#[rocket::async_test]
async fn conditional_starts_are_refused_when_off_signed_out_or_misspelt() {
    let off = TestApp::with(Config {
        progressive_enrollment: true,
        ..config()
    })
    .await;
    let mut browser = off.browser();
    let (to, marked) = password_sign_in(&mut browser).await;
    assert_eq!(
        (to.as_str(), marked),
        ("/passkeys/enroll?next=%2Fhome", false),
        "the invitation, unmarked"
    );
    start(&mut browser, json!({ "mediation": "conditional" }))
        .await
        .assert_error(Status::BadRequest, "invalid_request");

    let app = TestApp::with(upgrading()).await;
    let mut stranger = app.browser();
    start(
        &mut stranger,
        json!({ "username": "eve", "mediation": "conditional" }),
    )
    .await
    .assert_error(Status::BadRequest, "invalid_request");
    let mut browser = app.browser();
    password_sign_in(&mut browser).await;
    start(&mut browser, json!({ "mediation": "silent" }))
        .await
        .assert_error(Status::BadRequest, "invalid_request");
    // Not due (after "Don't ask again"): no mark.
    let never = browser.post("/passkeys/enroll/never", &json!({})).await;
    assert_eq!(never.status, Status::Ok, "{:?}", never.body);
    let mut again = app.browser();
    let (to, marked) = password_sign_in(&mut again).await;
    assert_eq!((to.as_str(), marked), ("/home", false));
}
