//! Recovery codes of passkey-only accounts (`recovery_codes = true`): shown once at
//! sign-up, used once, renewed; every refusal with its code and a check that nothing
//! changed; floods of guesses from one address and from many. Runs on SQLite, and on
//! PostgreSQL when built with the `postgres` feature.

use rocket_passkeys_testkit as support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use rocket::http::{ContentType, Status};
use rocket_passkeys::{Config, Event, RateLimit};
use serde_json::{json, Value};
use support::{config, Browser, Recorder, TestApp};

fn with_codes() -> Config {
    Config {
        recovery_codes: true,
        ..config()
    }
}

/// Signs `name` up; answers the recovery codes the sign-up showed.
async fn sign_up(browser: &mut Browser<'_>, name: &str) -> Vec<String> {
    let answer = browser.sign_up(name).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    let codes: Vec<String> = answer.body["recovery_codes"]
        .as_array()
        .expect("a new account's codes")
        .iter()
        .map(|c| c.as_str().expect("a code").to_string())
        .collect();
    codes
}

async fn recover(browser: &mut Browser<'_>, username: &str, code: &str) -> support::Answer {
    browser
        .post(
            "/passkeys/recover",
            &json!({ "username": username, "code": code }),
        )
        .await
}

/// How many codes the manage screen says are left.
async fn left(browser: &mut Browser<'_>) -> String {
    let screen = browser.get("/passkeys/manage").await;
    let html = screen.body.as_str().expect("HTML").to_string();
    // "9 of 10 codes unused. ...": the number the sentence starts with.
    let at = html.find("data-recovery-left=").expect("the count");
    let start = at + html[at..].find('>').expect("the tag ends") + 1;
    html[start..]
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

fn client(n: u32) -> IpAddr {
    IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
}

#[rocket::async_test]
async fn a_sign_up_shows_ten_distinct_codes_once() {
    let app = TestApp::with(with_codes()).await;
    let mut ada = app.browser();
    let codes = sign_up(&mut ada, "ada").await;
    assert_eq!(codes.len(), 10);
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 10);
    for code in &codes {
        assert_eq!(code.len(), 19, "XXXX-XXXX-XXXX-XXXX: {code}");
        assert!(code
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || c.is_ascii_uppercase()));
    }
    assert_eq!(left(&mut ada).await, "10");
    // The codes are nowhere to be read again: the screen shows a count, the list none.
    let screen = ada.get("/passkeys/manage").await;
    assert!(!screen.body.as_str().expect("HTML").contains(&codes[0]));
    // Without the setting, no codes.
    let plain = TestApp::new().await;
    let mut bob = plain.browser();
    let answer = bob.sign_up("bob").await;
    assert_eq!(answer.status, Status::Ok);
    assert!(
        answer.body.get("recovery_codes").is_none(),
        "{:?}",
        answer.body
    );
    bob.get("/passkeys/recover")
        .await
        .assert_error(Status::NotFound, "not_found");
    recover(&mut bob, "bob", "AAAA-AAAA-AAAA-AAAA")
        .await
        .assert_error(Status::NotFound, "not_found");
}

#[rocket::async_test]
async fn a_code_signs_in_once_ends_every_session_and_leads_to_a_new_passkey() {
    let events = Recorder::default();
    let app = TestApp::with_events(with_codes(), events.clone()).await;
    let mut laptop = app.browser();
    let codes = sign_up(&mut laptop, "ada").await;
    let mut phone = app.browser();
    std::mem::swap(&mut phone.authenticator, &mut laptop.authenticator);
    assert_eq!(phone.sign_in(None).await.status, Status::Ok);
    // The laptop had started adding a passkey when the devices were lost.
    let pending = laptop.post("/passkeys/register/start", &json!({})).await;
    assert_eq!(pending.status, Status::Ok, "{:?}", pending.body);
    events.take();

    // A new device, no passkey: the code, typed in lower case with spaces.
    let mut new_device = app.browser();
    let typed = codes[0].to_lowercase().replace('-', " ");
    let answer = recover(&mut new_device, "ADA", &typed).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(answer.body["redirect"], "/passkeys/manage?recovered=1");
    assert!(answer.sets_session());
    let me = new_device.me().await.expect("signed in");
    assert_eq!(me["factors"], "[RecoveryCode]");
    assert_eq!(
        (laptop.me().await, phone.me().await),
        (None, None),
        "every other session ends"
    );
    let used: Vec<Event> = events.take();
    assert!(
        used.iter()
            .any(|e| matches!(e, Event::RecoveryCodeUsed { left: 9, .. })),
        "{used:?}"
    );
    let screen = new_device.get("/passkeys/manage?recovered=1").await;
    let html = screen.body.as_str().expect("HTML");
    assert!(html.contains("passkeys-recovered") && html.contains("Add a passkey"));
    assert_eq!(left(&mut new_device).await, "9");

    // The pending registration of the ended session cannot finish.
    let credential = laptop.create(&pending.body).await;
    let late = laptop.post("/passkeys/register/finish", &credential).await;
    late.assert_error(Status::BadRequest, "ceremony_not_found");
    // The recovered session may create a passkey (one factor, for this purpose).
    let added = new_device.add_passkey().await;
    assert_eq!(added.status, Status::Ok, "{:?}", added.body);
    let list = new_device.get("/passkeys/credentials").await;
    assert_eq!(list.body["credentials"].as_array().map(Vec::len), Some(2));
    // The new passkey signs in.
    let mut later = app.browser();
    std::mem::swap(&mut later.authenticator, &mut new_device.authenticator);
    assert_eq!(later.sign_in(None).await.status, Status::Ok);

    // The code works once.
    let before = app.snapshot().await;
    let mut thief = app.browser();
    recover(&mut thief, "ada", &codes[0])
        .await
        .assert_error(Status::Unauthorized, "recovery_failed");
    assert_eq!(app.snapshot().await, before);
    assert!(later.me().await.is_some(), "a refused code ends nothing");
}

#[rocket::async_test]
async fn wrong_unknown_and_malformed_codes_answer_alike_and_change_nothing() {
    let events = Recorder::default();
    let app = TestApp::with_events(with_codes(), events.clone()).await;
    let mut ada = app.browser();
    let codes = sign_up(&mut ada, "ada").await;
    // A password account of the app (it recovers its own way): no codes.
    let mut carol = app.browser();
    carol.password_sign_in("carol", "/").await;
    let before = app.snapshot().await;
    events.take();

    let mut guesser = app.browser();
    for (username, code, what) in [
        ("ada", "AAAA-AAAA-AAAA-AAAA", "a wrong code"),
        ("ada", "", "an empty code"),
        ("ada", "not a code at all", "a malformed code"),
        ("nobody", codes[1].as_str(), "an unknown name"),
        ("carol", "AAAA-AAAA-AAAA-AAAA", "an account without codes"),
        ("ada", &codes[1][..14], "a cut code"),
    ] {
        let answer = recover(&mut guesser, username, code).await;
        assert_eq!(
            answer.status,
            Status::Unauthorized,
            "{what}: {:?}",
            answer.body
        );
        assert_eq!(answer.code(), "recovery_failed", "{what}");
        assert_eq!(
            answer.body["message"], "That username and recovery code do not match an unused code.",
            "{what}: one sentence for all"
        );
        assert!(!answer.sets_session(), "{what}");
    }
    for (body, what) in [
        (json!({ "username": "ada" }), "no code"),
        (
            json!({ "username": "ada", "code": codes[1], "extra": 1 }),
            "an unknown field",
        ),
        (
            json!({ "username": "ada", "code": "A".repeat(65) }),
            "a code too long",
        ),
        (
            json!({ "username": "a".repeat(257), "code": codes[1] }),
            "a name too long",
        ),
    ] {
        let answer = guesser.post("/passkeys/recover", &body).await;
        answer.assert_error(Status::BadRequest, "invalid_request");
        let _ = what;
    }
    let form = guesser
        .post_raw(
            "/passkeys/recover",
            ContentType::Form,
            "username=ada".into(),
        )
        .await;
    form.assert_error(Status::UnsupportedMediaType, "unsupported_media_type");
    let own = std::mem::replace(&mut guesser.origin, "https://evil.example".into());
    recover(&mut guesser, "ada", &codes[1])
        .await
        .assert_error(Status::Forbidden, "forbidden");
    guesser.origin = own;

    assert_eq!(app.snapshot().await, before, "nothing was written");
    assert!(ada.me().await.is_some() && carol.me().await.is_some());
    assert_eq!(left(&mut ada).await, "10", "no code was used");
    // Each failure is an event, alike for every cause; it names the account when the
    // name is a passkey-only one.
    let failed = events.take();
    assert_eq!(failed.len(), 6, "{failed:?}");
    let named = failed
        .iter()
        .filter(|e| matches!(e, Event::RecoveryFailed { user_id: Some(_) }))
        .count();
    assert_eq!(named, 4, "{failed:?}");
}

#[rocket::async_test]
async fn guesses_at_one_account_stop_at_its_limit_and_never_lock_the_owner_out() {
    let app = TestApp::with(with_codes()).await;
    let mut ada = app.browser();
    let codes = sign_up(&mut ada, "ada").await;
    let mut bob_browser = app.browser();
    let bob_codes = sign_up(&mut bob_browser, "bob").await;

    // Ten guesses at Ada's account from one address: each a plain failure; the
    // eleventh from there is limited, even with the right code.
    let mut guesser = Browser::at(&app.client, client(1));
    for _ in 0..10 {
        let answer = recover(&mut guesser, "ada", "AAAA-AAAA-AAAA-AAAA").await;
        answer.assert_error(Status::Unauthorized, "recovery_failed");
    }
    let limited = recover(&mut guesser, "ada", &codes[0]).await;
    limited.assert_error(Status::TooManyRequests, "rate_limited");
    assert!(limited.retry_after.is_some());
    // A name nobody has is limited the same way (the limit says nothing of accounts).
    for _ in 0..10 {
        recover(&mut guesser, "ghost", "AAAA-AAAA-AAAA-AAAA")
            .await
            .assert_error(Status::Unauthorized, "recovery_failed");
    }
    recover(&mut guesser, "ghost", "AAAA-AAAA-AAAA-AAAA")
        .await
        .assert_error(Status::TooManyRequests, "rate_limited");
    // Strangers at forty more addresses spend their own budgets, not Ada's: each of them
    // is limited at one account, and Ada, from her new device, recovers at once.
    for n in 0..40 {
        let mut stranger = Browser::at(&app.client, client(100 + n));
        for _ in 0..10 {
            recover(&mut stranger, "ada", "AAAA-AAAA-AAAA-AAAA")
                .await
                .assert_error(Status::Unauthorized, "recovery_failed");
        }
        recover(&mut stranger, "ada", "AAAA-AAAA-AAAA-AAAA")
            .await
            .assert_error(Status::TooManyRequests, "rate_limited");
    }
    assert_eq!(left(&mut ada).await, "10", "no code was used");
    let mut new_device = Browser::at(&app.client, client(250));
    let answer = recover(&mut new_device, "ada", &codes[0]).await;
    assert_eq!(
        answer.status,
        Status::Ok,
        "the owner is not locked out: {:?}",
        answer.body
    );
    // Another account from the guesser's address: its own budget.
    let answer = recover(&mut guesser, "bob", &bob_codes[0]).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
}

#[rocket::async_test]
async fn one_address_is_limited_across_names() {
    let limited = Config {
        rate_limit: RateLimit {
            per_minute: 5,
            burst: 5,
            ..Default::default()
        },
        ..with_codes()
    };
    let app = TestApp::with(limited).await;
    let mut guesser = Browser::at(&app.client, client(1));
    for n in 0..5 {
        recover(&mut guesser, &format!("name{n}"), "AAAA-AAAA-AAAA-AAAA")
            .await
            .assert_error(Status::Unauthorized, "recovery_failed");
    }
    let sixth = recover(&mut guesser, "name5", "AAAA-AAAA-AAAA-AAAA").await;
    sixth.assert_error(Status::TooManyRequests, "rate_limited");
    // Another address is not affected.
    let mut other = Browser::at(&app.client, client(2));
    recover(&mut other, "name5", "AAAA-AAAA-AAAA-AAAA")
        .await
        .assert_error(Status::Unauthorized, "recovery_failed");
}

#[rocket::async_test]
async fn new_codes_void_the_old_and_need_a_recent_sign_in() {
    let events = Recorder::default();
    let app = TestApp::with_events(with_codes(), events.clone()).await;
    let mut ada = app.browser();
    let old = sign_up(&mut ada, "ada").await;

    let answer = ada.post("/passkeys/recovery-codes", &json!({})).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    let new: Vec<Value> = answer.body["recovery_codes"]
        .as_array()
        .expect("codes")
        .clone();
    assert_eq!(new.len(), 10);
    assert!(!new
        .iter()
        .any(|c| old.contains(&c.as_str().unwrap_or_default().to_string())));
    assert!(events
        .take()
        .iter()
        .any(|e| matches!(e, Event::RecoveryCodesGenerated { .. })));

    let mut thief = app.browser();
    recover(&mut thief, "ada", &old[0])
        .await
        .assert_error(Status::Unauthorized, "recovery_failed");

    // A password account of the app.
    let mut carol = app.browser();
    carol.password_sign_in("carol", "/").await;
    // Refusals, each writing nothing.
    let before = app.snapshot().await;
    let mut stranger = app.browser();
    stranger
        .post("/passkeys/recovery-codes", &json!({}))
        .await
        .assert_error(Status::Unauthorized, "unauthorized");
    let own = std::mem::replace(&mut ada.origin, "https://evil.example".into());
    ada.post("/passkeys/recovery-codes", &json!({}))
        .await
        .assert_error(Status::Forbidden, "forbidden");
    ada.origin = own;
    app.clock.advance(Duration::from_secs(11 * 60));
    ada.post("/passkeys/recovery-codes", &json!({}))
        .await
        .assert_error(Status::Forbidden, "reauth_required");
    // A password account gets none.
    carol
        .post("/passkeys/recovery-codes", &json!({}))
        .await
        .assert_error(Status::NotFound, "not_found");
    assert_eq!(app.snapshot().await, before);
    let code = new[3].as_str().expect("a code");
    let answer = recover(&mut thief, "ada", code).await;
    assert_eq!(
        answer.status,
        Status::Ok,
        "the new codes work: {:?}",
        answer.body
    );
}

#[rocket::async_test]
async fn the_sign_in_screen_offers_recovery_only_when_it_is_on() {
    let on = TestApp::with(with_codes()).await;
    let screen = on.browser().get("/passkeys/sign-in").await;
    assert!(screen
        .body
        .as_str()
        .expect("HTML")
        .contains("/passkeys/recover"));
    let recover_screen = on.browser().get("/passkeys/recover").await;
    assert_eq!(recover_screen.status, Status::Ok);
    assert!(recover_screen
        .body
        .as_str()
        .expect("HTML")
        .contains("name=\"code\""));
    let off = TestApp::new().await;
    let screen = off.browser().get("/passkeys/sign-in").await;
    assert!(!screen
        .body
        .as_str()
        .expect("HTML")
        .contains("/passkeys/recover"));
}

#[rocket::async_test]
async fn a_recovered_session_adds_a_passkey_but_deletes_nothing_until_it_signs_in_with_it() {
    let app = TestApp::with(with_codes()).await;
    let mut lost = app.browser();
    let codes = sign_up(&mut lost, "ada").await;
    let lost_id = lost.credential_ids()[0].clone();
    let mut found = app.browser();
    // The new device held another account's session: the recovery ends it too.
    let mut carol = app.browser();
    carol.password_sign_in("carol", "/").await;
    found.cookies = carol.cookies.clone();
    let answer = recover(&mut found, "ada", &codes[0]).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(carol.me().await, None, "the session the browser held ended");

    // With the code alone: no deleting the owner's passkey, no new codes.
    let before = app.snapshot().await;
    found
        .delete(&format!("/passkeys/credentials/{lost_id}"))
        .await
        .assert_error(Status::Forbidden, "factor_required");
    found
        .post("/passkeys/recovery-codes", &json!({}))
        .await
        .assert_error(Status::Forbidden, "factor_required");
    assert_eq!(app.snapshot().await, before, "nothing changed");
    assert_eq!(left(&mut found).await, "9");
    // A new passkey, then a sign-in with it: now the lost one can go.
    assert_eq!(found.add_passkey().await.status, Status::Ok);
    let new_id = found.credential_ids()[0].clone();
    assert_ne!(new_id, lost_id);
    assert_eq!(found.sign_in(None).await.status, Status::Ok);
    let deleted = found
        .delete(&format!("/passkeys/credentials/{lost_id}"))
        .await;
    assert_eq!(deleted.status, Status::Ok, "{:?}", deleted.body);
    let renewed = found.post("/passkeys/recovery-codes", &json!({})).await;
    assert_eq!(renewed.status, Status::Ok, "{:?}", renewed.body);
}

#[rocket::async_test]
async fn only_a_recovered_session_shows_the_recovery_banner() {
    let app = TestApp::with(with_codes()).await;
    let mut ada = app.browser();
    sign_up(&mut ada, "ada").await;
    for link in [
        "/passkeys/manage?recovered=1",
        "/passkeys/manage?recovered=",
    ] {
        let screen = ada.get(link).await;
        assert!(
            !screen
                .body
                .as_str()
                .expect("HTML")
                .contains("passkeys-recovered"),
            "{link}"
        );
    }
}
