//! Several app instances on one PostgreSQL database: any instance finishes a ceremony
//! another started, sessions hold on every instance, and concurrent work spread over
//! them loses nothing, duplicates nothing and never lowers a counter.
//!
//! Needs `PASSKEYS_TEST_POSTGRES` (a server url) and the `postgres` feature; otherwise it
//! says it was skipped. `.ci/run` starts a throwaway server and runs it.

use rocket_passkeys_testkit as support;

use rocket::http::Status;
use rocket::local::asynchronous::Client;
use serde_json::json;
use support::softkey::{SoftKey, Tamper};
use support::{config, TestApp};

/// A second instance beside `app`, on the same database.
async fn second_instance(app: &TestApp) -> Client {
    support::instance(app, support::config_for_instances()).await
}

fn skipped() -> bool {
    if support::on_postgres() {
        return false;
    }
    eprintln!("SKIPPED: set PASSKEYS_TEST_POSTGRES and enable the `postgres` feature to run the two-instance tests");
    true
}

#[rocket::async_test]
async fn a_ceremony_started_on_one_instance_finishes_on_the_other() {
    if skipped() {
        return;
    }
    let app = TestApp::with(support::config_for_instances()).await;
    let b = second_instance(&app).await;

    // Sign-up: start on A, finish on B.
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": "ada" }))
        .await;
    let mut key = SoftKey::random();
    let credential = key.register(&start.body, &Tamper::default());
    browser.client = &b;
    let answer = browser.post("/passkeys/register/finish", &credential).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);

    // The session works on both.
    assert!(browser.me().await.is_some(), "on B");
    browser.client = &app.client;
    assert!(browser.me().await.is_some(), "on A");

    // Sign-out on A ends it on B.
    assert_eq!(browser.sign_out().await.status, Status::Ok);
    let mut stale = app.browser();
    stale.cookies = browser.cookies.clone();
    browser.client = &b;
    assert!(browser.me().await.is_none(), "signed out on B too");

    // Sign-in: start on B, finish on A; a replay on B is refused.
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = key.assert(&start.body, &Tamper::default());
    let cookies = browser.cookies.clone();
    browser.client = &app.client;
    let answer = browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    let mut replay = support::Browser::new(&b);
    replay.cookies = cookies;
    replay
        .post("/passkeys/authenticate/finish", &assertion)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
}

#[rocket::async_test]
async fn concurrent_work_over_two_instances_loses_and_duplicates_nothing() {
    if skipped() {
        return;
    }
    let app = TestApp::with(support::config_for_instances()).await;
    let b = second_instance(&app).await;
    let instances = [&app.client, &b];

    // 40 sign-ups, started on one instance and finished on the other, all at once.
    let mut keys: Vec<SoftKey> = (0..40).map(|_| SoftKey::random()).collect();
    let mut started = Vec::new();
    for (i, key) in keys.iter_mut().enumerate() {
        let mut browser = support::Browser::new(instances[i % 2]);
        let start = browser
            .post(
                "/passkeys/register/start",
                &json!({ "username": format!("user{i}") }),
            )
            .await;
        let credential = key.register(&start.body, &Tamper::default());
        browser.client = instances[(i + 1) % 2];
        started.push((browser, credential));
    }
    let answers = support::join_all(
        started
            .iter_mut()
            .map(|(browser, credential)| browser.post("/passkeys/register/finish", credential)),
    )
    .await;
    assert!(
        answers.iter().all(|a| a.status == Status::Ok),
        "every sign-up succeeded"
    );

    // The same credential id registered on both instances at once: exactly one wins.
    let id = rand::random::<[u8; 16]>().to_vec();
    let mut racing = Vec::new();
    for (i, name) in ["twin-a", "twin-b"].iter().enumerate() {
        let mut browser = support::Browser::new(instances[i]);
        let start = browser
            .post("/passkeys/register/start", &json!({ "username": name }))
            .await;
        let credential = SoftKey::new(id.clone()).register(&start.body, &Tamper::default());
        racing.push((browser, credential));
    }
    let answers = support::join_all(
        racing
            .iter_mut()
            .map(|(browser, credential)| browser.post("/passkeys/register/finish", credential)),
    )
    .await;
    assert_eq!(answers.iter().filter(|a| a.status == Status::Ok).count(), 1);
    for a in answers.iter().filter(|a| a.status != Status::Ok) {
        a.assert_error(Status::Conflict, "credential_exists");
    }

    // Sign-ins of one passkey with rising counters, finished out of order on both.
    let key = &mut keys[0];
    let mut pending = Vec::new();
    for counter in (1..=30u32).rev() {
        let mut browser = support::Browser::new(instances[counter as usize % 2]);
        let start = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        key.counter = counter;
        let assertion = key.assert(&start.body, &Tamper::default());
        browser.client = instances[(counter as usize + 1) % 2];
        pending.push((browser, assertion));
    }
    support::join_all(
        pending
            .iter_mut()
            .map(|(browser, assertion)| browser.post("/passkeys/authenticate/finish", assertion)),
    )
    .await;

    let snapshot = app.snapshot().await;
    assert_eq!(snapshot.users, 41, "40 sign-ups and one twin, no duplicate");
    assert_eq!(snapshot.credentials, 41);
    let first = hex(&keys[0].credential_id);
    let stored = snapshot
        .credential_rows
        .iter()
        .find(|row| row.0 == first)
        .expect("the passkey")
        .1;
    assert_eq!(stored, 30, "the highest counter, never lowered");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[rocket::async_test]
async fn instances_share_one_rate_limit_budget_only_when_documented() {
    if skipped() {
        return;
    }
    // Each instance keeps its own limiter (see the README): N instances allow N budgets.
    let limited = rocket_passkeys::Config {
        rate_limit: rocket_passkeys::RateLimit {
            per_minute: 1,
            burst: 2,
            ..Default::default()
        },
        ..config()
    };
    let app = TestApp::with(limited.clone()).await;
    let b = support::instance(&app, limited).await;
    let mut ok = 0;
    for client in [&app.client, &b] {
        let mut browser = support::Browser::new(client);
        for _ in 0..3 {
            if browser
                .post("/passkeys/authenticate/start", &json!({}))
                .await
                .status
                == Status::Ok
            {
                ok += 1;
            }
        }
    }
    assert_eq!(ok, 4, "a burst of 2 on each of 2 instances");
}

#[rocket::async_test]
async fn a_shared_rate_limit_counts_across_instances() {
    if skipped() {
        return;
    }
    let shared = rocket_passkeys::Config {
        rate_limit: rocket_passkeys::RateLimit {
            per_minute: 2,
            burst: 2,
            shared: true,
        },
        ..config()
    };
    let app = TestApp::with(shared.clone()).await;
    let b = support::instance(&app, shared).await;
    let mut answers = Vec::new();
    for client in [&app.client, &b, &app.client, &b] {
        let mut browser = support::Browser::new(client);
        answers.push(
            browser
                .post("/passkeys/authenticate/start", &json!({}))
                .await,
        );
    }
    let ok = answers.iter().filter(|a| a.status == Status::Ok).count();
    assert_eq!(ok, 2, "one budget of 2 for both instances");
    for refused in answers.iter().filter(|a| a.status != Status::Ok) {
        refused.assert_error(Status::TooManyRequests, "rate_limited");
        assert!(refused.retry_after.is_some());
    }
    // A new minute, a new budget.
    app.clock.advance(std::time::Duration::from_secs(60));
    let mut browser = support::Browser::new(&b);
    let answer = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
}

#[rocket::async_test]
async fn one_ceremony_finished_fifty_times_over_two_instances_succeeds_once() {
    if skipped() {
        return;
    }
    let app = TestApp::with(support::config_for_instances()).await;
    let b = second_instance(&app).await;
    let instances = [&app.client, &b];
    let mut key = support::soft_account(&app, "once").await;
    // Starts on either instance write nothing.
    for i in 0..100 {
        let mut browser = support::Browser::new(instances[i % 2]);
        let start = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        assert_eq!(start.status, Status::Ok);
    }
    assert_eq!(app.finished_ceremonies().await, 1, "the sign-up only");
    let before = app.snapshot().await;

    // One sign-in started on A, its finish sent 25 times to each instance at once.
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = key.assert(&start.body, &Tamper::default());
    let mut racing: Vec<support::Browser<'_>> = (0..50)
        .map(|i| {
            let mut copy = support::Browser::new(instances[i % 2]);
            copy.cookies = browser.cookies.clone();
            copy
        })
        .collect();
    let answers = support::join_all(
        racing
            .iter_mut()
            .map(|copy| copy.post("/passkeys/authenticate/finish", &assertion)),
    )
    .await;
    let ok = answers.iter().filter(|a| a.status == Status::Ok).count();
    assert_eq!(ok, 1, "exactly one finish succeeds");
    for refused in answers.iter().filter(|a| a.status != Status::Ok) {
        refused.assert_error(Status::BadRequest, "ceremony_not_found");
    }
    let after = app.snapshot().await;
    assert_eq!(after.sessions, before.sessions + 1, "one session opened");
    assert_eq!(app.finished_ceremonies().await, 2);

    // Both instances forget expired records; the replay stays refused.
    app.clock.advance(std::time::Duration::from_secs(300 + 61));
    b.rocket()
        .state::<rocket_passkeys::Passkeys>()
        .expect("the fairing")
        .purge_expired()
        .await
        .expect("purge");
    assert_eq!(app.finished_ceremonies().await, 0);
    browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
}
