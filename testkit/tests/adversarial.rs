//! The adversarial list (security research §4) through the real routes: each case
//! asserts the status, the stable code, that no session was issued, and that the store
//! is unchanged. Cases covered elsewhere name their test in the README's security list.

use rocket_passkeys_testkit as support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rocket::http::{ContentType, Header, Status};
use serde_json::{json, Value};
use support::softkey::{SoftKey, Tamper, AT, BE, BS, UP, UV};
use support::{config, soft_account, soft_sign_in, soft_sign_up, soft_sign_up_with, TestApp};

/// Finishes a started sign-up with `body` bent by `bend`; asserts the refusal and that
/// nothing was written.
async fn refused_registration(
    app: &TestApp,
    bend: impl Fn(&mut Value),
    status: Status,
    code: &str,
) {
    let before = app.snapshot().await;
    let mut browser = app.browser();
    let start = browser
        .post(
            "/passkeys/register/start",
            &json!({ "username": "mallory" }),
        )
        .await;
    let mut body = SoftKey::random().register(&start.body, &Tamper::default());
    bend(&mut body);
    let answer = browser.post("/passkeys/register/finish", &body).await;
    answer.assert_error(status, code);
    assert_eq!(app.snapshot().await, before, "nothing written ({code})");
}

/// The same for a sign-in of `key`'s account.
async fn refused_sign_in(
    app: &TestApp,
    key: &mut SoftKey,
    bend: impl Fn(&mut Value),
    status: Status,
    code: &str,
) {
    let before = app.snapshot().await;
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let mut body = key.assert(&start.body, &Tamper::default());
    bend(&mut body);
    let answer = browser.post("/passkeys/authenticate/finish", &body).await;
    answer.assert_error(status, code);
    assert_eq!(app.snapshot().await, before, "nothing written ({code})");
}

/// A change to a response body.
type Bend = Box<dyn Fn(&mut Value)>;

// ---- A. Parsing and transport ---------------------------------------------------------

#[rocket::async_test]
async fn a02_wrong_json_types() {
    let app = TestApp::new().await;
    let mut key = soft_account(&app, "victim").await;
    let bends: Vec<Bend> = vec![
        Box::new(|b| b["rawId"] = json!(123)),
        Box::new(|b| b["response"] = json!([])),
        Box::new(|b| b["response"]["clientDataJSON"] = json!({})),
        Box::new(|b| b["type"] = json!(null)),
        Box::new(|b| *b = json!([1, 2, 3])),
        Box::new(|b| *b = json!("a string")),
    ];
    for bend in &bends {
        refused_registration(&app, bend, Status::BadRequest, "invalid_request").await;
        refused_sign_in(&app, &mut key, bend, Status::BadRequest, "invalid_request").await;
    }
}

#[rocket::async_test]
async fn a03_each_missing_field() {
    let app = TestApp::new().await;
    let mut key = soft_account(&app, "victim").await;
    for field in ["id", "rawId", "type", "response"] {
        let drop = |b: &mut Value| {
            b.as_object_mut().expect("object").remove(field);
        };
        refused_registration(&app, drop, Status::BadRequest, "invalid_request").await;
        refused_sign_in(&app, &mut key, drop, Status::BadRequest, "invalid_request").await;
    }
    for field in ["clientDataJSON", "attestationObject"] {
        let drop = |b: &mut Value| {
            b["response"]
                .as_object_mut()
                .expect("response")
                .remove(field);
        };
        refused_registration(&app, drop, Status::BadRequest, "invalid_request").await;
    }
    for field in ["clientDataJSON", "authenticatorData", "signature"] {
        let drop = |b: &mut Value| {
            b["response"]
                .as_object_mut()
                .expect("response")
                .remove(field);
        };
        refused_sign_in(&app, &mut key, drop, Status::BadRequest, "invalid_request").await;
    }
}

#[rocket::async_test]
async fn a04_base64url_garbage_and_padding() {
    let app = TestApp::new().await;
    let mut key = soft_account(&app, "victim").await;
    for garbage in ["!!!", "a+b/c", "ab cd", "abcde", "=="] {
        let bend = |b: &mut Value| b["response"]["clientDataJSON"] = json!(garbage);
        refused_registration(&app, bend, Status::BadRequest, "invalid_request").await;
        refused_sign_in(&app, &mut key, bend, Status::BadRequest, "invalid_request").await;
    }
    // A padded `id` names the same bytes as the unpadded one: it is the same credential.
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let mut body = key.assert(&start.body, &Tamper::default());
    let padded = URL_SAFE_NO_PAD.encode(&key.credential_id) + "==";
    body["id"] = json!(padded);
    let answer = browser.post("/passkeys/authenticate/finish", &body).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(app.snapshot().await.credentials, 1, "no second record");
}

#[rocket::async_test]
async fn a07_truncated_cbor() {
    let app = TestApp::new().await;
    let full = SoftKey::random().register(
        &json!({"publicKey": {"challenge": "AA"}}),
        &Tamper::default(),
    );
    let len = URL_SAFE_NO_PAD
        .decode(full["response"]["attestationObject"].as_str().expect("b64"))
        .expect("bytes")
        .len();
    for cut in [1, 37, len - 1] {
        let tamper = Tamper {
            truncate_attestation: Some(cut),
            ..Tamper::default()
        };
        let (answer, _) = soft_sign_up(&app, "cut", &tamper).await;
        answer.assert_error(Status::BadRequest, "registration_failed");
    }
    assert_eq!(app.snapshot().await.users, 0);
}

#[rocket::async_test]
async fn a08_cbor_bombs() {
    let app = TestApp::new().await;
    let nested = [vec![0x81u8; 5000], vec![0x00]].concat(); // 5000 nested one-element arrays
    let huge_length = vec![0x5b, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3]; // bytes of length 2^32
    let indefinite = vec![0xbf, 0x61, 0x61, 0x01]; // an indefinite map, never closed
    for raw in [nested, huge_length, indefinite] {
        let tamper = Tamper {
            attestation_object: Some(raw),
            ..Tamper::default()
        };
        let started = std::time::Instant::now();
        let (answer, _) = soft_sign_up(&app, "bomb", &tamper).await;
        answer.assert_error(Status::BadRequest, "registration_failed");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "answered quickly"
        );
    }
    assert_eq!(app.snapshot().await.users, 0);
}

#[rocket::async_test]
async fn a09_leftover_bytes_after_authenticator_data_are_refused() {
    let app = TestApp::new().await;
    let tamper = Tamper {
        trailing: vec![0xde, 0xad],
        ..Tamper::default()
    };
    let (answer, _) = soft_sign_up(&app, "leftover", &tamper).await;
    answer.assert_error(Status::BadRequest, "registration_failed");
    let mut key = soft_account(&app, "victim").await;
    let before = app.snapshot().await;
    // Refused even though the signature covers them.
    soft_sign_in(&app, &mut key, None, &tamper)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn a10_a11_id_and_type_on_sign_in() {
    let app = TestApp::new().await;
    let mut victim = soft_account(&app, "victim").await;
    let other = URL_SAFE_NO_PAD.encode(soft_account(&app, "other").await.credential_id);
    let bend = |b: &mut Value| b["id"] = json!(other.clone());
    refused_sign_in(
        &app,
        &mut victim,
        bend,
        Status::BadRequest,
        "invalid_request",
    )
    .await;
    let bend = |b: &mut Value| b["type"] = json!("password");
    refused_sign_in(
        &app,
        &mut victim,
        bend,
        Status::BadRequest,
        "invalid_request",
    )
    .await;
}

#[rocket::async_test]
async fn a12_credential_ids_over_1023_bytes_are_refused() {
    let app = TestApp::new().await;
    let mut long = SoftKey::new(vec![7u8; 1024]);
    let answer = soft_sign_up_with(&app, "long", &mut long, &Tamper::default()).await;
    answer.assert_error(Status::BadRequest, "registration_failed");
    assert_eq!(app.snapshot().await.users, 0);
    let mut longest = SoftKey::new(vec![8u8; 1023]);
    let answer = soft_sign_up_with(&app, "longest", &mut longest, &Tamper::default()).await;
    assert_eq!(
        answer.status,
        Status::Ok,
        "1023 bytes is allowed: {:?}",
        answer.body
    );
}

#[rocket::async_test]
async fn a14_get_on_state_changing_routes() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    for route in [
        "register/start",
        "register/finish",
        "authenticate/start",
        "authenticate/finish",
        "sign-out",
        "enroll/skip",
    ] {
        browser
            .get(&format!("/passkeys/{route}"))
            .await
            .assert_error(Status::NotFound, "not_found");
    }
    assert!(browser.cookies.is_empty(), "no ceremony was handed out");
    assert_eq!(app.finished_ceremonies().await, 0);
}

// ---- B. Ceremony state ----------------------------------------------------------------

#[rocket::async_test]
async fn b16_a_challenge_in_the_body_is_ignored() {
    let app = TestApp::new().await;
    let mut key = soft_account(&app, "victim").await;
    // A response signed over another challenge, with that challenge also sent in the body.
    let bad = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let mut body = key.assert(
        &start.body,
        &Tamper {
            challenge: Some(bad.into()),
            ..Tamper::default()
        },
    );
    body["challenge"] = json!(bad);
    let before = app.snapshot().await;
    browser
        .post("/passkeys/authenticate/finish", &body)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn b19_a_tampered_or_plain_ceremony_cookie_counts_as_none() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": "tina" }))
        .await;
    let credential = SoftKey::random().register(&start.body, &Tamper::default());
    let real = browser
        .cookies
        .get("passkeys_registration")
        .cloned()
        .expect("cookie");
    for forged in [
        format!("{}A", &real[..real.len() - 1]),
        URL_SAFE_NO_PAD.encode([0u8; 16]),
        String::new(),
    ] {
        let mut other = app.browser();
        other.cookies.insert("passkeys_registration".into(), forged);
        other
            .post("/passkeys/register/finish", &credential)
            .await
            .assert_error(Status::BadRequest, "ceremony_not_found");
    }
    // The real one still works: forged cookies consumed nothing.
    let answer = browser.post("/passkeys/register/finish", &credential).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
}

#[rocket::async_test]
async fn b20_fifty_concurrent_sign_in_finishes_open_one_session() {
    let app = TestApp::new().await;
    let mut key = soft_account(&app, "victim").await;
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = key.assert(&start.body, &Tamper::default());
    let sessions_before = app.snapshot().await.sessions;
    let mut browsers: Vec<_> = (0..50)
        .map(|_| {
            let mut b = app.browser();
            b.cookies = browser.cookies.clone();
            b
        })
        .collect();
    let answers = support::join_all(
        browsers
            .iter_mut()
            .map(|b| b.post("/passkeys/authenticate/finish", &assertion)),
    )
    .await;
    assert_eq!(answers.iter().filter(|a| a.status == Status::Ok).count(), 1);
    for a in answers.iter().filter(|a| a.status != Status::Ok) {
        a.assert_error(Status::BadRequest, "ceremony_not_found");
    }
    assert_eq!(app.snapshot().await.sessions, sessions_before + 1);
}

// ---- C. Client data and authenticator data --------------------------------------------

#[rocket::async_test]
async fn c23_c24_c25_c26_origins_and_types_on_sign_in() {
    let app = TestApp::new().await;
    let mut key = soft_account(&app, "victim").await;
    let cases = [
        Tamper {
            origin: Some("http://evil-localhost:8000".into()),
            ..Tamper::default()
        },
        Tamper {
            origin: Some("http://localhost.evil.io:8000".into()),
            ..Tamper::default()
        },
        Tamper {
            origin: Some("http://sub.localhost:8000".into()),
            ..Tamper::default()
        },
        Tamper {
            origin: Some("https://localhost:8000".into()),
            ..Tamper::default()
        },
        Tamper {
            origin: Some("http://localhost:8443".into()),
            ..Tamper::default()
        },
        Tamper {
            cross_origin: Some(true),
            ..Tamper::default()
        },
        Tamper {
            client_type: Some("webauthn.create".into()),
            ..Tamper::default()
        },
        Tamper {
            client_type: Some("payment.get".into()),
            ..Tamper::default()
        },
    ];
    let before = app.snapshot().await;
    for tamper in cases {
        let answer = soft_sign_in(&app, &mut key, None, &tamper).await;
        assert_eq!(answer.status, Status::Unauthorized, "{tamper:?}");
        answer.assert_error(Status::Unauthorized, "authentication_failed");
    }
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn c26_c28_c29_types_and_flags_on_registration() {
    let app = TestApp::new().await;
    let cases = [
        Tamper {
            client_type: Some("payment.get".into()),
            ..Tamper::default()
        },
        Tamper {
            flags: Some(UV | AT),
            ..Tamper::default()
        }, // no user presence
        Tamper {
            flags: Some(UP | UV | AT | BS),
            ..Tamper::default()
        }, // backed up, not eligible
        Tamper {
            origin: Some("https://localhost:8000".into()),
            ..Tamper::default()
        },
    ];
    for tamper in cases {
        let (answer, _) = soft_sign_up(&app, "flags", &tamper).await;
        answer.assert_error(Status::BadRequest, "registration_failed");
    }
    assert_eq!(app.snapshot().await.users, 0);
}

#[rocket::async_test]
async fn c28_c29_flags_on_sign_in() {
    let app = TestApp::new().await;
    // An account whose passkey is backup-eligible.
    let mut key = SoftKey::random();
    let eligible = Tamper {
        flags: Some(UP | UV | AT | BE),
        ..Tamper::default()
    };
    assert_eq!(
        soft_sign_up_with(&app, "victim", &mut key, &eligible)
            .await
            .status,
        Status::Ok
    );
    let before = app.snapshot().await;
    for flags in [UV | BE, UP | BE, UP | UV | BS, UP | UV] {
        // No presence; no verification; backed up but not eligible; eligibility dropped.
        let tamper = Tamper {
            flags: Some(flags),
            ..Tamper::default()
        };
        soft_sign_in(&app, &mut key, None, &tamper)
            .await
            .assert_error(Status::Unauthorized, "authentication_failed");
    }
    assert_eq!(
        app.snapshot().await,
        before,
        "the stored record is unchanged"
    );
    let honest = Tamper {
        flags: Some(UP | UV | BE),
        ..Tamper::default()
    };
    assert_eq!(
        soft_sign_in(&app, &mut key, None, &honest).await.status,
        Status::Ok
    );
}

#[rocket::async_test]
async fn c30_unrequested_or_mismatched_algorithms() {
    let app = TestApp::new().await;
    // An EC2 P-256 key that claims EdDSA (-8), ES512 (-36), or an unknown algorithm.
    for alg in [-8, -36, -65535] {
        let tamper = Tamper {
            cose_alg: Some(alg),
            ..Tamper::default()
        };
        let (answer, _) = soft_sign_up(&app, "alg", &tamper).await;
        answer.assert_error(Status::BadRequest, "registration_failed");
    }
    assert_eq!(app.snapshot().await.users, 0);
}

#[rocket::async_test]
async fn c31_a_flipped_bit_in_signed_authenticator_data() {
    let app = TestApp::new().await;
    let mut key = soft_account(&app, "victim").await;
    let bend = |b: &mut Value| {
        let mut data = URL_SAFE_NO_PAD
            .decode(b["response"]["authenticatorData"].as_str().expect("b64"))
            .expect("bytes");
        data[36] ^= 0x01; // the counter's last byte
        b["response"]["authenticatorData"] = json!(URL_SAFE_NO_PAD.encode(data));
    };
    refused_sign_in(
        &app,
        &mut key,
        bend,
        Status::Unauthorized,
        "authentication_failed",
    )
    .await;
}

// ---- D. Credential binding and lifecycle ----------------------------------------------

#[rocket::async_test]
async fn d32_the_same_passkey_twice_on_one_account() {
    let app = TestApp::new().await;
    let mut key = SoftKey::random();
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": "uma" }))
        .await;
    let body = key.register(&start.body, &Tamper::default());
    assert_eq!(
        browser
            .post("/passkeys/register/finish", &body)
            .await
            .status,
        Status::Ok
    );
    let before = app.snapshot().await;
    // A hostile client ignores excludeCredentials and sends the same credential again.
    let start = browser.post("/passkeys/register/start", &json!({})).await;
    let again = key.register(&start.body, &Tamper::default());
    browser
        .post("/passkeys/register/finish", &again)
        .await
        .assert_error(Status::Conflict, "credential_exists");
    assert_eq!(app.snapshot().await, before, "one row");
}

#[rocket::async_test]
async fn d36_a_deleted_passkey_no_longer_signs_in() {
    let app = TestApp::new().await;
    // Two passkeys so that one can be deleted.
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": "vic" }))
        .await;
    let mut first = SoftKey::random();
    let body = first.register(&start.body, &Tamper::default());
    assert_eq!(
        browser
            .post("/passkeys/register/finish", &body)
            .await
            .status,
        Status::Ok
    );
    let start = browser.post("/passkeys/register/start", &json!({})).await;
    let mut second = SoftKey::random();
    let body = second.register(&start.body, &Tamper::default());
    assert_eq!(
        browser
            .post("/passkeys/register/finish", &body)
            .await
            .status,
        Status::Ok
    );

    // A sign-in started before the delete, finished after it.
    let mut early = app.browser();
    let start = early
        .post(
            "/passkeys/authenticate/start",
            &json!({ "username": "vic" }),
        )
        .await;
    let assertion = second.assert(&start.body, &Tamper::default());

    let id = URL_SAFE_NO_PAD.encode(&second.credential_id);
    let mut request = app
        .client
        .delete(format!("/passkeys/credentials/{id}"))
        .header(Header::new("Origin", support::ORIGIN));
    for (k, v) in &browser.cookies {
        request = request.cookie(rocket::http::Cookie::new(k.clone(), v.clone()));
    }
    assert_eq!(request.dispatch().await.status(), Status::Ok);

    let before = app.snapshot().await;
    early
        .post("/passkeys/authenticate/finish", &assertion)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    soft_sign_in(&app, &mut second, None, &Tamper::default())
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(app.snapshot().await, before);
    assert_eq!(
        soft_sign_in(&app, &mut first, None, &Tamper::default())
            .await
            .status,
        Status::Ok
    );
}

#[rocket::async_test]
async fn d37_an_account_without_passkeys_cannot_be_entered() {
    let app = TestApp::new().await;
    // A password user with no passkey, and an attacker with their own passkey.
    let mut password_user = app.browser();
    password_user.password_sign_in("zero", "/").await;
    password_user.sign_out().await;
    let mut attacker = soft_account(&app, "attacker").await;
    let before = app.snapshot().await;
    soft_sign_in(&app, &mut attacker, Some("zero"), &Tamper::default())
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn d39_concurrent_sign_ins_never_lower_the_counter() {
    let app = TestApp::with(rocket_passkeys::Config {
        counter_policy: rocket_passkeys::CounterPolicy::Warn,
        ..config()
    })
    .await;
    let mut key = SoftKey::random();
    key.counter = 1;
    assert_eq!(
        soft_sign_up_with(&app, "race", &mut key, &Tamper::default())
            .await
            .status,
        Status::Ok
    );
    // Assertions with counters 2..=41, finished concurrently in reverse order.
    let mut pending = Vec::new();
    for counter in (2..=41u32).rev() {
        let mut browser = app.browser();
        let start = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        key.counter = counter;
        let assertion = key.assert(&start.body, &Tamper::default());
        pending.push((browser, assertion));
    }
    let answers = support::join_all(
        pending
            .iter_mut()
            .map(|(b, a)| b.post("/passkeys/authenticate/finish", a)),
    )
    .await;
    assert!(answers.iter().all(|a| a.status == Status::Ok));
    assert_eq!(
        app.snapshot().await.credential_rows[0].1,
        41,
        "the highest, never lower"
    );
}

// ---- E. Enumeration and abuse ---------------------------------------------------------

#[rocket::async_test]
async fn e40_every_sign_in_failure_looks_the_same() {
    let app = TestApp::new().await;
    let mut victim = soft_account(&app, "victim").await;
    let mut password_user = app.browser();
    password_user.password_sign_in("nopasskey", "/").await;
    let mut stranger = SoftKey::random();
    let answers = [
        soft_sign_in(&app, &mut victim, Some("no-such-user"), &Tamper::default()).await,
        soft_sign_in(&app, &mut victim, Some("nopasskey"), &Tamper::default()).await,
        soft_sign_in(
            &app,
            &mut stranger,
            None,
            &Tamper {
                user_handle: Some(Some(vec![1; 16])),
                ..Tamper::default()
            },
        )
        .await,
        soft_sign_in(
            &app,
            &mut victim,
            None,
            &Tamper {
                bad_signature: true,
                ..Tamper::default()
            },
        )
        .await,
    ];
    for answer in &answers {
        answer.assert_error(Status::Unauthorized, "authentication_failed");
    }
    let message = |a: &support::Answer| a.body["message"].clone();
    assert!(
        answers.iter().all(|a| message(a) == message(&answers[0])),
        "one message"
    );
}

/// The median of some durations, in milliseconds.
fn median_ms(samples: &mut [std::time::Duration]) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1000.0
}

#[rocket::async_test]
async fn e40_failures_take_the_same_time_and_send_the_same_headers() {
    // Each failure class 1,000 times, interleaved so that drift hits them alike; the
    // medians of the finish round trip must lie within 5 ms of each other.
    const SAMPLES: usize = 1000;
    let app = TestApp::with(support::config_for_instances()).await;
    let mut victim = soft_account(&app, "victim").await;
    let mut deleted = {
        let (mut browser, second) = two_passkeys(&app, "deleted").await;
        let id = URL_SAFE_NO_PAD.encode(&second.credential_id);
        let answer = browser.delete(&format!("/passkeys/credentials/{id}")).await;
        assert_eq!(answer.status, Status::Ok);
        second
    };
    let mut password_user = app.browser();
    password_user.password_sign_in("nopasskey", "/").await;
    let mut stranger = SoftKey::random();
    let before = app.snapshot().await;

    let classes = [
        "unknown user",
        "no passkeys",
        "foreign handle",
        "bad signature",
        "deleted",
    ];
    let mut times: Vec<Vec<std::time::Duration>> = vec![Vec::new(); classes.len()];
    let mut headers: Vec<Option<Vec<String>>> = vec![None; classes.len()];
    for _ in 0..SAMPLES {
        for (class, name) in classes.iter().enumerate() {
            let (key, username, tamper) = match class {
                0 => (&mut victim, Some("no-such-user"), Tamper::default()),
                1 => (&mut victim, Some("nopasskey"), Tamper::default()),
                2 => (
                    &mut stranger,
                    None,
                    Tamper {
                        user_handle: Some(Some(vec![1; 16])),
                        ..Tamper::default()
                    },
                ),
                3 => (
                    &mut victim,
                    None,
                    Tamper {
                        bad_signature: true,
                        ..Tamper::default()
                    },
                ),
                _ => (&mut deleted, None, Tamper::default()),
            };
            let mut browser = app.browser();
            let body = match username {
                Some(u) => json!({ "username": u }),
                None => json!({}),
            };
            let start = browser.post("/passkeys/authenticate/start", &body).await;
            let assertion = key.assert(&start.body, &tamper);
            let mut request = app
                .client
                .post("/passkeys/authenticate/finish")
                .header(ContentType::JSON)
                .header(Header::new("Origin", support::ORIGIN))
                .body(assertion.to_string());
            for (k, v) in &browser.cookies {
                request = request.cookie(rocket::http::Cookie::new(k.clone(), v.clone()));
            }
            let began = std::time::Instant::now();
            let response = request.dispatch().await;
            let status = response.status();
            // Cookie values are encrypted anew each time; the body's length differs by the
            // documented `unknown_credential` hint (WebAuthn Signal API).
            let names: Vec<String> = response
                .headers()
                .iter()
                .filter(|h| !h.name().as_str().eq_ignore_ascii_case("Content-Length"))
                .map(|h| match h.name().as_str() {
                    "Set-Cookie" => {
                        format!("Set-Cookie: {}", h.value().split('=').next().unwrap_or(""))
                    }
                    name => format!("{name}: {}", h.value()),
                })
                .collect();
            let text = response.into_string().await.unwrap_or_default();
            times[class].push(began.elapsed());
            assert_eq!(status, Status::Unauthorized, "{name}: {text}");
            assert!(text.contains("authentication_failed"), "{name}: {text}");
            match &headers[class] {
                None => headers[class] = Some(names),
                Some(first) => assert_eq!(first, &names, "{name}: stable headers"),
            }
        }
    }
    for (class, name) in classes.iter().enumerate() {
        assert_eq!(
            headers[class], headers[0],
            "{name} sends the headers of the others"
        );
    }
    let medians: Vec<f64> = times.iter_mut().map(|t| median_ms(t)).collect();
    println!("median finish time per failure class (ms):");
    for (name, median) in classes.iter().zip(&medians) {
        println!("  {name:>15}: {median:.3}");
    }
    let spread = medians.iter().cloned().fold(f64::MIN, f64::max)
        - medians.iter().cloned().fold(f64::MAX, f64::min);
    assert!(
        spread < 5.0,
        "medians differ by {spread:.3} ms: {medians:?}"
    );
    assert_eq!(app.snapshot().await, before, "nothing written");
}

#[rocket::async_test]
async fn e43_spoofed_forwarding_headers_do_not_split_the_budget() {
    let app = TestApp::with(rocket_passkeys::Config {
        rate_limit: rocket_passkeys::RateLimit {
            per_minute: 1,
            burst: 2,
            ..Default::default()
        },
        ..config()
    })
    .await;
    let mut limited = 0;
    for i in 0..10 {
        let response = app
            .client
            .post("/passkeys/authenticate/start")
            .header(ContentType::JSON)
            .header(Header::new("X-Forwarded-For", format!("203.0.113.{i}")))
            .header(Header::new("X-Real-IP", format!("198.51.100.{i}")))
            .body("{}")
            .dispatch()
            .await;
        if response.status() == Status::TooManyRequests {
            limited += 1;
        }
    }
    assert_eq!(limited, 8, "one client, whatever the headers say");
}

#[rocket::async_test]
async fn e43_a_trusted_proxy_header_keys_the_budget() {
    let app = TestApp::with(rocket_passkeys::Config {
        rate_limit: rocket_passkeys::RateLimit {
            per_minute: 1,
            burst: 1,
            ..Default::default()
        },
        trusted_proxy_header: Some("X-Real-IP".into()),
        ..config()
    })
    .await;
    for i in 0..5 {
        let response = app
            .client
            .post("/passkeys/authenticate/start")
            .header(ContentType::JSON)
            .header(Header::new("X-Real-IP", format!("198.51.100.{i}")))
            .body("{}")
            .dispatch()
            .await;
        assert_eq!(
            response.status(),
            Status::Ok,
            "client {i} has its own budget"
        );
    }
    assert_eq!(
        app.client
            .rocket()
            .state::<rocket_passkeys::Passkeys>()
            .expect("state")
            .rate_limited_clients(),
        5
    );
}

#[rocket::async_test]
async fn e44_failed_attempts_do_not_lock_the_owner_out() {
    let app = TestApp::new().await;
    let mut victim = soft_account(&app, "victim").await;
    let mut attacker = soft_account(&app, "attacker").await;
    for _ in 0..100 {
        soft_sign_in(&app, &mut attacker, Some("victim"), &Tamper::default())
            .await
            .assert_error(Status::Unauthorized, "authentication_failed");
    }
    assert_eq!(
        soft_sign_in(&app, &mut victim, Some("victim"), &Tamper::default())
            .await
            .status,
        Status::Ok
    );
}

// ---- F. Sessions and CSRF -------------------------------------------------------------

#[rocket::async_test]
async fn f49_a_signed_out_session_cannot_be_replayed() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.sign_up("wes").await;
    let captured = browser.cookies.clone();
    assert_eq!(browser.sign_out().await.status, Status::Ok);
    let mut thief = app.browser();
    thief.cookies = captured;
    assert!(thief.me().await.is_none());
    thief
        .get("/passkeys/credentials")
        .await
        .assert_error(Status::Unauthorized, "unauthorized");
}

/// Starts adding a SoftKey passkey to the signed-in account: the response to finish with.
async fn start_adding(browser: &mut support::Browser<'_>, key: &mut SoftKey) -> Value {
    let start = browser.post("/passkeys/register/start", &json!({})).await;
    assert_eq!(start.status, Status::Ok, "{:?}", start.body);
    key.register(&start.body, &Tamper::default())
}

/// Adds a SoftKey passkey to the signed-in account, start to finish.
async fn add(browser: &mut support::Browser<'_>, key: &mut SoftKey) {
    let body = start_adding(browser, key).await;
    let answer = browser.post("/passkeys/register/finish", &body).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
}

/// Finishing a registration with `body` is refused as void and writes nothing.
async fn void(
    app: &TestApp,
    browser: &mut support::Browser<'_>,
    body: &Value,
) -> support::Snapshot {
    let before = app.snapshot().await;
    browser
        .post("/passkeys/register/finish", body)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await, before, "nothing written");
    before
}

/// A signed-in browser of a new account with two SoftKey passkeys; the second key.
async fn two_passkeys<'a>(app: &'a TestApp, username: &str) -> (support::Browser<'a>, SoftKey) {
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": username }))
        .await;
    let body = SoftKey::random().register(&start.body, &Tamper::default());
    let answer = browser.post("/passkeys/register/finish", &body).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    let mut second = SoftKey::random();
    add(&mut browser, &mut second).await;
    (browser, second)
}

#[rocket::async_test]
async fn f46_a_passkey_deleted_in_another_tab_voids_a_started_registration() {
    let app = TestApp::new().await;
    let (mut browser, second) = two_passkeys(&app, "tabs").await;
    let body = start_adding(&mut browser, &mut SoftKey::random()).await;

    // Another tab (the same cookies) deletes a passkey before this one finishes.
    let id = URL_SAFE_NO_PAD.encode(&second.credential_id);
    let deleted = browser.delete(&format!("/passkeys/credentials/{id}")).await;
    assert_eq!(deleted.status, Status::Ok, "{:?}", deleted.body);

    let before = void(&app, &mut browser, &body).await;
    // A registration started after the change goes through.
    add(&mut browser, &mut SoftKey::random()).await;
    assert_eq!(app.snapshot().await.credentials, before.credentials + 1);
}

#[rocket::async_test]
async fn f46_a_password_change_voids_a_started_registration() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.password_sign_in("pat", "/").await;
    // A thief holds another session of the account and starts planting a passkey.
    let mut thief = app.browser();
    thief.password_sign_in("pat", "/").await;
    let planted = start_adding(&mut thief, &mut SoftKey::random()).await;
    let body = start_adding(&mut browser, &mut SoftKey::random()).await;

    // The app changes the password (and tells the crate) before either is finished.
    let (status, _) = browser.post_form("/change-password").await;
    assert_eq!(status, Status::Ok);

    // The thief's session is over: neither the planted passkey nor a new start goes in.
    void(&app, &mut thief, &planted).await;
    assert!(thief.me().await.is_none(), "the other session ended");
    // Signed out, an empty start is a sign-up without a username.
    thief
        .post("/passkeys/register/start", &json!({}))
        .await
        .assert_error(Status::BadRequest, "invalid_request");
    // The browser that changed it keeps its session; what it started before is void.
    assert!(browser.me().await.is_some(), "the changing session stays");
    let before = void(&app, &mut browser, &body).await;
    assert_eq!(before.credentials, 0);
    // The same session may start again and finish.
    add(&mut browser, &mut SoftKey::random()).await;
    assert_eq!(app.snapshot().await.credentials, 1);
}

#[rocket::async_test]
async fn f46_a_registration_whose_session_ended_cannot_finish() {
    let app = TestApp::new().await;
    let (mut browser, _) = two_passkeys(&app, "ended").await;
    let body = start_adding(&mut browser, &mut SoftKey::random()).await;
    // The session ends elsewhere (signed out in another tab: the cookie stays here).
    let mut other_tab = app.browser();
    other_tab.cookies = browser.cookies.clone();
    assert_eq!(other_tab.sign_out().await.status, Status::Ok);
    void(&app, &mut browser, &body).await;
}

#[rocket::async_test]
async fn f52_cross_site_form_posts_change_nothing() {
    let app = TestApp::with(rocket_passkeys::Config {
        progressive_enrollment: true,
        ..config()
    })
    .await;
    let mut browser = app.browser();
    browser.password_sign_in("xia", "/").await;
    let before = app.snapshot().await;
    for route in [
        "/passkeys/register/start",
        "/passkeys/enroll/skip",
        "/passkeys/sign-out",
    ] {
        let mut request = app
            .client
            .post(route)
            .header(ContentType::Form)
            .header(Header::new("Sec-Fetch-Site", "cross-site"))
            .body("username=x");
        for (k, v) in &browser.cookies {
            request = request.cookie(rocket::http::Cookie::new(k.clone(), v.clone()));
        }
        let response = request.dispatch().await;
        assert_eq!(response.status(), Status::Forbidden, "{route}");
    }
    assert_eq!(app.snapshot().await, before);
    assert!(browser.me().await.is_some(), "still signed in");
}

// ---- Review follow-ups ----------------------------------------------------------------

#[rocket::async_test]
async fn e43_a_forwarded_list_is_keyed_by_the_address_the_proxy_added() {
    let app = TestApp::with(rocket_passkeys::Config {
        rate_limit: rocket_passkeys::RateLimit {
            per_minute: 1,
            burst: 1,
            ..Default::default()
        },
        trusted_proxy_header: Some("X-Forwarded-For".into()),
        ..config()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let response = app
            .client
            .post("/passkeys/authenticate/start")
            .header(ContentType::JSON)
            .header(Header::new(
                "X-Forwarded-For",
                format!("203.0.113.{i}, 198.51.100.7"),
            ))
            .body("{}")
            .dispatch()
            .await;
        statuses.push(response.status());
    }
    assert_eq!(
        statuses,
        [Status::Ok, Status::TooManyRequests, Status::TooManyRequests],
        "the client-written first entry changes nothing"
    );
}

#[rocket::async_test]
async fn d38_a_device_bound_passkey_cannot_claim_the_synced_exemption() {
    let app = TestApp::new().await;
    let mut key = SoftKey::random();
    key.counter = 5;
    let device = Tamper {
        flags: Some(UP | UV | AT),
        ..Tamper::default()
    };
    assert_eq!(
        soft_sign_up_with(&app, "dev", &mut key, &device)
            .await
            .status,
        Status::Ok
    );
    let before = app.snapshot().await;
    // A copy of the key claims to be synced and reports 0, username-first.
    key.counter = 0;
    let claims_synced = Tamper {
        flags: Some(UP | UV | BE | BS),
        ..Tamper::default()
    };
    soft_sign_in(&app, &mut key, Some("dev"), &claims_synced)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(app.snapshot().await, before, "the flags were not upgraded");
}

#[rocket::async_test]
async fn f50_usernames_with_invisible_characters_are_refused() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    for name in [
        "ali\u{200b}ce",
        "\u{202e}ecila",
        "al\u{ad}ice",
        "\u{feff}alice",
    ] {
        browser
            .post("/passkeys/register/start", &json!({ "username": name }))
            .await
            .assert_error(Status::BadRequest, "invalid_request");
    }
    assert!(browser.cookies.is_empty(), "no ceremony was handed out");
}
