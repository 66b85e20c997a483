//! Storage faults: the database gone, locked, or failing inside a transaction. Each
//! answers 503 JSON with `Retry-After`, never a 500, and leaves nothing half-written.

use rocket_passkeys_testkit as support;

use rocket::http::Status;
use rocket_db_pools::Database;
use rocket_passkeys::PasskeysDb;
use serde_json::json;
use support::softkey::Tamper;
use support::{config, locked, outsider, soft_account, soft_sign_in, TestApp};

fn unavailable(answer: &support::Answer) {
    answer.assert_error(Status::ServiceUnavailable, "unavailable");
    assert!(answer.retry_after.is_some(), "Retry-After is set");
}

#[rocket::async_test]
async fn g55_the_database_gone_at_start() {
    let app = TestApp::new().await;
    soft_account(&app, "ann").await;
    let mut signed_in = app.browser();
    assert_eq!(signed_in.sign_up("abe").await.status, Status::Ok);
    PasskeysDb::fetch(app.client.rocket())
        .expect("the pool")
        .close()
        .await;
    let mut browser = app.browser();
    let answer = browser
        .post("/passkeys/register/start", &json!({ "username": "bob" }))
        .await;
    unavailable(&answer);
    let answer = browser
        .post(
            "/passkeys/authenticate/start",
            &json!({ "username": "ann" }),
        )
        .await;
    unavailable(&answer);
    assert!(browser.cookies.is_empty(), "no ceremony cookie");
    // Routes that look up the session answer 503 too, never 500.
    unavailable(&signed_in.get("/passkeys/credentials").await);
    unavailable(&signed_in.post("/passkeys/sign-out", &json!({})).await);
}

/// An app on SQLite that gives up on a locked database after one second; none on
/// PostgreSQL, where these faults cannot be injected with SQLite's locking.
async fn sqlite_with_a_short_busy_timeout() -> Option<TestApp> {
    if support::on_postgres() {
        eprintln!(
            "SKIPPED on PostgreSQL: this fault is injected with SQLite's own locking and triggers"
        );
        return None;
    }
    let app = TestApp::with_figment(config(), |f| {
        f.merge(("databases.passkeys.connect_timeout", 1))
    })
    .await;
    Some(app)
}

#[rocket::async_test]
async fn g56_g59_a_locked_database_between_start_and_finish() {
    let Some(app) = sqlite_with_a_short_busy_timeout().await else {
        return;
    };
    let mut key = soft_account(&app, "cid").await;
    let before = app.snapshot().await;

    // A sign-up and a sign-in started, then the database locked before they finish.
    let mut signing_up = app.browser();
    let start = signing_up
        .post("/passkeys/register/start", &json!({ "username": "dee" }))
        .await;
    let credential = support::softkey::SoftKey::random().register(&start.body, &Tamper::default());
    let mut signing_in = app.browser();
    let start = signing_in
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = key.assert(&start.body, &Tamper::default());

    let mut lock = locked(&app).await;
    let started = std::time::Instant::now();
    unavailable(
        &signing_up
            .post("/passkeys/register/finish", &credential)
            .await,
    );
    unavailable(
        &signing_in
            .post("/passkeys/authenticate/finish", &assertion)
            .await,
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "within the busy timeout"
    );
    sqlx::query("ROLLBACK")
        .execute(&mut *lock)
        .await
        .expect("unlock");
    drop(lock);

    assert_eq!(app.snapshot().await, before, "nothing half-written");
    // After recovery the consumed ceremonies are cleanly gone, and new ones work.
    signing_in
        .post("/passkeys/authenticate/finish", &assertion)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(
        soft_sign_in(&app, &mut key, None, &Tamper::default())
            .await
            .status,
        Status::Ok
    );
}

#[rocket::async_test]
async fn g57_a_failure_inside_the_finish_transaction_rolls_everything_back() {
    if support::on_postgres() {
        eprintln!(
            "SKIPPED on PostgreSQL: this fault is injected with SQLite's own locking and triggers"
        );
        return;
    }
    let app = TestApp::new().await;
    let mut key = soft_account(&app, "eli").await;
    let before = app.snapshot().await;
    // Every session insert now fails, after the earlier writes of the same transaction.
    let pool = outsider(&app).await;
    sqlx::query(
        "CREATE TRIGGER fail_sessions BEFORE INSERT ON passkey_sessions \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
    )
    .execute(&pool)
    .await
    .expect("trigger");

    // A sign-up writes the user and the passkey, then fails on the session.
    let (answer, _) = support::soft_sign_up(&app, "fay", &Tamper::default()).await;
    unavailable(&answer);
    // A sign-in raises the counter and the time of use, then fails on the session.
    key.counter = 9;
    unavailable(&soft_sign_in(&app, &mut key, None, &Tamper::default()).await);
    assert_eq!(
        app.snapshot().await,
        before,
        "both transactions rolled back"
    );

    sqlx::query("DROP TRIGGER fail_sessions")
        .execute(&pool)
        .await
        .expect("drop");
    assert_eq!(
        soft_sign_in(&app, &mut key, None, &Tamper::default())
            .await
            .status,
        Status::Ok
    );
}

#[rocket::async_test]
async fn g59_a_locked_database_fails_a_group_of_sign_ins_at_once() {
    let Some(app) = sqlite_with_a_short_busy_timeout().await else {
        return;
    };
    // Eight sign-ins ready to finish together, so that they share a group.
    let mut pending = Vec::new();
    for i in 0..8 {
        let mut key = soft_account(&app, &format!("grp{i}")).await;
        let mut browser = app.browser();
        let start = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        let assertion = key.assert(&start.body, &Tamper::default());
        pending.push((browser, assertion));
    }
    let before = app.snapshot().await;
    let mut lock = locked(&app).await;
    let started = std::time::Instant::now();
    let answers = support::join_all(
        pending
            .iter_mut()
            .map(|(b, a)| b.post("/passkeys/authenticate/finish", a)),
    )
    .await;
    // A busy database fails the group once: not once more for each sign-in in it.
    for answer in &answers {
        unavailable(answer);
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "answered after {:?}, not one busy timeout per sign-in",
        started.elapsed()
    );
    sqlx::query("ROLLBACK")
        .execute(&mut *lock)
        .await
        .expect("unlock");
    assert_eq!(app.snapshot().await, before, "nothing half-written");
}

#[rocket::async_test]
async fn a_replay_written_in_a_group_of_sign_ins_fails_alone() {
    if support::on_postgres() {
        eprintln!("SKIPPED on PostgreSQL: sign-ins are grouped by the SQLite writer only");
        return;
    }
    let app = TestApp::new().await;
    let mut ready = Vec::new();
    let mut keys = Vec::new();
    for i in 0..8 {
        keys.push(soft_account(&app, &format!("grp{i}")).await);
    }
    // A finished sign-in, captured, to be sent again.
    let mut first = app.browser();
    let start = first.post("/passkeys/authenticate/start", &json!({})).await;
    let captured = keys[0].assert(&start.body, &Tamper::default());
    let jar = first.cookies.clone();
    let answer = first.post("/passkeys/authenticate/finish", &captured).await;
    assert_eq!(answer.status, Status::Ok);
    for key in keys.iter_mut() {
        let mut browser = app.browser();
        let start = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        let assertion = key.assert(&start.body, &Tamper::default());
        ready.push((browser, assertion));
    }
    let mut replayer = app.browser();
    replayer.cookies = jar;
    ready.insert(4, (replayer, captured));
    let before = app.snapshot().await;
    // The database is held by another writer for a moment, so that the finishes queue up
    // and the writer takes them as one group once it is free.
    let mut lock = locked(&app).await;
    let finishes = support::join_all(
        ready
            .iter_mut()
            .map(|(b, a)| b.post("/passkeys/authenticate/finish", a)),
    );
    let release = async {
        rocket::tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        sqlx::query("ROLLBACK")
            .execute(&mut *lock)
            .await
            .expect("unlock");
    };
    let (answers, ()) = rocket::tokio::join!(finishes, release);
    for (i, answer) in answers.iter().enumerate() {
        if i == 4 {
            answer.assert_error(Status::BadRequest, "ceremony_not_found");
        } else {
            assert_eq!(answer.status, Status::Ok, "{i}: {:?}", answer.body);
        }
    }
    assert_eq!(app.snapshot().await.sessions, before.sessions + 8);
}
