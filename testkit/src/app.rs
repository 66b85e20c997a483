//! Test support: an app on a temporary SQLite file, browsers with cookie jars, an
//! independent software authenticator (1Password's `passkey` crate) and a hand-built
//! one that can be told to misbehave.

use crate::softkey;

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use passkey_authenticator::{
    Authenticator, CredentialStore, DiscoverabilitySupport, StoreInfo, UiHint, UserCheck,
    UserValidationMethod,
};
use passkey_client::{Client as PasskeyClient, DefaultClientData};
use passkey_types::ctap2::make_credential::{
    Options, PublicKeyCredentialRpEntity, PublicKeyCredentialUserEntity,
};
use passkey_types::ctap2::{Aaguid, Ctap2Error, StatusCode};
use passkey_types::webauthn::{
    CredentialCreationOptions, CredentialRequestOptions, PublicKeyCredentialDescriptor,
};
use passkey_types::Passkey;
use rocket::figment::Figment;
use rocket::http::CookieJar;
use rocket::http::{ContentType, Cookie, Header, Status};
use rocket::local::asynchronous::{Client, LocalResponse};
use rocket::response::Redirect;
use rocket::serde::json::Json;
use rocket::{get, post, routes};
use rocket_passkeys::{
    AppUser, Config, Event, Events, Factor, ManualClock, MultiFactor, PasskeyUser, Passkeys,
    RecentSignIn, SameOrigin,
};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use url::Url;

pub const ORIGIN: &str = "http://localhost:8000";

/// The Google Password Manager AAGUID, so new passkeys get a provider name.
pub const GOOGLE_AAGUID: [u8; 16] = [
    0xea, 0x9b, 0x8d, 0x66, 0x4d, 0x01, 0x1d, 0x21, 0x3c, 0xe4, 0xb6, 0xb4, 0x8c, 0xb5, 0x75, 0xd4,
];

/// The app's own password sign-in, as an app would write it (the password check is
/// out of scope here: any `id` is accepted). `mfa`: the account has a one-time code
/// too; `otp`: this sign-in checked it.
#[post("/login?<id>&<name>&<next>&<otp>&<display>&<mfa>")]
#[allow(clippy::too_many_arguments)]
async fn login(
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
    id: &str,
    name: &str,
    next: &str,
    otp: bool,
    display: Option<&str>,
    mfa: bool,
) -> Result<Redirect, rocket_passkeys::Error> {
    let account: &[Factor] = if mfa {
        &[Factor::Password, Factor::OneTimeCode]
    } else {
        &[Factor::Password]
    };
    let user = AppUser {
        id,
        username: name,
        display_name: display.unwrap_or(name),
        factors: account,
    };
    let factors: &[Factor] = if otp {
        &[Factor::Password, Factor::OneTimeCode]
    } else {
        &[Factor::Password]
    };
    passkeys.signed_in(cookies, user, factors, next).await
}

/// The app's password change: it tells the crate the account changed.
#[post("/change-password")]
async fn change_password(
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
    user: PasskeyUser,
) -> Result<(), rocket_passkeys::Error> {
    let user = AppUser {
        id: user.id(),
        username: user.username(),
        display_name: user.display_name(),
        factors: &[Factor::Password],
    };
    passkeys.account_changed(cookies, user).await
}

/// A second step after the password; answers where the crate sends the user next.
#[post("/otp?<next>")]
async fn otp(
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
    next: Option<&str>,
) -> Result<Redirect, rocket_passkeys::Error> {
    passkeys
        .add_factor(cookies, Factor::OneTimeCode, next.unwrap_or("/"))
        .await
}

/// The app trying to report a passkey factor itself (refused by the crate).
#[post("/passkey-factor")]
async fn passkey_factor(
    passkeys: &Passkeys,
    cookies: &CookieJar<'_>,
) -> Result<Redirect, rocket_passkeys::Error> {
    passkeys.add_factor(cookies, Factor::Passkey, "/").await
}

/// After a compromise: the app removes the passkeys added after `after` (seconds).
#[post("/remove-passkeys?<after>")]
async fn remove_passkeys(
    passkeys: &Passkeys,
    user: PasskeyUser,
    after: i64,
) -> Result<Json<Value>, rocket_passkeys::Error> {
    let after = rocket::time::OffsetDateTime::from_unix_timestamp(after).map_err(|_| {
        rocket_passkeys::Error::new(rocket_passkeys::ErrorCode::InvalidRequest, "after")
    })?;
    let removed = passkeys
        .remove_passkeys_added_after(user.id(), after)
        .await?;
    Ok(Json(json!({ "removed": removed })))
}

/// One of the app's own state-changing forms, behind the crate's origin check.
#[post("/app-form")]
fn app_form(
    same_origin: Result<SameOrigin, rocket_passkeys::Error>,
) -> Result<&'static str, rocket_passkeys::Error> {
    same_origin?;
    Ok("done")
}

#[get("/recent")]
fn recent(user: RecentSignIn) -> String {
    user.username().to_string()
}

/// Keeps every event, for tests to read.
#[derive(Clone, Default)]
pub struct Recorder(pub Arc<Mutex<Vec<Event>>>);

impl Events for Recorder {
    fn event(&self, event: &Event) {
        self.0.lock().expect("events lock").push(event.clone());
    }
}

impl Recorder {
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().expect("events lock"))
    }
}

#[get("/mfa")]
fn mfa(user: MultiFactor) -> String {
    user.username().to_string()
}

#[get("/me")]
fn me(user: PasskeyUser) -> Json<Value> {
    Json(json!({
        "id": user.id(),
        "username": user.username(),
        "display_name": user.display_name(),
        "user_verified": user.user_verified(),
        "factors": format!("{:?}", user.factors()),
    }))
}

/// A running app on its own database file.
pub struct TestApp {
    pub client: Client,
    pub clock: ManualClock,
    /// The SQLite file (unused on PostgreSQL).
    pub db: PathBuf,
    /// The database url the app runs on.
    pub url: String,
    _dir: tempfile::TempDir,
}

/// The PostgreSQL server the suites run on: with the `postgres` feature,
/// `PASSKEYS_TEST_POSTGRES` must name one (or say `skip`, to run on SQLite): a run built
/// for PostgreSQL never quietly tests SQLite instead.
pub fn postgres_server() -> Option<String> {
    if !cfg!(feature = "postgres") {
        return None;
    }
    match std::env::var("PASSKEYS_TEST_POSTGRES") {
        Ok(skip) if skip == "skip" => {
            eprintln!("PASSKEYS_TEST_POSTGRES=skip: this run tests SQLite only");
            None
        }
        Ok(server) => Some(server),
        Err(_) => panic!(
            "built with the `postgres` feature, the suites run on PostgreSQL: set \
             PASSKEYS_TEST_POSTGRES to a server url (`scripts/postgres.sh` starts one), or \
             to `skip` to run them on SQLite"
        ),
    }
}

/// The backend the suites run on: PostgreSQL with the `postgres` feature (see
/// [`postgres_server`]), else a fresh SQLite file.
pub fn on_postgres() -> bool {
    postgres_server().is_some()
}

/// A fresh database for one app: a new PostgreSQL database, or a SQLite file in `dir`.
pub async fn fresh_database(dir: &std::path::Path) -> String {
    #[cfg(feature = "postgres")]
    if let Some(server) = postgres_server() {
        let name = format!("passkeys_test_{:032x}", rand::random::<u128>());
        let admin = sqlx::PgPool::connect(&format!("{server}/postgres"))
            .await
            .expect("connect to PASSKEYS_TEST_POSTGRES");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create a test database");
        admin.close().await;
        return format!("{server}/{name}");
    }
    format!("sqlite://{}", dir.join("passkeys.sqlite").display())
}

/// Row counts and credential state, read straight from the database.
pub async fn read_snapshot(url: &str) -> Snapshot {
    macro_rules! snapshot {
        ($pool:expr, $hex:literal) => {{
            let pool = $pool;
            let mut counts = Vec::new();
            for table in ["passkey_users", "passkey_credentials", "passkey_sessions"] {
                let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
                    .fetch_one(&pool)
                    .await
                    .expect("count rows");
                counts.push(n);
            }
            let rows: Vec<(String, i64, bool, Option<i64>)> = sqlx::query_as(concat!(
                "SELECT ",
                $hex,
                ", counter, backup_state, last_used_at FROM passkey_credentials ORDER BY 1"
            ))
            .fetch_all(&pool)
            .await
            .expect("read credentials");
            pool.close().await;
            Snapshot {
                users: counts[0],
                credentials: counts[1],
                sessions: counts[2],
                credential_rows: rows,
            }
        }};
    }
    #[cfg(feature = "postgres")]
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url)
            .await
            .expect("open the test database");
        return snapshot!(pool, "upper(encode(credential_id, 'hex'))");
    }
    let pool = sqlx::SqlitePool::connect(url)
        .await
        .expect("open the test database");
    snapshot!(pool, "hex(credential_id)")
}

/// The number of rows in `table`, read straight from the database.
pub async fn count_rows(url: &str, table: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM {table}");
    #[cfg(feature = "postgres")]
    if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(url)
            .await
            .expect("open the test database");
        let n = sqlx::query_scalar(&sql)
            .fetch_one(&pool)
            .await
            .expect("count rows");
        pool.close().await;
        return n;
    }
    let pool = sqlx::SqlitePool::connect(url)
        .await
        .expect("open the test database");
    let n = sqlx::query_scalar(&sql)
        .fetch_one(&pool)
        .await
        .expect("count rows");
    pool.close().await;
    n
}

/// The app routes every test instance mounts beside the crate's.
pub fn app_routes() -> Vec<rocket::Route> {
    routes![
        me,
        login,
        otp,
        mfa,
        recent,
        change_password,
        passkey_factor,
        remove_passkeys,
        app_form
    ]
}

/// Another instance of the test app on the same database (same secret key, same clock).
pub async fn instance(app: &TestApp, config: Config) -> Client {
    let rocket = rocket::custom(app.figment())
        .attach(Passkeys::custom(config).clock(app.clock.clone()))
        .mount("/", app_routes());
    Client::untracked(rocket)
        .await
        .expect("the instance launches")
}

/// The test configuration with a rate limit no multi-instance test reaches.
pub fn config_for_instances() -> Config {
    Config {
        rate_limit: rocket_passkeys::RateLimit {
            per_minute: u32::MAX,
            burst: u32::MAX,
            ..Default::default()
        },
        ..config()
    }
}

pub fn config() -> Config {
    Config {
        origins: vec![ORIGIN.into()],
        // Every local request shares one client key; tests of the limit set their own.
        rate_limit: rocket_passkeys::RateLimit {
            per_minute: 6000,
            burst: 1000,
            ..Default::default()
        },
        ..Config::default()
    }
}

impl TestApp {
    pub async fn new() -> TestApp {
        TestApp::with(config()).await
    }

    pub async fn with(config: Config) -> TestApp {
        TestApp::with_events(config, Recorder::default()).await
    }

    /// An app whose events go to `events`.
    pub async fn with_events(config: Config, events: Recorder) -> TestApp {
        TestApp::build(config, events, |f| f).await
    }

    /// An app with extra Rocket configuration.
    pub async fn with_figment(config: Config, tweak: impl FnOnce(Figment) -> Figment) -> TestApp {
        TestApp::build(config, Recorder::default(), tweak).await
    }

    async fn build(
        config: Config,
        events: Recorder,
        tweak: impl FnOnce(Figment) -> Figment,
    ) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = dir.path().join("passkeys.sqlite");
        let url = fresh_database(dir.path()).await;
        let clock = ManualClock::new();
        let fairing = Passkeys::custom(config).clock(clock.clone()).events(events);
        let rocket = rocket::custom(tweak(figment_for(&url)))
            .attach(fairing)
            .mount("/", app_routes());
        let client = Client::untracked(rocket).await.expect("the app launches");
        TestApp {
            client,
            clock,
            db,
            url,
            _dir: dir,
        }
    }

    pub fn browser(&self) -> Browser<'_> {
        Browser::new(&self.client)
    }

    /// Everything a sign-in or registration can write, to compare before and after.
    pub async fn snapshot(&self) -> Snapshot {
        read_snapshot(&self.url).await
    }

    /// Rocket's configuration for another app on the same database.
    pub fn figment(&self) -> Figment {
        figment_for(&self.url)
    }

    /// How many finished ceremonies the store records (each until it expires): the
    /// only state ceremonies keep on the server.
    pub async fn finished_ceremonies(&self) -> i64 {
        count_rows(&self.url, "passkey_finished_ceremonies").await
    }
}

pub fn figment(db: &std::path::Path) -> Figment {
    figment_for(&format!("sqlite://{}", db.display()))
}

/// Rocket's configuration for a test app on this database (one secret key for every
/// instance, so each reads the others' private cookies).
pub fn figment_for(url: &str) -> Figment {
    rocket::Config::figment()
        .merge(("databases.passkeys.url", url))
        .merge(("log_level", "off"))
        .merge(("secret_key", [7u8; 64].to_vec()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub users: i64,
    pub credentials: i64,
    pub sessions: i64,
    pub credential_rows: Vec<(String, i64, bool, Option<i64>)>,
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: Status,
    pub body: Value,
    pub set_cookies: Vec<String>,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"].as_str().unwrap_or("")
    }

    pub fn sets_session(&self) -> bool {
        self.set_cookies
            .iter()
            .any(|c| c.starts_with("passkeys_session=") && !c.starts_with("passkeys_session=;"))
    }

    /// Asserts a JSON error with this status and code.
    pub fn assert_error(&self, status: Status, code: &str) {
        assert_eq!(self.status, status, "status of {:?}", self.body);
        assert_eq!(self.code(), code, "code of {:?}", self.body);
        assert!(
            self.body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "an error has a message: {:?}",
            self.body
        );
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
        assert!(!self.sets_session(), "no session on an error");
    }
}

/// A browser: its own cookie jar, an origin, a passkey provider, and the address its
/// requests come from (none: the local client's, which has no peer address).
pub struct Browser<'c> {
    pub client: &'c Client,
    pub cookies: BTreeMap<String, String>,
    pub origin: String,
    pub authenticator: Soft,
    pub address: Option<std::net::SocketAddr>,
    /// The `User-Agent` its requests carry, if any.
    pub user_agent: Option<String>,
    /// The `Accept-Language` its requests carry, if any.
    pub accept_language: Option<String>,
}

pub type Soft = PasskeyClient<
    TestStore,
    AlwaysVerified,
    passkey_crypto::AvailableBackend,
    public_suffix::PublicSuffixList,
    (),
>;

pub fn authenticator() -> Soft {
    let auth = Authenticator::new(
        Aaguid(GOOGLE_AAGUID),
        TestStore::default(),
        AlwaysVerified,
        passkey_crypto::AvailableBackend,
    );
    PasskeyClient::new(auth).allows_insecure_localhost(true)
}

impl<'c> Browser<'c> {
    pub fn new(client: &'c Client) -> Self {
        Browser {
            client,
            cookies: BTreeMap::new(),
            origin: ORIGIN.into(),
            authenticator: authenticator(),
            address: None,
            user_agent: None,
            accept_language: None,
        }
    }

    /// A browser whose requests come from `ip` (a peer address, as without a proxy).
    pub fn at(client: &'c Client, ip: std::net::IpAddr) -> Self {
        Browser {
            address: Some(std::net::SocketAddr::new(ip, 40000)),
            ..Browser::new(client)
        }
    }

    /// Whether the browser holds a started ceremony (`passkeys_sign_in` or
    /// `passkeys_registration`).
    pub fn holds(&self, cookie: &str) -> bool {
        self.cookies.contains_key(cookie)
    }

    fn with_address<'r>(
        &self,
        request: rocket::local::asynchronous::LocalRequest<'r>,
    ) -> rocket::local::asynchronous::LocalRequest<'r> {
        let request = match &self.user_agent {
            Some(agent) => request.header(Header::new("User-Agent", agent.clone())),
            None => request,
        };
        let request = match &self.accept_language {
            Some(languages) => request.header(Header::new("Accept-Language", languages.clone())),
            None => request,
        };
        match self.address {
            Some(address) => request.remote(address),
            None => request,
        }
    }

    /// The cookies it holds, for a request built by hand.
    pub fn jar(&self) -> Vec<Cookie<'static>> {
        self.cookies
            .iter()
            .map(|(k, v)| Cookie::new(k.clone(), v.clone()))
            .collect()
    }

    pub async fn read_answer(&mut self, response: LocalResponse<'_>) -> Answer {
        self.read(response).await
    }

    async fn read(&mut self, response: LocalResponse<'_>) -> Answer {
        let status = response.status();
        let set_cookies: Vec<String> = response
            .headers()
            .get("Set-Cookie")
            .map(str::to_string)
            .collect();
        for raw in &set_cookies {
            let cookie = Cookie::parse_encoded(raw.clone()).expect("a valid Set-Cookie");
            let removed = cookie.value().is_empty()
                || cookie
                    .max_age()
                    .is_some_and(|a| a.is_zero() || a.is_negative());
            if removed {
                self.cookies.remove(cookie.name());
            } else {
                self.cookies
                    .insert(cookie.name().to_string(), cookie.value().to_string());
            }
        }
        let retry_after = response
            .headers()
            .get_one("Retry-After")
            .map(str::to_string);
        let content_type = response
            .content_type()
            .map(|c| format!("{}/{}", c.top(), c.sub()));
        let text = response.into_string().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            body,
            set_cookies,
            retry_after,
            content_type,
        }
    }

    /// The app's password sign-in; answers where it redirects to.
    pub async fn password_sign_in(&mut self, id: &str, next: &str) -> (Status, String) {
        let path = format!(
            "/login?id={id}&name={id}&next={}&otp=false",
            rocket::http::RawStr::new(next).percent_encode()
        );
        let answer = self.post_form(&path).await;
        (answer.0, answer.1)
    }

    /// A POST without a body; answers the status and the `Location` header.
    pub async fn post_form(&mut self, path: &str) -> (Status, String) {
        let request = self
            .client
            .post(path.to_string())
            .header(Header::new("Origin", self.origin.clone()))
            .cookies(self.jar());
        let response = self.with_address(request).dispatch().await;
        let location = response
            .headers()
            .get_one("Location")
            .unwrap_or("")
            .to_string();
        let answer = self.read(response).await;
        (answer.status, location)
    }

    /// A JSON POST from this browser's page.
    pub async fn post(&mut self, path: &str, body: &Value) -> Answer {
        self.post_raw(path, ContentType::JSON, body.to_string())
            .await
    }

    pub async fn post_raw(
        &mut self,
        path: &str,
        content_type: ContentType,
        body: String,
    ) -> Answer {
        let mut request = self
            .client
            .post(path.to_string())
            .header(content_type)
            .header(Header::new("Origin", self.origin.clone()))
            .body(body);
        request = request.cookies(self.jar());
        let response = self.with_address(request).dispatch().await;
        self.read(response).await
    }

    /// A JSON PATCH from this browser's page.
    pub async fn patch(&mut self, path: &str, body: &Value) -> Answer {
        let request = self
            .client
            .patch(path.to_string())
            .header(ContentType::JSON)
            .header(Header::new("Origin", self.origin.clone()))
            .cookies(self.jar())
            .body(body.to_string());
        let response = self.with_address(request).dispatch().await;
        self.read(response).await
    }

    /// A DELETE from this browser's page.
    pub async fn delete(&mut self, path: &str) -> Answer {
        let request = self
            .client
            .delete(path.to_string())
            .header(Header::new("Origin", self.origin.clone()))
            .cookies(self.jar());
        let response = self.with_address(request).dispatch().await;
        self.read(response).await
    }

    pub async fn get(&mut self, path: &str) -> Answer {
        let mut request = self.client.get(path.to_string());
        request = request.cookies(self.jar());
        let response = self.with_address(request).dispatch().await;
        self.read(response).await
    }

    /// The signed-in user as the app's guarded `/me` route sees it, or None on 401.
    pub async fn me(&mut self) -> Option<Value> {
        let answer = self.get("/me").await;
        (answer.status == Status::Ok).then_some(answer.body)
    }

    /// Creates the credential for a started registration, without finishing it.
    pub async fn create(&mut self, options: &Value) -> Value {
        let options: CredentialCreationOptions =
            serde_json::from_value(options.clone()).expect("creation options parse");
        let origin = Url::parse(&self.origin).expect("origin");
        let credential = self
            .authenticator
            .register(&origin, options, DefaultClientData)
            .await
            .expect("the authenticator creates a passkey");
        serde_json::to_value(credential).expect("credential json")
    }

    /// Signs an assertion for a started sign-in, without finishing it.
    pub async fn get_assertion(&mut self, options: &Value) -> Value {
        let options: CredentialRequestOptions =
            serde_json::from_value(json!({ "publicKey": options["publicKey"] }))
                .expect("request options parse");
        let origin = Url::parse(&self.origin).expect("origin");
        let assertion = self
            .authenticator
            .authenticate(&origin, options, DefaultClientData)
            .await
            .expect("the authenticator signs");
        serde_json::to_value(assertion).expect("assertion json")
    }

    /// Sign-up with a passkey, start to finish.
    pub async fn sign_up(&mut self, username: &str) -> Answer {
        let start = self
            .post(
                "/passkeys/register/start",
                &json!({ "username": username, "display_name": format!("{username} display") }),
            )
            .await;
        assert_eq!(start.status, Status::Ok, "register/start: {:?}", start.body);
        let credential = self.create(&start.body).await;
        self.post("/passkeys/register/finish", &credential).await
    }

    /// Adds a passkey to the signed-in account.
    pub async fn add_passkey(&mut self) -> Answer {
        let start = self.post("/passkeys/register/start", &json!({})).await;
        assert_eq!(start.status, Status::Ok, "register/start: {:?}", start.body);
        let credential = self.create(&start.body).await;
        self.post("/passkeys/register/finish", &credential).await
    }

    /// Sign-in; `username` none for usernameless.
    pub async fn sign_in(&mut self, username: Option<&str>) -> Answer {
        let body = match username {
            Some(u) => json!({ "username": u }),
            None => json!({}),
        };
        let start = self.post("/passkeys/authenticate/start", &body).await;
        assert_eq!(
            start.status,
            Status::Ok,
            "authenticate/start: {:?}",
            start.body
        );
        let assertion = self.get_assertion(&start.body).await;
        self.post("/passkeys/authenticate/finish", &assertion).await
    }

    pub async fn sign_out(&mut self) -> Answer {
        self.post("/passkeys/sign-out", &json!({})).await
    }

    pub fn credential_ids(&self) -> Vec<String> {
        self.authenticator
            .authenticator()
            .store()
            .0
            .iter()
            .map(|p| URL_SAFE_NO_PAD.encode(&*p.credential_id))
            .collect()
    }
}

/// A user-verifying authenticator: every check passes with presence and verification.
pub struct AlwaysVerified;

#[async_trait::async_trait]
impl UserValidationMethod for AlwaysVerified {
    type PasskeyItem = Passkey;

    async fn check_user<'a>(
        &self,
        _hint: UiHint<'a, Passkey>,
        presence: bool,
        verification: bool,
    ) -> Result<UserCheck, Ctap2Error> {
        Ok(UserCheck {
            presence,
            verification,
        })
    }

    fn is_presence_enabled(&self) -> bool {
        true
    }

    fn is_verification_enabled(&self) -> Option<bool> {
        Some(true)
    }
}

/// Discoverable credentials in memory: found by the allow list, or by rp id when the
/// list is empty (usernameless sign-in).
#[derive(Default)]
pub struct TestStore(pub Vec<Passkey>);

#[async_trait::async_trait]
impl CredentialStore for TestStore {
    type PasskeyItem = Passkey;

    async fn find_credentials(
        &self,
        ids: Option<&[PublicKeyCredentialDescriptor]>,
        rp_id: &str,
        _user_handle: Option<&[u8]>,
    ) -> Result<Vec<Passkey>, StatusCode> {
        let found: Vec<Passkey> = match ids {
            Some(ids) if !ids.is_empty() => self
                .0
                .iter()
                .filter(|p| ids.iter().any(|d| d.id == p.credential_id))
                .cloned()
                .collect(),
            _ => self
                .0
                .iter()
                .filter(|p| p.rp_id == rp_id)
                .cloned()
                .collect(),
        };
        if found.is_empty() {
            Err(Ctap2Error::NoCredentials.into())
        } else {
            Ok(found)
        }
    }

    async fn save_credential(
        &mut self,
        cred: Passkey,
        _user: PublicKeyCredentialUserEntity,
        _rp: PublicKeyCredentialRpEntity,
        _options: Options,
    ) -> Result<(), StatusCode> {
        self.0.push(cred);
        Ok(())
    }

    async fn update_credential(&mut self, cred: &Passkey) -> Result<(), StatusCode> {
        if let Some(stored) = self
            .0
            .iter_mut()
            .find(|p| p.credential_id == cred.credential_id)
        {
            *stored = cred.clone();
        }
        Ok(())
    }

    async fn get_info(&self) -> StoreInfo {
        StoreInfo {
            discoverability: DiscoverabilitySupport::Full,
        }
    }
}

/// A sign-up in a new browser, finished with a SoftKey response bent by `tamper`.
pub async fn soft_sign_up(
    app: &TestApp,
    username: &str,
    tamper: &softkey::Tamper,
) -> (Answer, softkey::SoftKey) {
    let mut key = softkey::SoftKey::random();
    let answer = soft_sign_up_with(app, username, &mut key, tamper).await;
    (answer, key)
}

/// The same with a given key (a chosen credential id, a counter).
pub async fn soft_sign_up_with(
    app: &TestApp,
    username: &str,
    key: &mut softkey::SoftKey,
    tamper: &softkey::Tamper,
) -> Answer {
    let mut browser = app.browser();
    let start = browser
        .post("/passkeys/register/start", &json!({ "username": username }))
        .await;
    assert_eq!(start.status, Status::Ok, "register/start: {:?}", start.body);
    let credential = key.register(&start.body, tamper);
    browser.post("/passkeys/register/finish", &credential).await
}

/// An account with an honest SoftKey passkey, signed out.
pub async fn soft_account(app: &TestApp, username: &str) -> softkey::SoftKey {
    let (answer, key) = soft_sign_up(app, username, &softkey::Tamper::default()).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    key
}

/// A sign-in in a new browser (usernameless when `username` is none), with the
/// assertion bent by `tamper`.
pub async fn soft_sign_in(
    app: &TestApp,
    key: &mut softkey::SoftKey,
    username: Option<&str>,
    tamper: &softkey::Tamper,
) -> Answer {
    let mut browser = app.browser();
    let body = match username {
        Some(u) => json!({ "username": u }),
        None => json!({}),
    };
    let start = browser.post("/passkeys/authenticate/start", &body).await;
    assert_eq!(
        start.status,
        Status::Ok,
        "authenticate/start: {:?}",
        start.body
    );
    let assertion = key.assert(&start.body, tamper);
    browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await
}

/// A second connection to the app's SQLite file, as another process would have.
pub async fn outsider(app: &TestApp) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", app.db.display());
    sqlx::SqlitePool::connect(&url)
        .await
        .expect("open the database")
}

/// The SQLite database locked by another writer until the connection rolls back.
pub async fn locked(app: &TestApp) -> sqlx::pool::PoolConnection<sqlx::Sqlite> {
    let pool = outsider(app).await;
    let mut conn = pool.acquire().await.expect("a connection");
    sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut *conn)
        .await
        .expect("lock");
    conn
}

/// Runs futures together on this task (the local client is not `Send`-friendly).
pub async fn join_all<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.map(Box::pin).collect();
    let mut results: Vec<Option<F::Output>> = (0..pinned.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if results[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => results[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    results.into_iter().flatten().collect()
}

/// A one-line message of a shipped catalog (`locales/<tag>.ftl`), as its file writes it:
/// what the screens and errors must say.
pub fn said(tag: &str, id: &str) -> String {
    let path = format!("{}/../locales/{tag}.ftl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("the catalog");
    text.lines()
        .find_map(|line| line.strip_prefix(&format!("{id} = ")))
        .unwrap_or_else(|| panic!("`{id}` is not a one-line message of {tag}.ftl"))
        .to_string()
}
