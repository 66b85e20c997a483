//! A mutation fuzzer over the finish routes' body handling: live ceremonies get valid
//! responses from the SoftKey, which are then bent (fields dropped, retyped, truncated,
//! bit-flipped, nested) and sent. Every answer must be a 4xx JSON error or a success, never
//! a 5xx or a panic, and the server must keep serving.
//!
//! Runs for `FUZZ_SECONDS` (default 5; `.ci/run` gives it more) with the seed in
//! `FUZZ_SEED` (printed, so a failure can be replayed). Seeds: `tests/fuzz-corpus/`.

use rocket_passkeys_testkit as support;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocket::http::{ContentType, Status};
use serde_json::{json, Value};
use support::softkey::{SoftKey, Tamper};
use support::{soft_account, soft_sign_in, TestApp};

fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read(p).expect("a seed"))
        .collect()
}

/// A random JSON value of a random type.
fn junk(rng: &mut StdRng) -> Value {
    match rng.gen_range(0..8) {
        0 => Value::Null,
        1 => json!(rng.gen::<bool>()),
        2 => json!(rng.gen::<i64>()),
        3 => json!(rng.gen::<f64>()),
        4 => json!("x".repeat(rng.gen_range(0..5000))),
        5 => json!(URL_SAFE_NO_PAD.encode(
            (0..rng.gen_range(0..300))
                .map(|_| rng.gen::<u8>())
                .collect::<Vec<_>>()
        )),
        6 => json!([1, "a", null]),
        _ => json!({ "k": [] }),
    }
}

/// Every path to a leaf or object in the body.
fn paths(value: &Value, prefix: &str, out: &mut Vec<String>) {
    if let Value::Object(map) = value {
        for (k, v) in map {
            let path = format!("{prefix}/{k}");
            out.push(path.clone());
            paths(v, &path, out);
        }
    }
}

/// One random change.
fn mutate(rng: &mut StdRng, body: &mut Value) {
    let mut all = Vec::new();
    paths(body, "", &mut all);
    if all.is_empty() {
        *body = junk(rng);
        return;
    }
    let path = all[rng.gen_range(0..all.len())].clone();
    let (parent, key) = path.rsplit_once('/').unwrap_or(("", &path));
    let Some(target) = body.pointer_mut(&path) else {
        return;
    };
    match rng.gen_range(0..6) {
        0 => *target = junk(rng),
        1 => {
            // Flip bits in a base64url field's bytes.
            if let Some(mut bytes) = target.as_str().and_then(|s| URL_SAFE_NO_PAD.decode(s).ok()) {
                for _ in 0..rng.gen_range(1..4) {
                    if !bytes.is_empty() {
                        let i = rng.gen_range(0..bytes.len());
                        bytes[i] ^= 1 << rng.gen_range(0..8);
                    }
                }
                *target = json!(URL_SAFE_NO_PAD.encode(bytes));
            }
        }
        2 => {
            // Truncate a base64url field's bytes.
            if let Some(bytes) = target.as_str().and_then(|s| URL_SAFE_NO_PAD.decode(s).ok()) {
                let keep = rng.gen_range(0..=bytes.len());
                *target = json!(URL_SAFE_NO_PAD.encode(&bytes[..keep]));
            }
        }
        3 => {
            if let Some(map) = body.pointer_mut(parent).and_then(Value::as_object_mut) {
                map.remove(key);
            }
        }
        4 => *target = json!([target.clone()]),
        _ => {
            if let Some(map) = body.pointer_mut(parent).and_then(Value::as_object_mut) {
                map.insert(format!("extra{}", rng.gen::<u8>()), junk(rng));
            }
        }
    }
}

async fn send(browser: &mut support::Browser<'_>, route: &str, bytes: Vec<u8>) -> support::Answer {
    browser
        .post_raw(
            route,
            ContentType::JSON,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
        .await
}

fn acceptable(answer: &support::Answer, what: &str) {
    assert!(
        answer.status.code < 500,
        "{what} answered {}: {:?}",
        answer.status,
        answer.body
    );
    if answer.status != Status::Ok {
        assert!(
            answer.body["error"].is_string(),
            "{what}: a JSON error: {:?}",
            answer.body
        );
    }
}

#[rocket::async_test]
async fn finish_bodies_never_get_a_5xx() {
    let seconds: u64 = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("fuzzing for {seconds} s with FUZZ_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let app = TestApp::with(rocket_passkeys::Config {
        rate_limit: rocket_passkeys::RateLimit {
            per_minute: u32::MAX,
            burst: u32::MAX,
            ..Default::default()
        },
        ..support::config()
    })
    .await;
    let mut victim = soft_account(&app, "victim").await;
    let seeds = corpus();

    // The corpus, replayed whole on both finish routes, with and without a ceremony.
    for seed_body in &seeds {
        for (start, finish) in [
            ("/passkeys/register/start", "/passkeys/register/finish"),
            (
                "/passkeys/authenticate/start",
                "/passkeys/authenticate/finish",
            ),
        ] {
            let mut browser = app.browser();
            acceptable(
                &send(&mut browser, finish, seed_body.clone()).await,
                "a seed without a ceremony",
            );
            browser.post(start, &json!({ "username": "seed" })).await;
            acceptable(
                &send(&mut browser, finish, seed_body.clone()).await,
                "a seed",
            );
        }
    }

    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    let mut cases = 0u64;
    let mut statuses = std::collections::BTreeMap::<String, u64>::new();
    while std::time::Instant::now() < deadline {
        let mut browser = app.browser();
        let registering = rng.gen_bool(0.5);
        let (route, mut body) = if registering {
            let name = format!("f{cases}");
            let start = browser
                .post("/passkeys/register/start", &json!({ "username": name }))
                .await;
            (
                "/passkeys/register/finish",
                SoftKey::random().register(&start.body, &Tamper::default()),
            )
        } else {
            let start = browser
                .post("/passkeys/authenticate/start", &json!({}))
                .await;
            (
                "/passkeys/authenticate/finish",
                victim.assert(&start.body, &Tamper::default()),
            )
        };
        for _ in 0..rng.gen_range(1..4) {
            mutate(&mut rng, &mut body);
        }
        let mut bytes = body.to_string().into_bytes();
        if rng.gen_bool(0.1) {
            // Byte-level damage to the JSON text itself.
            let keep = rng.gen_range(0..=bytes.len());
            bytes.truncate(keep);
        }
        let answer = send(&mut browser, route, bytes.clone()).await;
        acceptable(
            &answer,
            &format!(
                "case {cases} (FUZZ_SEED={seed}): {}",
                String::from_utf8_lossy(&bytes)
            ),
        );
        *statuses
            .entry(format!(
                "{} {}",
                answer.status.code,
                answer.body["error"].as_str().unwrap_or("ok")
            ))
            .or_default() += 1;
        cases += 1;
    }
    eprintln!("{cases} mutated finishes: {statuses:?}");
    assert!(cases > 0);
    // Still serving, and the victim's passkey still works.
    let answer = soft_sign_in(&app, &mut victim, None, &Tamper::default()).await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
}
