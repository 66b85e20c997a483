//! Deployment: passkeys stay bound to their rp id, related origins, proxies.

use rocket_passkeys_testkit as support;

use rocket::error::ErrorKind;
use rocket::http::{ContentType, Header, Status};
use rocket::local::asynchronous::Client;
use rocket_passkeys::{Config, Passkeys};
use serde_json::json;
use support::softkey::Tamper;
use support::{config, soft_account, soft_sign_up, TestApp};

#[rocket::async_test]
async fn a_changed_rp_id_over_existing_passkeys_is_refused_at_launch() {
    let app = TestApp::new().await;
    soft_account(&app, "ann").await;
    soft_account(&app, "bob").await;
    let moved = Config {
        rp_id: "example.com".into(),
        origins: vec!["https://example.com".into()],
        ..config()
    };
    let rocket = rocket::custom(app.figment()).attach(Passkeys::custom(moved.clone()));
    let Err(error) = Client::untracked(rocket).await else {
        panic!("it launched over 2 stranded passkeys");
    };
    assert!(
        matches!(error.kind(), ErrorKind::FailedFairings(_)),
        "{error}"
    );

    // Allowed explicitly, it launches (and warns).
    let allowed = Config {
        allow_rp_id_change: true,
        ..moved
    };
    let rocket = rocket::custom(app.figment()).attach(Passkeys::custom(allowed));
    assert!(Client::untracked(rocket).await.is_ok());

    // The same rp id launches as before.
    let rocket = rocket::custom(app.figment()).attach(Passkeys::custom(config()));
    assert!(Client::untracked(rocket).await.is_ok());
}

#[rocket::async_test]
async fn related_origins_are_served_and_accepted() {
    let app = TestApp::with(Config {
        related_origins: vec!["https://example.org".into()],
        ..config()
    })
    .await;
    let response = app.client.get("/.well-known/webauthn").dispatch().await;
    assert_eq!(response.status(), Status::Ok);
    assert_eq!(response.content_type(), Some(ContentType::JSON));
    let body: serde_json::Value = response.into_json().await.expect("json");
    assert_eq!(
        body,
        json!({ "origins": [support::ORIGIN, "https://example.org"] })
    );

    // A passkey created from the related origin's page.
    let related = Tamper {
        origin: Some("https://example.org".into()),
        ..Tamper::default()
    };
    let (answer, _) = soft_sign_up(&app, "cara", &related).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    // Its API calls come with its own Origin.
    let response = app
        .client
        .post("/passkeys/authenticate/start")
        .header(ContentType::JSON)
        .header(Header::new("Origin", "https://example.org"))
        .body("{}")
        .dispatch()
        .await;
    assert_eq!(response.status(), Status::Ok);

    // An origin that is not listed is still refused.
    let stranger = Tamper {
        origin: Some("https://example.net".into()),
        ..Tamper::default()
    };
    let (answer, _) = soft_sign_up(&app, "dirk", &stranger).await;
    answer.assert_error(Status::BadRequest, "registration_failed");
}

#[rocket::async_test]
async fn no_well_known_file_without_related_origins() {
    let app = TestApp::new().await;
    let response = app.client.get("/.well-known/webauthn").dispatch().await;
    assert_eq!(response.status(), Status::NotFound);
}

#[rocket::async_test]
async fn a_shared_rate_limit_needs_a_shared_database() {
    if support::on_postgres() {
        eprintln!("SKIPPED on PostgreSQL: this checks the SQLite refusal");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let shared = Config {
        rate_limit: rocket_passkeys::RateLimit {
            shared: true,
            ..Default::default()
        },
        ..config()
    };
    let rocket = rocket::custom(support::figment(&dir.path().join("p.sqlite")))
        .attach(Passkeys::custom(shared));
    let Err(error) = Client::untracked(rocket).await else {
        panic!("a shared limit launched on SQLite");
    };
    assert!(
        matches!(error.kind(), ErrorKind::FailedFairings(_)),
        "{error}"
    );
}
