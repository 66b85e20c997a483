//! Native apps: Android app origins accepted only when configured, and the association
//! files (`assetlinks.json`, `apple-app-site-association`) served from configuration.

use rocket_passkeys_testkit as support;

use rocket::http::Status;
use rocket_passkeys::{AndroidApp, Config};
use serde_json::{json, Value};
use support::softkey::{SoftKey, Tamper};
use support::{config, Browser, TestApp};

const APP_ORIGIN: &str = "android:apk-key-hash:qnJwZm9CUOzKBrWhu4l6tpZ3lCL_K6v9lJbh38wUB7c";
const OTHER_APP: &str = "android:apk-key-hash:AAAAZm9CUOzKBrWhu4l6tpZ3lCL_K6v9lJbh38wUB7c";
const FINGERPRINT: &str = "aa:72:70:66:6f:42:50:ec:ca:06:b5:a1:bb:89:7a:b6:\
                           96:77:94:22:ff:2b:ab:fd:94:96:e1:df:cc:14:07:b7";

fn with_apps() -> Config {
    Config {
        android_origins: vec![APP_ORIGIN.into()],
        android_apps: vec![AndroidApp {
            package_name: "com.example.app".into(),
            sha256_cert_fingerprints: vec![FINGERPRINT.into()],
        }],
        apple_app_ids: vec!["ABCDE12345.com.example.app".into()],
        ..config()
    }
}

/// A native app's request: no `Origin` header (it is not a web page).
fn app_client(app: &TestApp) -> Browser<'_> {
    let mut browser = app.browser();
    browser.origin = String::new();
    browser
}

async fn sign_up_from(app: &TestApp, key: &mut SoftKey, name: &str) -> support::Answer {
    let mut client = app.browser();
    let start = client
        .post("/passkeys/register/start", &json!({ "username": name }))
        .await;
    assert_eq!(start.status, Status::Ok, "{:?}", start.body);
    let body = key.register(&start.body, &Tamper::default());
    client.post("/passkeys/register/finish", &body).await
}

#[rocket::async_test]
async fn an_android_app_signs_up_and_in_when_its_origin_is_configured() {
    let app = TestApp::with(with_apps()).await;
    let mut key = SoftKey::random();
    key.origin = APP_ORIGIN.into();
    let answer = sign_up_from(&app, &mut key, "ada").await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert!(answer.sets_session());

    let mut client = app.browser();
    let start = client
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let body = key.assert(&start.body, &Tamper::default());
    let signed_in = client.post("/passkeys/authenticate/finish", &body).await;
    assert_eq!(signed_in.status, Status::Ok, "{:?}", signed_in.body);
    assert!(client.me().await.is_some());

    // Another app's signature, and the same app on a site that did not list it.
    let before = app.snapshot().await;
    let start = client
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    key.origin = OTHER_APP.into();
    let body = key.assert(&start.body, &Tamper::default());
    client
        .post("/passkeys/authenticate/finish", &body)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(app.snapshot().await, before, "nothing written");
}

#[rocket::async_test]
async fn without_configuration_an_android_origin_is_refused_and_nothing_served() {
    let app = TestApp::new().await;
    let before = app.snapshot().await;
    let mut key = SoftKey::random();
    key.origin = APP_ORIGIN.into();
    sign_up_from(&app, &mut key, "ada")
        .await
        .assert_error(Status::BadRequest, "registration_failed");
    assert_eq!(app.snapshot().await, before, "nothing written");
    let mut client = app_client(&app);
    for path in [
        "/.well-known/assetlinks.json",
        "/.well-known/apple-app-site-association",
    ] {
        assert_eq!(client.get(path).await.status, Status::NotFound, "{path}");
    }
}

#[rocket::async_test]
async fn the_association_files_list_the_configured_apps() {
    let app = TestApp::with(with_apps()).await;
    let mut client = app_client(&app);
    let links = client.get("/.well-known/assetlinks.json").await;
    assert_eq!(links.status, Status::Ok);
    assert_eq!(links.content_type.as_deref(), Some("application/json"));
    let expected: Value = json!([{
        "relation": ["delegate_permission/common.get_login_creds"],
        "target": {
            "namespace": "android_app",
            "package_name": "com.example.app",
            "sha256_cert_fingerprints": [FINGERPRINT.to_ascii_uppercase()],
        }
    }]);
    assert_eq!(links.body, expected);
    let apple = client.get("/.well-known/apple-app-site-association").await;
    assert_eq!(apple.status, Status::Ok);
    assert_eq!(apple.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        apple.body,
        json!({ "webcredentials": { "apps": ["ABCDE12345.com.example.app"] } })
    );
    // Related origins stay off: their file is not served.
    let related = client.get("/.well-known/webauthn").await;
    assert_eq!(related.status, Status::NotFound);
}
