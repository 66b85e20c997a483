//! `ROCKET_PASSKEYS_*` environment variables override Rocket.toml. Alone in its binary:
//! the environment is process-wide.

use rocket::local::asynchronous::Client;
use rocket_passkeys::Passkeys;

#[rocket::async_test]
async fn environment_variables_override_the_configuration() {
    std::env::set_var("ROCKET_PASSKEYS_RP_ID", "example.com");
    std::env::set_var(
        "ROCKET_PASSKEYS_ORIGINS",
        "https://example.com,https://www.example.com",
    );
    std::env::set_var("ROCKET_PASSKEYS_MOUNT", "/keys");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("passkeys.sqlite");
    let figment = rocket::Config::figment()
        .merge(("passkeys.rp_id", "localhost"))
        .merge((
            "databases.passkeys.url",
            format!("sqlite://{}", db.display()),
        ))
        .merge(("log_level", "off"))
        .merge(("secret_key", [7u8; 64].to_vec()));
    let client = Client::untracked(rocket::custom(figment).attach(Passkeys::fairing()))
        .await
        .expect("launches");
    let passkeys = client.rocket().state::<Passkeys>().expect("managed");
    assert_eq!(passkeys.rp_id(), "example.com");
    assert_eq!(passkeys.mount(), "/keys");
    let start = client
        .post("/keys/authenticate/start")
        .header(rocket::http::ContentType::JSON)
        .header(rocket::http::Header::new(
            "Origin",
            "https://www.example.com",
        ))
        .body("{}")
        .dispatch()
        .await;
    assert_eq!(
        start.status(),
        rocket::http::Status::Ok,
        "the second origin is allowed"
    );
}
