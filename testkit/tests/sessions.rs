//! Sessions people can see and end, and the admin API: every route and call, with the
//! refusals (signed out, cross-site, another user's id, a stale sign-in) and a check
//! that a refusal changed nothing. Runs on SQLite, and on PostgreSQL when built with
//! the `postgres` feature.

use rocket_passkeys_testkit as support;

use std::time::Duration;

use rocket::http::Status;
use rocket_passkeys::{Config, ErrorCode, Event, Passkeys};
use serde_json::{json, Value};
use support::{config, Browser, Recorder, TestApp};

const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                      (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// The browser's sessions as `GET /passkeys/sessions` lists them.
async fn sessions(browser: &mut Browser<'_>) -> Vec<Value> {
    let answer = browser.get("/passkeys/sessions").await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    answer.body["sessions"].as_array().expect("a list").clone()
}

fn id_of(session: &Value) -> String {
    session["id"].as_str().expect("an id").to_string()
}

/// The listed session that is not the browser's own.
fn other(list: &[Value]) -> &Value {
    let others: Vec<&Value> = list.iter().filter(|s| s["current"] == false).collect();
    assert_eq!(others.len(), 1, "one other session in {list:?}");
    others[0]
}

/// Ada signed up in Firefox (`laptop`), then signed in with the same passkey in Chrome
/// (`phone`): two sessions of one account.
async fn two_devices(app: &TestApp) -> (Browser<'_>, Browser<'_>) {
    let mut laptop = app.browser();
    laptop.user_agent = Some(FIREFOX.into());
    assert_eq!(laptop.sign_up("ada").await.status, Status::Ok);
    let mut phone = app.browser();
    phone.user_agent = Some(CHROME.into());
    std::mem::swap(&mut phone.authenticator, &mut laptop.authenticator);
    assert_eq!(phone.sign_in(None).await.status, Status::Ok);
    std::mem::swap(&mut phone.authenticator, &mut laptop.authenticator);
    // Each is seen at its first request after signing in.
    assert!(laptop.me().await.is_some() && phone.me().await.is_some());
    (laptop, phone)
}

fn passkeys(app: &TestApp) -> &Passkeys {
    app.client
        .rocket()
        .state::<Passkeys>()
        .expect("the fairing")
}

/// A DELETE from another site's page.
async fn delete_from(browser: &mut Browser<'_>, path: &str, origin: &str) -> support::Answer {
    let own = std::mem::replace(&mut browser.origin, origin.into());
    let answer = browser.delete(path).await;
    browser.origin = own;
    answer
}

#[rocket::async_test]
async fn people_see_each_session_with_its_device_its_sign_in_and_when_it_was_seen() {
    let app = TestApp::new().await;
    let (mut laptop, mut phone) = two_devices(&app).await;

    let list = sessions(&mut laptop).await;
    assert_eq!(list.len(), 2, "{list:?}");
    let own: Vec<&Value> = list.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(own.len(), 1, "exactly one is this device: {list:?}");
    assert_eq!(own[0]["device"], "Firefox on Linux");
    let phone_row = other(&list);
    assert_eq!(phone_row["device"], "Chrome on Windows 10");
    for session in &list {
        assert_eq!(session["factors"], json!(["passkey"]));
        assert!(
            session["passkey"].as_str().is_some_and(|n| !n.is_empty()),
            "the passkey that signed it in is named: {session:?}"
        );
        for time in ["created_at", "last_seen_at", "expires_at"] {
            assert!(
                session[time].as_str().is_some_and(|t| t.ends_with('Z')),
                "{time}"
            );
        }
    }
    // The phone's own list marks the phone's session as current.
    let from_phone = sessions(&mut phone).await;
    assert_eq!(other(&from_phone)["device"], "Firefox on Linux");

    // Last seen is written at most every five minutes.
    let seen = |list: &[Value]| other(list)["last_seen_at"].as_str().map(str::to_string);
    let before = seen(&sessions(&mut laptop).await);
    app.clock.advance(Duration::from_secs(120));
    phone.me().await.expect("signed in");
    assert_eq!(
        seen(&sessions(&mut laptop).await),
        before,
        "two minutes: not written"
    );
    app.clock.advance(Duration::from_secs(240));
    phone.me().await.expect("signed in");
    assert_ne!(
        seen(&sessions(&mut laptop).await),
        before,
        "six minutes: written"
    );

    // The manage screen shows the same.
    let screen = laptop.get("/passkeys/manage").await;
    let html = screen.body.as_str().expect("HTML");
    assert!(
        html.contains("Where you&#x27;re signed in") || html.contains("Where you're signed in")
    );
    assert!(html.contains("Chrome on Windows 10") && html.contains("This device"));
    assert!(html.contains("Sign out everywhere else"));
}

#[rocket::async_test]
async fn ending_another_session_signs_that_browser_out_at_its_next_request() {
    let events = Recorder::default();
    let app = TestApp::with_events(config(), events.clone()).await;
    let (mut laptop, mut phone) = two_devices(&app).await;
    let phone_id = id_of(other(&sessions(&mut laptop).await));
    events.take();

    let ended = laptop
        .delete(&format!("/passkeys/sessions/{phone_id}"))
        .await;
    assert_eq!(ended.status, Status::Ok, "{:?}", ended.body);
    assert_eq!(
        ended.body,
        json!({ "ended": phone_id, "signed_out": false })
    );
    assert_eq!(phone.me().await, None, "the phone is signed out");
    assert!(laptop.me().await.is_some(), "the laptop stays");
    assert_eq!(sessions(&mut laptop).await.len(), 1);
    let ended_events: Vec<Event> = events.take();
    assert!(
        matches!(
            &ended_events[..],
            [Event::SessionsEnded {
                count: 1,
                by: "user",
                ..
            }]
        ),
        "{ended_events:?}"
    );
    let again = laptop
        .delete(&format!("/passkeys/sessions/{phone_id}"))
        .await;
    again.assert_error(Status::NotFound, "not_found");
}

#[rocket::async_test]
async fn sign_out_everywhere_else_keeps_only_this_session() {
    let app = TestApp::new().await;
    let (mut laptop, mut phone) = two_devices(&app).await;
    let mut tablet = app.browser();
    std::mem::swap(&mut tablet.authenticator, &mut laptop.authenticator);
    assert_eq!(tablet.sign_in(None).await.status, Status::Ok);
    std::mem::swap(&mut tablet.authenticator, &mut laptop.authenticator);
    assert_eq!(sessions(&mut laptop).await.len(), 3);

    let ended = laptop.delete("/passkeys/sessions/others").await;
    assert_eq!(ended.status, Status::Ok, "{:?}", ended.body);
    assert_eq!(ended.body, json!({ "ended": 2 }));
    assert_eq!((phone.me().await, tablet.me().await), (None, None));
    assert!(laptop.me().await.is_some());
    let alone = laptop.delete("/passkeys/sessions/others").await;
    assert_eq!(alone.body, json!({ "ended": 0 }), "nothing else to end");
}

#[rocket::async_test]
async fn ending_ones_own_session_is_a_sign_out_and_needs_no_recent_sign_in() {
    let app = TestApp::new().await;
    let (mut laptop, mut phone) = two_devices(&app).await;
    app.clock.advance(Duration::from_secs(3600));
    let own = sessions(&mut laptop).await;
    let own = own.iter().find(|s| s["current"] == true).expect("own");
    let ended = laptop
        .delete(&format!("/passkeys/sessions/{}", id_of(own)))
        .await;
    assert_eq!(ended.status, Status::Ok, "{:?}", ended.body);
    assert_eq!(ended.body["signed_out"], true);
    assert_eq!(ended.body["redirect"], "/");
    assert!(
        ended
            .set_cookies
            .iter()
            .any(|c| c.starts_with("passkeys_session=;")),
        "the cookie goes: {:?}",
        ended.set_cookies
    );
    assert_eq!(laptop.me().await, None);
    assert!(phone.me().await.is_some(), "the other device stays");
}

#[rocket::async_test]
async fn refused_session_requests_end_nothing() {
    let app = TestApp::new().await;
    let (mut laptop, mut phone) = two_devices(&app).await;
    let mut mallory = app.browser();
    assert_eq!(mallory.sign_up("mallory").await.status, Status::Ok);
    let phone_id = id_of(other(&sessions(&mut laptop).await));
    let mallory_id = id_of(&sessions(&mut mallory).await[0]);
    let before = app.snapshot().await;

    // Signed out.
    let mut stranger = app.browser();
    stranger
        .get("/passkeys/sessions")
        .await
        .assert_error(Status::Unauthorized, "unauthorized");
    let path = format!("/passkeys/sessions/{phone_id}");
    stranger
        .delete(&path)
        .await
        .assert_error(Status::Unauthorized, "unauthorized");
    stranger
        .delete("/passkeys/sessions/others")
        .await
        .assert_error(Status::Unauthorized, "unauthorized");
    // From another site's page, even with the session's cookie.
    delete_from(&mut laptop, &path, "https://evil.example")
        .await
        .assert_error(Status::Forbidden, "forbidden");
    delete_from(
        &mut laptop,
        "/passkeys/sessions/others",
        "https://evil.example",
    )
    .await
    .assert_error(Status::Forbidden, "forbidden");
    // Another account's session, and ids that are no session at all: one answer.
    for id in [
        mallory_id.as_str(),
        "AAAAAAAAAAAAAAAAAAAAAA",
        "not-base64!",
        "c2hvcnQ",
    ] {
        let answer = laptop.delete(&format!("/passkeys/sessions/{id}")).await;
        answer.assert_error(Status::NotFound, "not_found");
    }
    // A sign-in older than reauth_max_age (10 minutes) may not end other devices.
    app.clock.advance(Duration::from_secs(11 * 60));
    laptop
        .delete(&path)
        .await
        .assert_error(Status::Forbidden, "reauth_required");
    laptop
        .delete("/passkeys/sessions/others")
        .await
        .assert_error(Status::Forbidden, "reauth_required");

    assert_eq!(app.snapshot().await, before, "nothing was written");
    assert!(phone.me().await.is_some() && mallory.me().await.is_some());
    assert_eq!(sessions(&mut laptop).await.len(), 2);

    // After signing in again, it may.
    assert_eq!(laptop.sign_in(None).await.status, Status::Ok);
    let phone_id = id_of(other(&sessions(&mut laptop).await));
    let ended = laptop
        .delete(&format!("/passkeys/sessions/{phone_id}"))
        .await;
    assert_eq!(ended.status, Status::Ok, "{:?}", ended.body);
    assert_eq!(phone.me().await, None);
}

#[rocket::async_test]
async fn the_manage_screen_ends_sessions_without_javascript() {
    let app = TestApp::new().await;
    let (mut laptop, mut phone) = two_devices(&app).await;
    let phone_id = id_of(other(&sessions(&mut laptop).await));
    let form = format!("/passkeys/sessions/{phone_id}/end");
    let screen = laptop.get("/passkeys/manage").await;
    assert!(
        screen
            .body
            .as_str()
            .expect("HTML")
            .contains(&format!("action=\"{form}\"")),
        "the screen has the form"
    );

    // Stale: back to the screen, which says what to do; nothing ends.
    app.clock.advance(Duration::from_secs(11 * 60));
    let (status, location) = laptop.post_form(&form).await;
    assert_eq!(
        (status, location.as_str()),
        (Status::SeeOther, "/passkeys/manage?notice=reauth_required")
    );
    assert!(phone.me().await.is_some());
    let notice = laptop.get("/passkeys/manage?notice=reauth_required").await;
    assert!(notice
        .body
        .as_str()
        .expect("HTML")
        .contains("sign in again first"));
    // An unknown notice shows nothing.
    let odd = laptop.get("/passkeys/manage?notice=%3Cscript%3E").await;
    assert!(!odd.body.as_str().expect("HTML").contains("passkeys-notice"));

    // From another site: refused, as JSON.
    let own = std::mem::replace(&mut laptop.origin, "https://evil.example".into());
    let (status, _) = laptop.post_form(&form).await;
    laptop.origin = own;
    assert_eq!(status, Status::Forbidden);
    assert!(phone.me().await.is_some());

    assert_eq!(laptop.sign_in(None).await.status, Status::Ok);
    let phone_id = id_of(other(&sessions(&mut laptop).await));
    let (status, location) = laptop
        .post_form(&format!("/passkeys/sessions/{phone_id}/end"))
        .await;
    assert_eq!(
        (status, location.as_str()),
        (Status::SeeOther, "/passkeys/manage#passkeys-sessions")
    );
    assert_eq!(phone.me().await, None, "ended by the form");

    // "Sign out everywhere else", and the own session's form is a sign-out.
    let mut phone = app.browser();
    std::mem::swap(&mut phone.authenticator, &mut laptop.authenticator);
    assert_eq!(phone.sign_in(None).await.status, Status::Ok);
    std::mem::swap(&mut phone.authenticator, &mut laptop.authenticator);
    let (status, _) = laptop.post_form("/passkeys/sessions/others/end").await;
    assert_eq!(status, Status::SeeOther);
    assert_eq!(phone.me().await, None);
    let own = id_of(&sessions(&mut laptop).await[0]);
    let (status, location) = laptop
        .post_form(&format!("/passkeys/sessions/{own}/end"))
        .await;
    assert_eq!((status, location.as_str()), (Status::SeeOther, "/"));
    assert_eq!(laptop.me().await, None);
}

#[rocket::async_test]
async fn the_admin_api_lists_revokes_and_ends_through_the_store_and_its_cache() {
    let events = Recorder::default();
    let app = TestApp::with_events(config(), events.clone()).await;
    let (mut laptop, mut phone) = two_devices(&app).await;
    let user_id = laptop.me().await.expect("signed in")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let admin = passkeys(&app).admin();

    let keys = admin.passkeys(&user_id).await.expect("the passkeys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].id, laptop.credential_ids()[0]);
    let listed = admin.sessions(&user_id).await.expect("the sessions");
    assert_eq!(listed.len(), 2);
    assert!(
        listed.iter().all(|s| !s.current),
        "an admin has no current session"
    );
    let mut devices: Vec<&str> = listed.iter().map(|s| s.device.as_str()).collect();
    devices.sort_unstable();
    assert_eq!(devices, ["Chrome on Windows 10", "Firefox on Linux"]);

    // Unknown users and ids: not found, and nothing changed.
    let before = app.snapshot().await;
    for (result, what) in [
        (
            admin.passkeys("nobody").await.map(|_| ()),
            "passkeys of nobody",
        ),
        (
            admin.sessions("nobody").await.map(|_| ()),
            "sessions of nobody",
        ),
        (
            admin.revoke_passkey(&user_id, "AAAA", true).await,
            "an unknown passkey",
        ),
        (
            admin.revoke_passkey(&user_id, "%%", true).await,
            "a malformed id",
        ),
        (
            admin.end_session(&user_id, "AAAAAAAAAAAAAAAAAAAAAA").await,
            "an unknown session",
        ),
        (
            admin.end_sessions("nobody").await.map(|_| ()),
            "sessions of nobody",
        ),
    ] {
        let e = result.expect_err(what);
        assert_eq!(e.code(), ErrorCode::NotFound, "{what}: {e:?}");
    }
    assert_eq!(app.snapshot().await, before, "nothing changed");

    // One session, by id.
    let phone_id = listed
        .iter()
        .find(|s| s.device.starts_with("Chrome"))
        .expect("phone")
        .id
        .clone();
    events.take();
    admin.end_session(&user_id, &phone_id).await.expect("ended");
    assert_eq!(phone.me().await, None);
    assert!(laptop.me().await.is_some());

    // The last passkey: refused unless asked for; then its sessions end and it no longer
    // signs in (the sign-in path reads through the cache).
    let key = &keys[0].id;
    let refused = admin
        .revoke_passkey(&user_id, key, false)
        .await
        .expect_err("last");
    assert_eq!(refused.code(), ErrorCode::LastPasskey);
    assert!(laptop.me().await.is_some(), "nothing changed");
    admin
        .revoke_passkey(&user_id, key, true)
        .await
        .expect("revoked");
    assert_eq!(laptop.me().await, None, "the sessions it opened end");
    assert!(admin.passkeys(&user_id).await.expect("list").is_empty());
    let after = laptop.sign_in(None).await;
    after.assert_error(Status::Unauthorized, "authentication_failed");
    let seen = events.take();
    assert!(seen.iter().any(|e| matches!(
        e,
        Event::SessionsEnded {
            by: "admin",
            count: 1,
            ..
        }
    )));
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::PasskeyRevoked { .. })),
        "{seen:?}"
    );

    // Every session of a user.
    let mut bob = app.browser();
    assert_eq!(bob.sign_up("bob").await.status, Status::Ok);
    let bob_id = bob.me().await.expect("bob")["id"]
        .as_str()
        .expect("id")
        .to_string();
    assert_eq!(admin.end_sessions(&bob_id).await.expect("ended"), 1);
    assert_eq!(bob.me().await, None);
    assert_eq!(admin.end_sessions(&bob_id).await.expect("none left"), 0);
}

#[rocket::async_test]
async fn an_admin_on_one_instance_revokes_for_every_instance() {
    if !support::on_postgres() {
        eprintln!("SKIPPED: several instances share PostgreSQL only (built without `postgres`)");
        return;
    }
    let app = TestApp::with(support::config_for_instances()).await;
    let other = support::instance(&app, support::config_for_instances()).await;
    let mut laptop = app.browser();
    assert_eq!(laptop.sign_up("ada").await.status, Status::Ok);
    let user_id = laptop.me().await.expect("in")["id"]
        .as_str()
        .expect("id")
        .to_string();
    let key = laptop.credential_ids()[0].clone();
    // The other instance signs Ada in (and reads her passkey) before the revocation.
    let mut elsewhere = Browser::new(&other);
    std::mem::swap(&mut elsewhere.authenticator, &mut laptop.authenticator);
    assert_eq!(elsewhere.sign_in(None).await.status, Status::Ok);
    let admin = other.rocket().state::<Passkeys>().expect("fairing").admin();
    admin
        .revoke_passkey(&user_id, &key, true)
        .await
        .expect("revoked");
    assert_eq!(laptop.me().await, None, "the first instance sees it");
    assert_eq!(elsewhere.me().await, None);
    std::mem::swap(&mut elsewhere.authenticator, &mut laptop.authenticator);
    laptop
        .sign_in(None)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
}

#[rocket::async_test]
async fn a_password_session_lists_and_ends_sessions_too() {
    let app = TestApp::with(Config { ..config() }).await;
    let mut desk = app.browser();
    desk.user_agent = Some(FIREFOX.into());
    let (status, _) = desk.password_sign_in("u1", "/").await;
    assert_eq!(status, Status::SeeOther);
    let mut home = app.browser();
    home.password_sign_in("u1", "/").await;
    let list = sessions(&mut desk).await;
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(list
        .iter()
        .all(|s| s["factors"] == json!(["password"]) && s["passkey"].is_null()));
    let screen = desk.get("/passkeys/manage").await;
    assert!(screen
        .body
        .as_str()
        .expect("HTML")
        .contains("Signed in with a password"));
    let ended = desk.delete("/passkeys/sessions/others").await;
    assert_eq!(ended.body, json!({ "ended": 1 }));
    assert_eq!(home.me().await, None);
}

#[rocket::async_test]
async fn a_password_alone_sees_and_ends_only_its_own_session_on_a_two_factor_account() {
    let app = TestApp::new().await;
    // The owner: a password and a one-time code, signed in with both.
    let mut owner = app.browser();
    let (status, _) = owner
        .post_form("/login?id=u1&name=ada&next=/&otp=true&mfa=true")
        .await;
    assert_eq!(status, Status::SeeOther);
    // Someone with the password only: one factor of the account's two.
    let mut thief = app.browser();
    let (status, _) = thief
        .post_form("/login?id=u1&name=ada&next=/&otp=false&mfa=true")
        .await;
    assert_eq!(status, Status::SeeOther);
    let before = app.snapshot().await;

    thief
        .get("/passkeys/sessions")
        .await
        .assert_error(Status::Forbidden, "factor_required");
    thief
        .delete("/passkeys/sessions/others")
        .await
        .assert_error(Status::Forbidden, "factor_required");
    let owners = sessions(&mut owner).await;
    let owner_id = id_of(owners.iter().find(|s| s["current"] == true).expect("own"));
    thief
        .delete(&format!("/passkeys/sessions/{owner_id}"))
        .await
        .assert_error(Status::Forbidden, "factor_required");
    let (status, location) = thief.post_form("/passkeys/sessions/others/end").await;
    assert_eq!(
        (status, location.as_str()),
        (Status::SeeOther, "/passkeys/manage?notice=factor_required")
    );
    assert_eq!(app.snapshot().await, before, "nothing ended");
    assert!(owner.me().await.is_some());
    // The screen shows the thief its own session only, and says why.
    let screen = thief.get("/passkeys/manage").await;
    let html = screen.body.as_str().expect("HTML");
    assert_eq!(html.matches("data-session-id=").count(), 1, "its own only");
    assert!(html.contains("passkeys-sessions-limited"));
    // Its own session it may end: a sign-out.
    let own = format!(
        "/passkeys/sessions/{}",
        id_of(
            owners
                .iter()
                .find(|s| s["current"] == false)
                .expect("thief's")
        )
    );
    let ended = thief.delete(&own).await;
    assert_eq!(ended.status, Status::Ok, "{:?}", ended.body);
    assert_eq!(thief.me().await, None);
    assert!(owner.me().await.is_some());
}
