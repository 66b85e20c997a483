//! Launch-time checks: a bad configuration or a missing fairing stops the launch, with
//! one sentence naming the key.

use rocket::error::ErrorKind;
use rocket::figment::Figment;
use rocket::local::asynchronous::Client;
use rocket::{get, routes};
use rocket_passkeys::{Config, PasskeyUser, Passkeys};

fn figment(dir: &tempfile::TempDir) -> Figment {
    let db = dir.path().join("passkeys.sqlite");
    rocket::Config::figment()
        .merge((
            "databases.passkeys.url",
            format!("sqlite://{}", db.display()),
        ))
        .merge(("log_level", "off"))
        .merge(("secret_key", [7u8; 64].to_vec()))
}

/// The launch fails in the named fairing (reading the error marks it handled).
async fn assert_fails(rocket: rocket::Rocket<rocket::Build>, fairing: &str, case: &str) {
    let Err(error) = Client::untracked(rocket).await else {
        panic!("{case}: it launched");
    };
    match error.kind() {
        ErrorKind::FailedFairings(failed) => {
            assert!(
                failed.iter().any(|f| f.name == fairing),
                "{case}: {failed:?}"
            )
        }
        other => panic!("{case}: unexpected launch error: {other}"),
    }
}

/// A well-formed SHA-256 fingerprint, for the bad configurations that are bad elsewhere.
const FINGERPRINT: &str = "AA:72:70:66:6F:42:50:EC:CA:06:B5:A1:BB:89:7A:B6:\
                           96:77:94:22:FF:2B:AB:FD:94:96:E1:DF:CC:14:07:B7";

fn bad_configs() -> Vec<(&'static str, Figment)> {
    let base = Figment::new();
    vec![
        (
            "passkeys.origins",
            base.clone()
                .merge(("passkeys.rp_id", "example.com"))
                .merge(("passkeys.origins", ["https://example.org"])),
        ),
        (
            "passkeys.origins",
            base.clone()
                .merge(("passkeys.rp_id", "example.com"))
                .merge(("passkeys.origins", ["http://example.com"])),
        ),
        (
            "passkeys.origins",
            base.clone()
                .merge(("passkeys.rp_id", "example.com"))
                .merge(("passkeys.origins", ["https://evil-example.com"])),
        ),
        (
            "passkeys.origins",
            base.clone()
                .merge(("passkeys.origins", ["https://localhost/path"])),
        ),
        (
            "passkeys.rp_id",
            base.clone()
                .merge(("passkeys.rp_id", "https://example.com")),
        ),
        (
            "passkeys.rp_id",
            base.clone().merge(("passkeys.rp_id", "127.0.0.1")),
        ),
        (
            "passkeys.rp_id",
            base.clone().merge(("passkeys.rp_id", "Example.com")),
        ),
        (
            "passkeys.mount",
            base.clone().merge(("passkeys.mount", "passkeys")),
        ),
        (
            "passkeys.mount",
            base.clone().merge(("passkeys.mount", "/pass keys")),
        ),
        (
            "passkeys.resident_key",
            base.clone().merge(("passkeys.resident_key", "discouraged")),
        ),
        (
            "passkeys.user_verification",
            base.clone()
                .merge(("passkeys.user_verification", "discouraged")),
        ),
        (
            "passkeys.after_sign_in",
            base.clone()
                .merge(("passkeys.after_sign_in", "https://evil.example/")),
        ),
        (
            "passkeys.ceremony_timeout",
            base.clone().merge(("passkeys.ceremony_timeout", "0s")),
        ),
        (
            "passkeys.rate_limit",
            base.clone().merge(("passkeys.rate_limit.burst", 0)),
        ),
        (
            "passkeys.body_limit",
            base.clone().merge(("passkeys.body_limit", "10 MiB")),
        ),
        (
            "passkeys.body_timeout",
            base.clone().merge(("passkeys.body_timeout", "0s")),
        ),
        (
            "passkeys.body_timeout",
            base.clone().merge(("passkeys.body_timeout", "11m")),
        ),
        (
            "passkeys.session_ttl",
            base.clone()
                .merge(("passkeys.session_ttl", "100000000000d")),
        ),
        (
            "passkeys.session_ttl",
            base.clone().merge(("passkeys.session_ttl", "401d")),
        ),
        (
            "passkeys.ceremony_timeout",
            base.clone().merge(("passkeys.ceremony_timeout", "61m")),
        ),
        (
            "passkeys.remind_after",
            base.clone().merge(("passkeys.remind_after", "3651d")),
        ),
        (
            "passkeys.reauth_max_age",
            base.clone()
                .merge(("passkeys.reauth_max_age", "9999999999999")),
        ),
        (
            "passkeys.templates_dir",
            base.clone()
                .merge(("passkeys.templates_dir", "/no/such/dir")),
        ),
        (
            "passkeys.trusted_proxy_header",
            base.clone()
                .merge(("passkeys.trusted_proxy_header", "X Real IP")),
        ),
        (
            "passkeys.hints.register",
            base.clone()
                .merge(("passkeys.hints.register", ["platform"])),
        ),
        (
            "passkeys.hints.authenticate",
            base.clone()
                .merge(("passkeys.hints.authenticate", "hybrid, hybrid")),
        ),
        (
            "passkeys.android_origins",
            base.clone()
                .merge(("passkeys.android_origins", ["android:apk-key-hash:short"])),
        ),
        (
            "passkeys.auto_upgrade",
            base.clone().merge(("passkeys.auto_upgrade", true)),
        ),
        (
            "passkeys.android_origins",
            base.clone()
                .merge(("passkeys.android_origins", ["https://example.com"])),
        ),
        (
            "passkeys.android_apps",
            base.clone().merge((
                "passkeys.android_apps",
                [serde_json::json!({
                    "package_name": "app",
                    "sha256_cert_fingerprints": [FINGERPRINT],
                })],
            )),
        ),
        (
            "passkeys.android_apps",
            base.clone().merge((
                "passkeys.android_apps",
                [serde_json::json!({
                    "package_name": "com.example.app",
                    "sha256_cert_fingerprints": ["AB:CD"],
                })],
            )),
        ),
        (
            "passkeys.android_apps",
            base.clone().merge((
                "passkeys.android_apps",
                [serde_json::json!({
                    "package_name": "com.example.app",
                    "sha256_cert_fingerprints": [],
                })],
            )),
        ),
        (
            "passkeys.apple_app_ids",
            base.clone()
                .merge(("passkeys.apple_app_ids", "com.example.app")),
        ),
        (
            "passkeys.apple_app_ids",
            base.clone()
                .merge(("passkeys.apple_app_ids", ["abcde12345.com.example.app"])),
        ),
    ]
}

#[test]
fn each_bad_value_is_named() {
    for (key, figment) in bad_configs() {
        let config = Config::from_figment(&figment).expect("it parses");
        let error = config.validate().expect_err(key);
        assert_eq!(error.key(), key, "{error}");
        let sentence = error.to_string();
        assert!(sentence.starts_with(&format!("`{key}`")), "{sentence}");
        assert!(!sentence.contains('\n'), "one sentence: {sentence}");
    }
}

#[test]
fn values_of_the_wrong_type_do_not_parse() {
    for figment in [
        Figment::new().merge(("passkeys.sign_up", "maybe")),
        Figment::new().merge(("passkeys.auto_upgrade", "sometimes")),
        Figment::new().merge(("passkeys.session_ttl", "3 fortnights")),
        Figment::new().merge(("passkeys.no_such_key", true)),
    ] {
        let error = Config::from_figment(&figment).expect_err("a bad value");
        assert!(!error.to_string().is_empty());
    }
}

#[rocket::async_test]
async fn recovery_codes_is_a_yes_or_no_named_when_wrong() {
    let wrong = Figment::new().merge(("passkeys.recovery_codes", "sometimes"));
    let error = Config::from_figment(&wrong).expect_err("not a boolean");
    assert!(error.to_string().contains("recovery_codes"), "{error}");
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = figment(&dir).merge(("passkeys.recovery_codes", "sometimes"));
    assert_fails(
        rocket::custom(bad).attach(Passkeys::fairing()),
        "Passkeys",
        "recovery_codes",
    )
    .await;
    // On, it launches and serves the recovery screen.
    let dir = tempfile::tempdir().expect("temp dir");
    let on = figment(&dir).merge(("passkeys.recovery_codes", true));
    let client = Client::untracked(rocket::custom(on).attach(Passkeys::fairing()))
        .await
        .expect("launches");
    assert_eq!(
        client.get("/passkeys/recover").dispatch().await.status(),
        rocket::http::Status::Ok
    );
}

#[rocket::async_test]
async fn a_bad_configuration_stops_the_launch() {
    for (key, bad) in bad_configs() {
        let dir = tempfile::tempdir().expect("temp dir");
        let rocket = rocket::custom(figment(&dir).merge(bad)).attach(Passkeys::fairing());
        assert_fails(rocket, "Passkeys", key).await;
    }
}

#[rocket::async_test]
async fn a_good_configuration_launches_from_rocket_toml_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rocket = rocket::custom(
        figment(&dir)
            .merge(("passkeys.rp_id", "example.com"))
            .merge((
                "passkeys.origins",
                "https://example.com, https://login.example.com",
            ))
            .merge(("passkeys.mount", "/auth/passkeys/"))
            .merge(("passkeys.session_ttl", "12h")),
    )
    .attach(Passkeys::fairing());
    let client = Client::untracked(rocket).await.expect("launches");
    let passkeys = client.rocket().state::<Passkeys>().expect("managed");
    assert_eq!(passkeys.rp_id(), "example.com");
    assert_eq!(passkeys.mount(), "/auth/passkeys");
    let page = client.get("/auth/passkeys/sign-in").dispatch().await;
    assert_eq!(page.status(), rocket::http::Status::Ok);
}

/// Attached twice (a library and the app each attaching it, say), the last fairing
/// configures the app, and its routes are mounted once (twice would be a route
/// collision, which stops the launch).
#[rocket::async_test]
async fn a_fairing_attached_twice_configures_the_app_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = Config {
        mount: "/first".into(),
        ..Config::default()
    };
    let last = Config {
        mount: "/last".into(),
        ..Config::default()
    };
    let rocket = rocket::custom(figment(&dir))
        .attach(Passkeys::custom(first))
        .attach(Passkeys::custom(last));
    let client = Client::untracked(rocket).await.expect("launches");
    let passkeys = client.rocket().state::<Passkeys>().expect("managed");
    assert_eq!(passkeys.mount(), "/last");
    let page = client.get("/last/sign-in").dispatch().await;
    assert_eq!(page.status(), rocket::http::Status::Ok);
    let page = client.get("/first/sign-in").dispatch().await;
    assert_eq!(page.status(), rocket::http::Status::NotFound);
}

#[get("/")]
fn guarded(user: PasskeyUser) -> String {
    user.id().to_string()
}

#[rocket::async_test]
async fn a_guard_without_the_fairing_stops_the_launch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rocket = rocket::custom(figment(&dir)).mount("/", routes![guarded]);
    let Err(error) = Client::untracked(rocket).await else {
        panic!("it launched without the fairing");
    };
    assert!(
        matches!(error.kind(), ErrorKind::SentinelAborts(_)),
        "{error}"
    );
}

#[rocket::async_test]
async fn overridden_templates_are_used_and_bad_ones_stop_the_launch() {
    let templates = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        templates.path().join("sign-in.hbs"),
        "<h1 id=custom>Come in, {{rp_name}}</h1>",
    )
    .expect("write");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        templates_dir: Some(templates.path().to_path_buf()),
        ..Config::default()
    };
    let client =
        Client::untracked(rocket::custom(figment(&dir)).attach(Passkeys::custom(config.clone())))
            .await
            .expect("launches");
    let page = client.get("/passkeys/sign-in").dispatch().await;
    assert_eq!(
        page.into_string().await.as_deref(),
        Some("<h1 id=custom>Come in, localhost</h1>")
    );
    // The sign-up screen was not overridden.
    let page = client.get("/passkeys/sign-up").dispatch().await;
    assert!(page
        .into_string()
        .await
        .unwrap_or_default()
        .contains("data-passkey-action=\"register\""));

    std::fs::write(templates.path().join("sign-up.hbs"), "{{#if}").expect("write");
    let dir = tempfile::tempdir().expect("temp dir");
    let rocket = rocket::custom(figment(&dir)).attach(Passkeys::custom(config));
    assert_fails(rocket, "Passkeys", "a template that does not parse").await;
}

#[rocket::async_test]
async fn a_removed_key_stops_the_launch_and_says_why() {
    let removed = Figment::new().merge(("passkeys.max_pending_ceremonies", 10_000));
    let error = Config::from_figment(&removed).expect_err("a removed key");
    let sentence = error.to_string();
    assert!(
        sentence.contains("`passkeys.max_pending_ceremonies` was removed")
            && sentence.contains("delete the key"),
        "{sentence}"
    );
    assert!(!sentence.contains('\n'), "one sentence: {sentence}");
    let dir = tempfile::tempdir().expect("temp dir");
    let rocket = rocket::custom(figment(&dir).merge(("passkeys.max_pending_ceremonies", 10)))
        .attach(Passkeys::fairing());
    assert_fails(rocket, "Passkeys", "max_pending_ceremonies").await;
}

#[test]
fn a_duration_too_long_is_named_with_its_bound() {
    let figment = Figment::new().merge(("passkeys.session_ttl", "100000000000d"));
    let error = Config::from_figment(&figment)
        .expect("it parses")
        .validate()
        .expect_err("too long");
    assert_eq!(
        error.to_string(),
        "`passkeys.session_ttl` must be at most 400d, not 100000000000d"
    );
}
