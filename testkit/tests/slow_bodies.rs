//! Case 6 of the adversarial list: bodies trickled in slowly (slowloris). A real server on
//! loopback gets 200 connections, each sending the headers and first bytes of a 60 KiB
//! finish body and then one byte a second. Meanwhile other clients must be served as before (start
//! latency within twice the quiet p99), a full sign-up and sign-in must go through (no
//! database connection or ceremony is held by a slow body), and every slow connection is
//! answered 408 `request_timeout` once `body_timeout` has passed, with nothing written.

use rocket_passkeys_testkit as support;

use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use rocket::figment::Figment;
use rocket_passkeys::{Config, Passkeys, RateLimit};
use serde_json::{json, Value};
use support::softkey::{SoftKey, Tamper};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SLOW_CONNECTIONS: usize = 200;
const BODY_TIMEOUT: Duration = Duration::from_secs(3);

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One HTTP/1.1 exchange on a new connection; answers the status line, the headers and
/// the body.
async fn exchange(addr: SocketAddr, request: String) -> (String, Vec<String>, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send the request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read the answer");
    let text = String::from_utf8_lossy(&raw).to_string();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines().map(str::to_string);
    let status = lines.next().unwrap_or_default();
    (status, lines.collect(), body.to_string())
}

/// A JSON POST from the page of `client` (its address, sent as `X-Real-IP`).
fn post(path: &str, client: u32, cookie: &str, body: &Value) -> String {
    let body = body.to_string();
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nOrigin: {}\r\nX-Real-IP: 10.9.{}.{}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nCookie: {cookie}\r\n\
         Connection: close\r\n\r\n{body}",
        support::ORIGIN,
        client / 256,
        client % 256,
        body.len()
    )
}

/// `name=value` of every cookie the answer sets, for the next request.
fn cookies(headers: &[String]) -> String {
    headers
        .iter()
        .filter_map(|h| {
            h.strip_prefix("set-cookie: ")
                .or(h.strip_prefix("Set-Cookie: "))
        })
        .filter_map(|c| c.split(';').next())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The p99 (here: the second largest of 100) of `authenticate/start` round trips.
async fn start_p99(addr: SocketAddr, first_client: u32) -> Duration {
    let mut times = Vec::new();
    for i in 0..100 {
        let began = Instant::now();
        let (status, _, body) = exchange(
            addr,
            post(
                "/passkeys/authenticate/start",
                first_client + i,
                "",
                &json!({}),
            ),
        )
        .await;
        times.push(began.elapsed());
        assert!(status.contains(" 200 "), "{status} {body}");
    }
    times.sort();
    times[98]
}

/// One ceremony from `client`: start with `body`, answer the options with `respond`, finish
/// with the start's cookie; both must succeed. Answers the finish's headers.
async fn ceremony(
    addr: SocketAddr,
    client: u32,
    kind: &str,
    body: Value,
    respond: impl FnOnce(&Value) -> Value,
) -> Vec<String> {
    let start = format!("/passkeys/{kind}/start");
    let (status, headers, answer) = exchange(addr, post(&start, client, "", &body)).await;
    assert!(status.contains(" 200 "), "{start}: {status} {answer}");
    let options: Value = serde_json::from_str(&answer).expect("options");
    let finish = format!("/passkeys/{kind}/finish");
    let request = post(&finish, client, &cookies(&headers), &respond(&options));
    let (status, headers, answer) = exchange(addr, request).await;
    assert!(status.contains(" 200 "), "{finish}: {status} {answer}");
    headers
}

/// A full sign-up and usernameless sign-in by a new browser.
async fn sign_up_and_in(addr: SocketAddr, client: u32, username: &str) {
    let mut key = SoftKey::random();
    let body = json!({ "username": username });
    ceremony(addr, client, "register", body, |o| {
        key.register(o, &Tamper::default())
    })
    .await;
    let headers = ceremony(addr, client, "authenticate", json!({}), |o| {
        key.assert(o, &Tamper::default())
    })
    .await;
    assert!(
        cookies(&headers).contains("passkeys_session="),
        "a session: {headers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a06_slow_bodies_hold_nothing_and_are_cut_off() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = support::fresh_database(dir.path()).await;
    let port = free_port();
    let figment: Figment = support::figment_for(&url)
        .merge(("address", "127.0.0.1"))
        .merge(("port", port));
    let config = Config {
        body_timeout: rocket_passkeys::Interval::from_secs(BODY_TIMEOUT.as_secs()),
        trusted_proxy_header: Some("X-Real-IP".into()),
        rate_limit: RateLimit {
            per_minute: 600,
            burst: 100,
            ..Default::default()
        },
        ..support::config()
    };
    let rocket = rocket::custom(figment)
        .attach(Passkeys::custom(config))
        .mount("/", support::app_routes());
    let server = tokio::spawn(rocket.launch());
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let ready = Instant::now();
    while TcpStream::connect(addr).await.is_err() {
        assert!(
            ready.elapsed() < Duration::from_secs(30),
            "the server starts"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let quiet = start_p99(addr, 1).await;

    // 200 connections send the headers of a 60 KiB body, then one byte a second.
    let mut slow = Vec::new();
    for i in 0..SLOW_CONNECTIONS as u32 {
        slow.push(tokio::spawn(async move {
            let mut stream = TcpStream::connect(addr).await.expect("connect");
            let head = format!(
                "POST /passkeys/register/finish HTTP/1.1\r\nHost: localhost\r\nOrigin: {}\r\n\
                 X-Real-IP: 10.8.{}.{}\r\nContent-Type: application/json\r\n\
                 Content-Length: 61440\r\n\r\n",
                support::ORIGIN,
                i / 256,
                i % 256
            );
            // Rocket itself waits for the first 14 body bytes before it routes a request
            // (it peeks for a `_method` override), with no deadline of its own: they are
            // sent at once, so that what follows measures the crate's deadline.
            stream.write_all(head.as_bytes()).await.expect("headers");
            stream
                .write_all(br#"{"id":"AAAAAAAAAAAAAAAA"#)
                .await
                .expect("the first bytes");
            let began = Instant::now();
            let mut answer = Vec::new();
            let mut buf = [0u8; 4096];
            // Until a whole answer (a JSON body) arrived, the connection closed, or long
            // past the timeout.
            let complete = |a: &[u8]| {
                let text = String::from_utf8_lossy(a);
                text.split_once("\r\n\r\n")
                    .is_some_and(|(_, body)| body.trim_end().ends_with('}'))
            };
            while !complete(&answer) && began.elapsed() < BODY_TIMEOUT * 4 {
                tokio::select! {
                    read = stream.read(&mut buf) => match read {
                        Ok(0) | Err(_) => break,
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                    },
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {
                        if stream.write_all(b" ").await.is_err() {
                            break;
                        }
                    }
                }
            }
            (
                began.elapsed(),
                String::from_utf8_lossy(&answer).to_string(),
            )
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    // While they trickle: others are served as before, and can sign up and in.
    let loaded = start_p99(addr, 1000).await;
    sign_up_and_in(addr, 5000, "honest").await;
    println!(
        "authenticate/start p99: {:.2} ms quiet, {:.2} ms beside {SLOW_CONNECTIONS} slow bodies",
        quiet.as_secs_f64() * 1000.0,
        loaded.as_secs_f64() * 1000.0
    );
    assert!(
        loaded <= 2 * quiet.max(Duration::from_millis(5)),
        "start p99 {loaded:?} beside slow bodies, {quiet:?} without"
    );

    // Each slow connection is answered 408 `request_timeout` after `body_timeout`.
    for task in slow {
        let (took, answer) = task.await.expect("a slow connection");
        assert!(
            answer.starts_with("HTTP/1.1 408"),
            "a slow body is cut off: {answer:?}"
        );
        assert!(answer.contains("\"request_timeout\""), "{answer}");
        assert!(
            took >= BODY_TIMEOUT - Duration::from_millis(600) && took < BODY_TIMEOUT * 3,
            "answered after {took:?}"
        );
    }

    // Nothing was written for them: one user, one passkey, one session (the sign-in's;
    // the sign-up's session belongs to another cookie jar and stays until it expires).
    let snapshot = support::read_snapshot(&url).await;
    assert_eq!(
        (snapshot.users, snapshot.credentials, snapshot.sessions),
        (1, 1, 2)
    );
    server.abort();
}
