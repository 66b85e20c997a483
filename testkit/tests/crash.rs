//! Crash safety: the example server is killed with SIGKILL while registrations finish,
//! 100 times against one database file. No acknowledged registration is ever lost, and
//! no half one is ever kept.

use rocket_passkeys_testkit as support;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::softkey::{SoftKey, Tamper};

const ROUNDS: usize = 100;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(binary: &Path, dir: &Path) -> Server {
        let port = free_port();
        let child = Command::new(binary)
            .current_dir(dir)
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_LOG_LEVEL", "off")
            .env(
                "ROCKET_PASSKEYS_ORIGINS",
                format!("http://localhost:{port}"),
            )
            .env(
                "ROCKET_PASSKEYS_RATE_LIMIT",
                "{per_minute=1000000,burst=100000}",
            )
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the example");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the example did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
        Server { child, port }
    }

    /// SIGKILL: no shutdown, no flush, no destructor.
    fn kill(mut self) {
        self.child.kill().expect("kill -9");
        self.child.wait().expect("reap");
    }
}

/// One HTTP/1.1 request on a fresh connection: status, Set-Cookie values, JSON body.
fn request(
    port: u16,
    path: &str,
    cookies: &[String],
    body: &Value,
) -> std::io::Result<(u16, Vec<String>, Value)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let body = body.to_string();
    let cookie = if cookies.is_empty() {
        String::new()
    } else {
        format!("Cookie: {}\r\n", cookies.join("; "))
    };
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: localhost:{port}\r\nOrigin: http://localhost:{port}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{cookie}Connection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = String::new();
    stream.read_to_string(&mut raw)?;
    let (head, body) = raw
        .split_once("\r\n\r\n")
        .ok_or(std::io::ErrorKind::UnexpectedEof)?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let set_cookies = head
        .lines()
        .filter_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .filter_map(|c| c.split(';').next().map(str::to_string))
        .collect();
    Ok((
        status,
        set_cookies,
        serde_json::from_str(body).unwrap_or(Value::Null),
    ))
}

/// A whole sign-up; Ok(true) when the server acknowledged it.
fn sign_up(port: u16, username: &str) -> std::io::Result<bool> {
    let (status, cookies, options) = request(
        port,
        "/passkeys/register/start",
        &[],
        &json!({ "username": username }),
    )?;
    if status != 200 {
        return Ok(false);
    }
    let mut key = SoftKey::random();
    key.origin = format!("http://localhost:{port}");
    let credential = key.register(&options, &Tamper::default());
    let (status, _, _) = request(port, "/passkeys/register/finish", &cookies, &credential)?;
    Ok(status == 200)
}

async fn check(db: &Path, acknowledged: &[String]) {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display()))
        .await
        .expect("open the database after the crash");
    let users: Vec<(String, i64)> = sqlx::query_as(
        "SELECT u.username, (SELECT count(*) FROM passkey_credentials c WHERE c.user_handle = u.handle) \
         FROM passkey_users u",
    )
    .fetch_all(&pool)
    .await
    .expect("users");
    for name in acknowledged {
        assert!(
            users.iter().any(|(u, n)| u == name && *n == 1),
            "acknowledged sign-up {name} was lost"
        );
    }
    assert!(
        users.iter().all(|(_, n)| *n == 1),
        "an account without its passkey"
    );
    let orphans: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM passkey_credentials WHERE user_handle NOT IN (SELECT handle FROM passkey_users)) \
         + (SELECT count(*) FROM passkey_sessions WHERE user_handle NOT IN (SELECT handle FROM passkey_users))",
    )
    .fetch_one(&pool)
    .await
    .expect("orphans");
    assert_eq!(orphans, 0, "rows without their user");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await
        .expect("integrity");
    assert_eq!(integrity, "ok");
    pool.close().await;
}

#[rocket::async_test]
async fn sigkill_during_registration_loses_nothing_acknowledged() {
    let binary = rocket_passkeys_testkit::webdriver::example_binary("passkeys_only");
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("passkeys.sqlite");
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let mut attempts = 0usize;
    for round in 0..ROUNDS {
        let server = Server::start(&binary, dir.path());
        let port = server.port;
        let stop = Arc::new(AtomicBool::new(false));
        let workers: Vec<_> = (0..4)
            .map(|worker| {
                let (stop, acknowledged) = (stop.clone(), acknowledged.clone());
                std::thread::spawn(move || {
                    let mut tried = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let name = format!("r{round}w{worker}n{tried}");
                        tried += 1;
                        match sign_up(port, &name) {
                            Ok(true) => acknowledged.lock().expect("lock").push(name),
                            Ok(false) => {}
                            Err(_) => break, // the server is gone mid-request
                        }
                    }
                    tried
                })
            })
            .collect();
        // Kill at a different moment each round: 5 to 80 ms into the load.
        std::thread::sleep(Duration::from_millis(5 + (round as u64 * 37) % 76));
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for worker in workers {
            attempts += worker.join().expect("worker");
        }
        let acknowledged = acknowledged.lock().expect("lock").clone();
        check(&db, &acknowledged).await;
    }
    let acknowledged = acknowledged.lock().expect("lock").len();
    eprintln!(
        "{ROUNDS} kills, {attempts} sign-ups attempted, {acknowledged} acknowledged, none lost"
    );
    assert!(acknowledged > ROUNDS, "the load really ran");
    assert!(
        attempts > acknowledged,
        "some sign-ups were cut off by a kill"
    );
}
