//! Admission under real traffic: many honest people behind one address, one person
//! reloading, attackers with many addresses. A start keeps nothing on the server (the
//! browser carries it, sealed), so no start can crowd out another; each finish is
//! recorded in the store until it expires, so it answers once, across restarts too.
//!
//! Every test runs on the store suite's backend (SQLite, or PostgreSQL with
//! `PASSKEYS_TEST_POSTGRES`).

use rocket_passkeys_testkit as support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use rocket::http::{ContentType, Cookie, Header, Status};
use rocket::local::asynchronous::Client;
use rocket_passkeys::{Config, Passkeys, RateLimit};
use serde_json::json;
use support::{Browser, TestApp};

/// The address a crowd shares (an office, a campus, a carrier-grade NAT).
const NAT: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 7));

/// The configuration of an operator whose users sit behind large NATs: the per-address
/// budget raised (the README's sizing advice), nothing else changed.
fn nat_config() -> Config {
    Config {
        rate_limit: RateLimit {
            per_minute: 100_000,
            burst: 1_000,
            ..Default::default()
        },
        ..support::config()
    }
}

/// The default rate limit (60 a minute, bursts of 20, per address and kind).
fn default_limits() -> Config {
    Config {
        rate_limit: RateLimit::default(),
        ..support::config()
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// A new visitor from `ip` signs up, signs out and signs in again, with the button.
async fn honest_visitor(app: &TestApp, ip: IpAddr, name: &str) {
    let mut browser = Browser::at(&app.client, ip);
    let signed_up = browser.sign_up(name).await;
    assert_eq!(
        signed_up.status,
        Status::Ok,
        "sign-up: {:?}",
        signed_up.body
    );
    assert_eq!(browser.sign_out().await.status, Status::Ok);
    let signed_in = browser.sign_in(None).await;
    assert_eq!(
        signed_in.status,
        Status::Ok,
        "sign-in: {:?}",
        signed_in.body
    );
    assert!(signed_in.sets_session());
    assert_eq!(browser.me().await.expect("signed in")["username"], name);
}

#[rocket::async_test]
async fn three_hundred_browsers_behind_one_address_all_get_a_ceremony_and_thirty_sign_up_and_in() {
    let app = TestApp::with(nat_config()).await;
    let mut browsers: Vec<Browser<'_>> = (0..300).map(|_| Browser::at(&app.client, NAT)).collect();
    // Everyone opens the sign-in page: an autofill ceremony each.
    let mut autofill = Vec::new();
    for browser in &mut browsers {
        let start = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        assert_eq!(start.status, Status::Ok, "{:?}", start.body);
        assert!(browser.holds("passkeys_sign_in"));
        autofill.push(start.body);
    }
    assert_eq!(app.finished_ceremonies().await, 0, "starts write nothing");
    // Thirty of them create an account, sign out, and then sign in through the autofill
    // request their page started first, behind 299 others from the same address.
    for (i, browser) in browsers.iter_mut().take(30).enumerate() {
        let name = format!("nat{i}");
        let signed_up = browser.sign_up(&name).await;
        assert_eq!(signed_up.status, Status::Ok, "{:?}", signed_up.body);
        assert_eq!(browser.sign_out().await.status, Status::Ok);
        let assertion = browser.get_assertion(&autofill[i]).await;
        let signed_in = browser
            .post("/passkeys/authenticate/finish", &assertion)
            .await;
        assert_eq!(signed_in.status, Status::Ok, "{name}: {:?}", signed_in.body);
        assert_eq!(browser.me().await.expect("signed in")["username"], name);
    }
    let snapshot = app.snapshot().await;
    assert_eq!(
        (snapshot.users, snapshot.credentials, snapshot.sessions),
        (30, 30, 30)
    );
    assert_eq!(app.finished_ceremonies().await, 60, "one record per finish");
    // The 270 others still hold a ceremony that works.
    let last = browsers.last_mut().expect("300 browsers");
    assert_eq!(last.sign_up("nat299").await.status, Status::Ok);
}

#[rocket::async_test]
async fn one_browser_reloading_the_sign_in_page_two_hundred_times_still_signs_in() {
    let app = TestApp::with(nat_config()).await;
    let mut browser = Browser::at(&app.client, NAT);
    assert_eq!(browser.sign_up("reloader").await.status, Status::Ok);
    assert_eq!(browser.sign_out().await.status, Status::Ok);
    let mut pages = Vec::new();
    for _ in 0..200 {
        let start = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        assert_eq!(start.status, Status::Ok, "{:?}", start.body);
        pages.push(start.body);
    }
    // Each start replaced the previous one: the cookie holds the last page's ceremony.
    let holding = browser.cookies.clone();
    let before = app.snapshot().await;
    let stale = browser.get_assertion(&pages[0]).await;
    browser
        .post("/passkeys/authenticate/finish", &stale)
        .await
        .assert_error(Status::Unauthorized, "authentication_failed");
    assert_eq!(app.snapshot().await, before, "nothing written");
    browser.cookies = holding;
    let current = browser.get_assertion(&pages[199]).await;
    let answer = browser
        .post("/passkeys/authenticate/finish", &current)
        .await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    assert_eq!(
        app.finished_ceremonies().await,
        2,
        "the sign-up and the sign-in"
    );
}

#[rocket::async_test]
async fn reloads_within_the_default_burst_then_a_sign_in() {
    let app = TestApp::with(default_limits()).await;
    let mut browser = Browser::at(&app.client, NAT);
    assert_eq!(browser.sign_up("quick").await.status, Status::Ok);
    assert_eq!(browser.sign_out().await.status, Status::Ok);
    // Nineteen quick reloads of the sign-in page, then the sign-in (a start and a finish
    // of the twentieth page): all inside the default burst of 20 per kind.
    for _ in 0..18 {
        let start = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        assert_eq!(start.status, Status::Ok, "{:?}", start.body);
    }
    let answer = browser.sign_in(None).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
}

#[rocket::async_test]
async fn ten_thousand_abandoned_starts_from_640_addresses_lock_no_one_out() {
    let app = TestApp::with(default_limits()).await;
    for a in 0..640u32 {
        let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + a));
        let mut attacker = Browser::at(&app.client, ip);
        for i in 0..16 {
            let (route, body) = if i % 2 == 0 {
                ("/passkeys/authenticate/start", json!({}))
            } else {
                (
                    "/passkeys/register/start",
                    json!({ "username": format!("bot{a}x{i}") }),
                )
            };
            let start = attacker.post(route, &body).await;
            assert_eq!(
                start.status,
                Status::Ok,
                "within its budget: {:?}",
                start.body
            );
        }
    }
    let snapshot = app.snapshot().await;
    assert_eq!(
        (snapshot.users, snapshot.credentials, snapshot.sessions),
        (0, 0, 0),
        "10,240 starts wrote nothing"
    );
    assert_eq!(app.finished_ceremonies().await, 0);
    honest_visitor(&app, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), "honest").await;
}

#[rocket::async_test]
async fn a_flood_of_100000_starts_from_100000_addresses_costs_bounded_memory() {
    let app = TestApp::with(default_limits()).await;
    // Warm up everything a start touches before measuring.
    honest_visitor(&app, IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), "warm").await;
    let before = rss_kib();
    for i in 0..100_000u32 {
        // Half from IPv4 addresses, half from IPv6 /64s (one client each).
        let ip = if i % 2 == 0 {
            IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + i))
        } else {
            let [a, b, c, d] = i.to_be_bytes();
            let segments = [
                0x2001,
                0x0db8,
                u16::from_be_bytes([a, b]),
                u16::from_be_bytes([c, d]),
                0,
                0,
                0,
                1,
            ];
            IpAddr::V6(Ipv6Addr::from(segments))
        };
        let response = app
            .client
            .post("/passkeys/authenticate/start")
            .header(ContentType::JSON)
            .header(Header::new("Origin", support::ORIGIN))
            .remote(std::net::SocketAddr::new(ip, 40000))
            .body("{}")
            .dispatch()
            .await;
        assert_eq!(response.status(), Status::Ok, "start {i}");
        if i % 20_000 == 19_999 {
            // Sign-up and sign-in keep working throughout, from another address.
            let ip = IpAddr::V4(Ipv4Addr::new(192, 0, 2, (i / 20_000) as u8 + 2));
            honest_visitor(&app, ip, &format!("during{i}")).await;
        }
    }
    let grown_mib = rss_kib().saturating_sub(before) as f64 / 1024.0;
    let clients = app
        .client
        .rocket()
        .state::<Passkeys>()
        .expect("the fairing")
        .rate_limited_clients();
    eprintln!(
        "100,000 starts from 100,000 addresses: RSS +{grown_mib:.1} MiB, \
         {clients} clients in the rate limiter"
    );
    assert!(grown_mib < 20.0, "memory grew {grown_mib:.1} MiB");
    assert_eq!(
        app.finished_ceremonies().await,
        12,
        "the six visitors' finishes only"
    );
}

/// A sign-up and a sign-in, each finish captured (cookies and body) so that it can be
/// sent again later.
struct Captured {
    sign_up: (Vec<Cookie<'static>>, String),
    sign_in: (Vec<Cookie<'static>>, String),
}

async fn finish_and_capture(client: &Client) -> Captured {
    let mut browser = Browser::new(client);
    let start = browser
        .post(
            "/passkeys/register/start",
            &json!({ "username": "replayed" }),
        )
        .await;
    let credential = browser.create(&start.body).await;
    let sign_up = (jar(&browser), credential.to_string());
    let answer = browser.post("/passkeys/register/finish", &credential).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = browser.get_assertion(&start.body).await;
    let sign_in = (jar(&browser), assertion.to_string());
    let answer = browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    Captured { sign_up, sign_in }
}

fn jar(browser: &Browser<'_>) -> Vec<Cookie<'static>> {
    browser
        .cookies
        .iter()
        .map(|(k, v)| Cookie::new(k.clone(), v.clone()))
        .collect()
}

async fn replay(client: &Client, route: &str, (cookies, body): &(Vec<Cookie<'static>>, String)) {
    let response = client
        .post(route.to_string())
        .header(ContentType::JSON)
        .header(Header::new("Origin", support::ORIGIN))
        .cookies(cookies.clone())
        .body(body.clone())
        .dispatch()
        .await;
    let status = response.status();
    let text = response.into_string().await.unwrap_or_default();
    assert_eq!(status, Status::BadRequest, "{route}: {text}");
    assert!(text.contains("\"ceremony_not_found\""), "{route}: {text}");
}

async fn launch(url: &str) -> Client {
    let rocket = rocket::custom(support::figment_for(url))
        .attach(Passkeys::custom(support::config()))
        .mount("/", support::app_routes());
    Client::untracked(rocket).await.expect("the app launches")
}

#[rocket::async_test]
async fn finishes_captured_before_a_restart_do_not_replay_after_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = support::fresh_database(dir.path()).await;
    let client = launch(&url).await;
    let captured = finish_and_capture(&client).await;
    // Sent again to the same process: refused.
    replay(&client, "/passkeys/authenticate/finish", &captured.sign_in).await;
    // The app stops; a new process starts on the same database and secret key.
    client.rocket().shutdown().notify();
    drop(client);
    let before = support::read_snapshot(&url).await;
    let restarted = launch(&url).await;
    replay(&restarted, "/passkeys/register/finish", &captured.sign_up).await;
    replay(
        &restarted,
        "/passkeys/authenticate/finish",
        &captured.sign_in,
    )
    .await;
    assert_eq!(
        support::read_snapshot(&url).await,
        before,
        "nothing written"
    );
}

#[rocket::async_test]
async fn finished_ceremonies_are_recorded_until_they_expire_then_forgotten() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    for _ in 0..50 {
        browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
    }
    assert_eq!(app.finished_ceremonies().await, 0, "starts cost nothing");
    assert_eq!(browser.sign_up("expiring").await.status, Status::Ok);
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = browser.get_assertion(&start.body).await;
    let captured = jar(&browser);
    let answer = browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await;
    assert_eq!(answer.status, Status::Ok);
    assert_eq!(app.finished_ceremonies().await, 2);
    let passkeys = app
        .client
        .rocket()
        .state::<Passkeys>()
        .expect("the fairing");
    // Not before it expired (and a minute more, for clocks that disagree).
    app.clock.advance(std::time::Duration::from_secs(300 + 30));
    passkeys.purge_expired().await.expect("purge");
    assert_eq!(app.finished_ceremonies().await, 2);
    app.clock.advance(std::time::Duration::from_secs(60));
    passkeys.purge_expired().await.expect("purge");
    assert_eq!(app.finished_ceremonies().await, 0);
    // Forgotten, and still refused: it expired.
    replay(
        &app.client,
        "/passkeys/authenticate/finish",
        &(captured, assertion.to_string()),
    )
    .await;
}

#[rocket::async_test]
async fn a_sealed_ceremony_opens_only_under_its_own_name_and_key() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    assert_eq!(browser.sign_up("sealed").await.status, Status::Ok);
    let signed_in = browser.cookies.clone();
    // A registration's sealed state moved into the sign-in cookie does not open there.
    let start = browser.post("/passkeys/register/start", &json!({})).await;
    assert_eq!(start.status, Status::Ok);
    let registration = browser.cookies["passkeys_registration"].clone();
    let start = browser
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = browser.get_assertion(&start.body).await;
    browser.cookies = signed_in.clone();
    browser
        .cookies
        .insert("passkeys_sign_in".into(), registration);
    let before = app.snapshot().await;
    browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await, before);

    // Sealed under another secret key (another deployment): no ceremony.
    let other =
        rocket::custom(support::figment_for(&app.url).merge(("secret_key", [9u8; 64].to_vec())))
            .attach(Passkeys::custom(support::config()))
            .mount("/", support::app_routes());
    let other = Client::untracked(other).await.expect("launches");
    let mut elsewhere = Browser::new(&other);
    let start = elsewhere
        .post("/passkeys/authenticate/start", &json!({}))
        .await;
    let assertion = browser.get_assertion(&start.body).await;
    browser.cookies = signed_in;
    browser.cookies.insert(
        "passkeys_sign_in".into(),
        elsewhere.cookies["passkeys_sign_in"].clone(),
    );
    browser
        .post("/passkeys/authenticate/finish", &assertion)
        .await
        .assert_error(Status::BadRequest, "ceremony_not_found");
    assert_eq!(app.snapshot().await, before);
}

#[rocket::async_test]
async fn a_replay_among_concurrent_sign_ins_fails_alone() {
    let app = TestApp::new().await;
    let mut keys = Vec::new();
    for i in 0..10 {
        keys.push(support::soft_account(&app, &format!("crowd{i}")).await);
    }
    // One sign-in finished, its finish captured.
    let mut first = app.browser();
    let start = first.post("/passkeys/authenticate/start", &json!({})).await;
    let captured = keys[0].assert(&start.body, &support::softkey::Tamper::default());
    let jar = first.cookies.clone();
    let answer = first.post("/passkeys/authenticate/finish", &captured).await;
    assert_eq!(answer.status, Status::Ok);
    let before = app.snapshot().await;
    // Its replay, sent together with ten honest sign-ins (written in the same groups).
    let mut racing = Vec::new();
    for key in keys.iter_mut() {
        let mut browser = app.browser();
        let start = browser
            .post("/passkeys/authenticate/start", &json!({}))
            .await;
        let assertion = key.assert(&start.body, &support::softkey::Tamper::default());
        racing.push((browser, assertion));
    }
    let mut replayer = app.browser();
    replayer.cookies = jar;
    racing.push((replayer, captured));
    let answers = support::join_all(
        racing
            .iter_mut()
            .map(|(browser, body)| browser.post("/passkeys/authenticate/finish", body)),
    )
    .await;
    for answer in &answers[..10] {
        assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    }
    answers[10].assert_error(Status::BadRequest, "ceremony_not_found");
    let after = app.snapshot().await;
    assert_eq!(
        after.sessions,
        before.sessions + 10,
        "ten sessions, none for the replay"
    );
}
