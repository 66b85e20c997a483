//! A passkey on this device after a sign-in with another device's passkey (a phone, over
//! hybrid transport): offered with the invitation's rules (skip, remind after, never),
//! never after a sign-in with this device's own passkey.

use rocket_passkeys_testkit as support;

use std::time::Duration;

use rocket::http::Status;
use rocket_passkeys::{Config, Passkeys};
use serde_json::{json, Value};
use support::{config, Browser, TestApp};

const DAY: Duration = Duration::from_secs(86_400);
const HERE: &str = "/passkeys/enroll/here?next=%2Fhome";

fn enrolling() -> Config {
    Config {
        progressive_enrollment: true,
        ..config()
    }
}

/// Signs in with the browser's passkey as coming from `attachment` (`platform`,
/// `cross-platform`, or none said); answers where the finish sends the browser.
async fn sign_in_from(browser: &mut Browser<'_>, attachment: Option<&str>) -> String {
    let start = browser
        .post("/passkeys/authenticate/start", &json!({ "next": "/home" }))
        .await;
    assert_eq!(start.status, Status::Ok, "{:?}", start.body);
    let mut assertion = browser.get_assertion(&start.body).await;
    match attachment {
        Some(a) => assertion["authenticatorAttachment"] = Value::from(a),
        None => {
            if let Some(fields) = assertion.as_object_mut() {
                fields.remove("authenticatorAttachment");
            }
        }
    }
    let done = browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await;
    assert_eq!(done.status, Status::Ok, "{:?}", done.body);
    done.body["redirect"]
        .as_str()
        .expect("a redirect")
        .to_string()
}

/// Ada signed up on her phone; a browser on her laptop that signs in with the phone.
async fn laptop(app: &TestApp) -> Browser<'_> {
    let mut phone = app.browser();
    assert_eq!(phone.sign_up("ada").await.status, Status::Ok);
    let mut laptop = app.browser();
    laptop.authenticator = std::mem::replace(&mut phone.authenticator, support::authenticator());
    laptop
}

#[rocket::async_test]
async fn a_phone_sign_in_offers_a_passkey_here_with_the_invitations_rules() {
    let app = TestApp::with(enrolling()).await;
    let mut laptop = laptop(&app).await;
    assert_eq!(
        sign_in_from(&mut laptop, Some("cross-platform")).await,
        HERE
    );
    let page = laptop.get(HERE).await;
    let html = page.body.as_str().expect("the offer");
    assert!(html.contains("Create a passkey on this device?"), "{html}");
    assert!(html.contains("data-passkey-action=\"register\""));
    let stats = app
        .client
        .rocket()
        .state::<Passkeys>()
        .expect("fairing")
        .enrollment_stats();
    assert_eq!(
        stats.await.expect("stats").prompted,
        1,
        "counted as prompted"
    );

    // "Not now": the next phone sign-in goes straight on, until two weeks have passed.
    let skipped = laptop
        .post("/passkeys/enroll/skip", &json!({ "next": "/home" }))
        .await;
    assert_eq!(skipped.status, Status::Ok, "{:?}", skipped.body);
    assert_eq!(
        sign_in_from(&mut laptop, Some("cross-platform")).await,
        "/home"
    );
    app.clock.advance(13 * DAY);
    assert_eq!(
        sign_in_from(&mut laptop, Some("cross-platform")).await,
        "/home"
    );
    app.clock.advance(DAY);
    assert_eq!(
        sign_in_from(&mut laptop, Some("cross-platform")).await,
        HERE
    );
    // "Don't ask again" is for good.
    let never = laptop
        .post("/passkeys/enroll/never", &json!({ "next": "/home" }))
        .await;
    assert_eq!(never.status, Status::Ok);
    app.clock.advance(400 * DAY);
    assert_eq!(
        sign_in_from(&mut laptop, Some("cross-platform")).await,
        "/home"
    );
}

#[rocket::async_test]
async fn this_devices_own_passkey_and_a_closed_invitation_go_straight_on() {
    let app = TestApp::with(enrolling()).await;
    let mut laptop = laptop(&app).await;
    assert_eq!(sign_in_from(&mut laptop, Some("platform")).await, "/home");
    assert_eq!(sign_in_from(&mut laptop, None).await, "/home");
    assert_eq!(
        sign_in_from(&mut laptop, Some("something-else")).await,
        "/home"
    );

    let closed = TestApp::new().await;
    let mut laptop = self::laptop(&closed).await;
    assert_eq!(
        sign_in_from(&mut laptop, Some("cross-platform")).await,
        "/home"
    );
}

#[rocket::async_test]
async fn the_offer_adds_a_passkey_for_this_device() {
    let app = TestApp::with(enrolling()).await;
    let mut laptop = laptop(&app).await;
    assert_eq!(
        sign_in_from(&mut laptop, Some("cross-platform")).await,
        HERE
    );
    // The laptop's own authenticator (the phone's passkey stays with the phone).
    let phone = std::mem::replace(&mut laptop.authenticator, support::authenticator());
    let added = laptop.add_passkey().await;
    assert_eq!(added.status, Status::Ok, "{:?}", added.body);
    let list = laptop.get("/passkeys/credentials").await;
    assert_eq!(list.body["credentials"].as_array().map(Vec::len), Some(2));
    drop(phone);
    // Signed out, the page sends to sign-in first.
    let mut stranger = app.browser();
    let page = stranger.get(HERE).await;
    assert_eq!(page.status, Status::SeeOther);
}
