//! The metrics the crate records, read back as the examples export them (the Prometheus
//! text format): each counter moves by exactly what the requests did. One test in its
//! own binary, so that nothing else records into the process's recorder meanwhile.

use rocket_passkeys_testkit as support;

use std::collections::BTreeMap;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use rocket::http::Status;
use rocket_passkeys::{Config, RateLimit};
use serde_json::json;
use support::{config, Browser, TestApp};

/// Every sample of the text format, by its name with labels (`name{a="b"}`).
fn samples(handle: &PrometheusHandle) -> BTreeMap<String, f64> {
    handle
        .render()
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            Some((key.to_string(), value.parse().ok()?))
        })
        .collect()
}

/// How much each sample moved between two readings (only those that did).
fn moved(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    after
        .iter()
        .filter(|(key, _)| !key.contains("quantile"))
        .map(|(key, value)| (key.clone(), value - before.get(key).copied().unwrap_or(0.0)))
        .filter(|(_, delta)| *delta != 0.0)
        .collect()
}

#[rocket::async_test]
async fn every_counter_moves_by_what_the_requests_did() {
    let handle = PrometheusBuilder::new()
        .install_recorder()
        .expect("the only recorder of this test binary");
    let limits = Config {
        recovery_codes: true,
        progressive_enrollment: true,
        rate_limit: RateLimit {
            per_minute: 3,
            burst: 3,
            ..Default::default()
        },
        ..config()
    };
    let app = TestApp::with(limits).await;
    let start = samples(&handle);
    // Each browser its own address, so that the small limit is each one's.
    let ip = |n: u8| std::net::IpAddr::from([10, 0, 0, n]);
    let mut ada = Browser::at(&app.client, ip(1));
    let codes = ada.sign_up("ada").await.body["recovery_codes"].clone();
    let mut again = Browser::at(&app.client, ip(2));
    std::mem::swap(&mut again.authenticator, &mut ada.authenticator);
    assert_eq!(again.sign_in(None).await.status, Status::Ok);
    // A sign-in finish with nothing started, and a body from another site.
    let mut odd = Browser::at(&app.client, ip(3));
    let bad = odd.post("/passkeys/authenticate/finish", &json!({})).await;
    assert_eq!(bad.status, Status::BadRequest);
    odd.origin = "https://evil.example".into();
    assert_eq!(
        odd.post("/passkeys/authenticate/start", &json!({}))
            .await
            .status,
        Status::Forbidden
    );
    // Three starts from one address pass, the fourth is limited.
    let mut busy = Browser::at(&app.client, ip(4));
    for _ in 0..3 {
        assert_eq!(
            busy.post("/passkeys/authenticate/start", &json!({}))
                .await
                .status,
            Status::Ok
        );
    }
    let limited = busy.post("/passkeys/authenticate/start", &json!({})).await;
    assert_eq!(limited.status, Status::TooManyRequests);
    // A recovery that fails, one that works; a password sign-in that is invited to
    // enroll and skips; a sign-out; ending every other session.
    let mut lost = Browser::at(&app.client, ip(5));
    let wrong = lost
        .post(
            "/passkeys/recover",
            &json!({ "username": "ada", "code": "AAAA-AAAA-AAAA-AAAA" }),
        )
        .await;
    assert_eq!(wrong.status, Status::Unauthorized);
    let code = codes[0].as_str().expect("a code");
    let right = lost
        .post(
            "/passkeys/recover",
            &json!({ "username": "ada", "code": code }),
        )
        .await;
    assert_eq!(right.status, Status::Ok, "{:?}", right.body);
    let mut carol = Browser::at(&app.client, ip(6));
    let (_, to) = carol.password_sign_in("carol", "/").await;
    assert!(to.starts_with("/passkeys/enroll"), "{to}");
    assert_eq!(carol.get(&to).await.status, Status::Ok);
    assert_eq!(
        carol.post("/passkeys/enroll/skip", &json!({})).await.status,
        Status::Ok
    );
    assert_eq!(carol.sign_out().await.status, Status::Ok);

    // Every metric is described (the exporter writes the description of those it has).
    let help = handle.render();
    for name in [
        "passkeys_ceremonies_started_total",
        "passkeys_ceremonies_finished_total",
        "passkeys_ceremonies_failed_total",
        "passkeys_requests_rate_limited_total",
        "passkeys_requests_refused_total",
        "passkeys_sign_in_duration_seconds",
        "passkeys_sessions_opened_total",
        "passkeys_sessions_ended_total",
        "passkeys_enrollment_total",
        "passkeys_recovery_attempts_total",
    ] {
        assert!(
            help.contains(&format!("# HELP {name} ")),
            "{name} is described"
        );
    }

    let delta = moved(&start, &samples(&handle));
    let expected: BTreeMap<String, f64> = [
        (r#"passkeys_ceremonies_started_total{kind="register"}"#, 1.0),
        (
            r#"passkeys_ceremonies_finished_total{kind="register"}"#,
            1.0,
        ),
        (
            r#"passkeys_ceremonies_started_total{kind="authenticate"}"#,
            4.0,
        ),
        (
            r#"passkeys_ceremonies_finished_total{kind="authenticate"}"#,
            1.0,
        ),
        (
            r#"passkeys_ceremonies_failed_total{kind="authenticate",reason="ceremony_not_found"}"#,
            1.0,
        ),
        (
            r#"passkeys_ceremonies_failed_total{kind="authenticate",reason="forbidden"}"#,
            1.0,
        ),
        (
            r#"passkeys_ceremonies_failed_total{kind="authenticate",reason="rate_limited"}"#,
            1.0,
        ),
        (
            r#"passkeys_requests_rate_limited_total{action="authenticate"}"#,
            1.0,
        ),
        (
            r#"passkeys_requests_refused_total{reason="forbidden"}"#,
            1.0,
        ),
        ("passkeys_sign_in_duration_seconds_count", 1.0),
        (r#"passkeys_sessions_opened_total{method="passkey"}"#, 2.0),
        (
            r#"passkeys_sessions_opened_total{method="recovery_code"}"#,
            1.0,
        ),
        (r#"passkeys_sessions_opened_total{method="password"}"#, 1.0),
        (r#"passkeys_sessions_ended_total{reason="sign_out"}"#, 1.0),
        (r#"passkeys_sessions_ended_total{reason="recovery"}"#, 2.0),
        (r#"passkeys_recovery_attempts_total{outcome="failed"}"#, 1.0),
        (r#"passkeys_recovery_attempts_total{outcome="used"}"#, 1.0),
        (r#"passkeys_enrollment_total{step="prompted"}"#, 1.0),
        (r#"passkeys_enrollment_total{step="skipped"}"#, 1.0),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let mut delta_without_sum = delta.clone();
    let sum = delta_without_sum
        .remove("passkeys_sign_in_duration_seconds_sum")
        .expect("the histogram's sum moved");
    assert!(sum > 0.0 && sum < 5.0, "one sign-in took {sum} s");
    assert_eq!(delta_without_sum, expected);
}
