//! The ceremony load benchmark: simulated browsers with software authenticators sign up,
//! then sign in again and again, over loopback HTTP, against the crate's `passkeys_only`
//! example (release, embedded SQLite, durable writes) and a hand-written axum +
//! webauthn-rs baseline (state in memory, `baseline.rs`), in the same run.
//!
//! ```sh
//! export CARGO_TARGET_DIR=/work/target-bench   # optional
//! cargo bench --bench load                     # the full run (about 1-2 minutes)
//! cargo bench --bench load -- --quick          # a smoke run (about 10 s); or BENCH_QUICK=1
//! ```
//!
//! It builds the example itself (`cargo build --release -p rocket_passkeys --example
//! passkeys_only`; set `BENCH_BUILD=0` to skip, `PASSKEYS_BIN=path` to use another binary).
//! It pins the servers to CPU 0 and itself to CPU 1, and runs in its own session at a
//! raised priority (the kernel's autogroups would otherwise split each CPU evenly with
//! other sessions' builds; `BENCH_NICE=0` to keep the normal one). Each server's CPU time is read from
//! /proc/<pid>/stat (utime + stime) before and after every phase.
//!
//! For each sign-in style (usernameless, username-first) and concurrency (1, 8, 32, 128),
//! `c` workers, each with one keep-alive connection, play `N` browsers (each with its own
//! cookie jar and P-256 key): all sign up, then each signs in `K` times (a browser keeps
//! its cookies, so each sign-in replaces its session). Every ceremony is checked (status
//! 200, a `redirect` in the body, a session cookie set); failures are counted by step and
//! status. All these browsers share one address (the load tool's, as behind one NAT), and
//! the crate's per-address rate limit is raised, as an operator with such users would.
//!
//! Then the crate runs again with its default configuration (the default rate limit; the
//! documented reverse-proxy set-up, `trusted_proxy_header = "X-Real-IP"`), and browsers
//! each with their own address sign up and sign in at concurrency 32. Last,
//! `authenticate/start` requests flood that server and the baseline, each from a new
//! address (a distributed flood: no per-address limit applies), and RSS growth is read
//! from /proc/<pid>/status.
//!
//! On the crate's servers (not the baseline) it also reads `GET /metrics` (the example's
//! Prometheus exporter) before and after each phase and once mid-way through it, and
//! compares the deltas with its own counts (`scrape.rs`): ceremonies started and finished
//! per kind, failures by error code, sessions opened by passkey, sign-in durations
//! recorded, rate-limited requests, and requests sent. A mismatch fails the run, after the
//! report. `BENCH_METRICS=0` skips the scrapes (to see that they cost nothing measurable).
//!
//! For profiling, one style or concurrency can be run longer: `BENCH_MODES=usernameless`,
//! `BENCH_CONCURRENCIES=32`, `BENCH_ROUNDS=15` (sign-ins per browser), `BENCH_FLOOD=0`.
//!
//! Output: a table for people and one JSON line (starting `{"bench":"load"`) for machines.

mod baseline;
mod client;
mod scrape;
mod softkey;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::Notify;

use client::{parse_set_cookie, Conn, Jar};
use scrape::{Check, Sample, Tally};
use softkey::SoftKey;

/// A fixed 256-bit key for Rocket's private cookies (base64, 44 characters).
const SECRET_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const CONCURRENCIES: [usize; 4] = [1, 8, 32, 128];
const SESSION_COOKIE: &str = "passkeys_session";
const SERVER_CPU: usize = 0;
const CLIENT_CPU: usize = 1;
/// The most the crate's RSS may grow under the flood, MiB.
const FLOOD_GROWTH_MIB: f64 = 20.0;

// ---------------------------------------------------------------------------------------
// The plan

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Usernameless,
    UsernameFirst,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Usernameless => "usernameless",
            Mode::UsernameFirst => "username-first",
        }
    }
}

struct Plan {
    quick: bool,
    /// Browsers per concurrency (at least the concurrency).
    browsers: [usize; 4],
    /// Sign-ins per browser, per concurrency.
    rounds: [usize; 4],
    flood: usize,
    flood_concurrency: usize,
    verify_seconds: f64,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        let mut plan = Plan::preset(quick);
        // For profiling: BENCH_ROUNDS=20 sign-ins per browser, BENCH_FLOOD=0 to skip it.
        if let Some(rounds) = env_number("BENCH_ROUNDS") {
            plan.rounds = [rounds; 4];
        }
        if let Some(flood) = env_number("BENCH_FLOOD") {
            plan.flood = flood;
        }
        plan
    }

    fn preset(quick: bool) -> Plan {
        if quick {
            Plan {
                quick,
                browsers: [32, 128, 128, 128],
                rounds: [5, 3, 3, 3],
                flood: 20_000,
                flood_concurrency: 32,
                verify_seconds: 0.5,
            }
        } else {
            Plan {
                quick,
                browsers: [300, 1000, 1024, 1024],
                rounds: [6, 5, 5, 5],
                flood: 100_000,
                flood_concurrency: 32,
                verify_seconds: 2.0,
            }
        }
    }
}

fn env_number(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// BENCH_CONCURRENCIES=32 (comma-separated) runs only those of 1, 8, 32, 128.
fn selected_concurrency(c: usize) -> bool {
    std::env::var("BENCH_CONCURRENCIES")
        .map(|list| list.split(',').any(|v| v.trim().parse() == Ok(c)))
        .unwrap_or(true)
}

/// BENCH_MODES=usernameless or username-first runs only that one.
fn selected_mode(mode: Mode) -> bool {
    std::env::var("BENCH_MODES")
        .map(|list| list.split(',').any(|v| v.trim() == mode.name()))
        .unwrap_or(true)
}

// ---------------------------------------------------------------------------------------
// Processes: pinning, /proc

fn pin_to(cpu: usize) -> std::io::Result<()> {
    // SAFETY: a zeroed cpu_set_t is valid; CPU_SET writes inside it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Raises this thread's priority (threads it starts inherit it), so other work on a shared
/// machine does not starve the servers or the client. Both servers get the same.
fn renice(nice: i32) -> std::io::Result<()> {
    // SAFETY: setpriority has no memory preconditions; `0` is the calling thread.
    if unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, nice) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// On a shared machine the kernel's autogroups split each CPU evenly between sessions,
/// whatever the nice of their threads: this process starts its own session (so its own
/// autogroup, which the servers it starts join) and raises that group's priority. Returns
/// what it could do, for the report.
fn isolate(nice: i32) -> String {
    if nice == 0 {
        return "normal priority".into();
    }
    // SAFETY: setsid has no preconditions; it fails harmlessly for a group leader.
    let session = unsafe { libc::setsid() } != -1;
    let group = std::fs::write("/proc/self/autogroup", nice.to_string()).is_ok();
    let thread = renice(nice).is_ok();
    match (session && group, thread) {
        (true, true) => format!("own autogroup at nice {nice}"),
        (false, true) => format!("nice {nice} (autogroup unchanged)"),
        _ => "normal priority (cannot raise it)".into(),
    }
}

fn bench_nice() -> i32 {
    std::env::var("BENCH_NICE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(-15)
}

/// CPU time of the calling thread, in seconds.
fn thread_cpu() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn clock_ticks() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks > 0 {
        ticks as f64
    } else {
        100.0
    }
}

/// utime + stime of a process (all its threads), in seconds.
fn cpu_seconds(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return f64::NAN;
    };
    // The command name is in parentheses and may hold spaces: fields follow the last ')'.
    let rest = &stat[stat.rfind(')').map_or(0, |i| i + 1)..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    let utime: f64 = fields
        .get(11)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let stime: f64 = fields
        .get(12)
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    (utime + stime) / clock_ticks()
}

/// A field of /proc/<pid>/status in KiB (VmRSS, VmHWM).
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("port").port()
}

struct Server {
    name: &'static str,
    port: u16,
    child: Child,
    /// Serves `GET /metrics` (the crate's example does, the baseline does not).
    metrics: bool,
    _dir: Option<tempfile::TempDir>,
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn cpu(&self) -> f64 {
        cpu_seconds(&self.pid().to_string())
    }

    fn rss_kib(&self) -> u64 {
        status_kib(self.pid(), "VmRSS:")
    }

    fn spawn(
        name: &'static str,
        mut command: Command,
        port: u16,
        pin: bool,
        dir: Option<tempfile::TempDir>,
    ) -> Server {
        command.stdin(Stdio::null()).stdout(Stdio::null());
        let nice = bench_nice();
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: only async-signal-safe syscalls run between fork and exec.
            unsafe {
                command.pre_exec(move || {
                    // The server dies with this process, however it ends.
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    if pin {
                        pin_to(SERVER_CPU)?;
                    }
                    // Without the privilege to raise it, run at the normal priority.
                    let _ = renice(nice);
                    Ok(())
                });
            }
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start the {name} server: {e}"));
        let mut server = Server {
            name,
            port,
            child,
            metrics: false,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the {name} server exited at start: {status}");
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the {name} server did not listen on port {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release `passkeys_only` binary, built here unless told otherwise.
fn crate_binary() -> PathBuf {
    if let Ok(path) = std::env::var("PASSKEYS_BIN") {
        return PathBuf::from(path);
    }
    // This bench runs from <target>/release/deps/load-<hash>.
    let exe = std::env::current_exe().expect("current exe");
    let release = exe
        .parent()
        .and_then(Path::parent)
        .expect("the bench runs from <target>/<profile>/deps");
    let binary = release.join("examples").join("passkeys_only");
    if std::env::var("BENCH_BUILD").as_deref() != Ok("0") {
        let target_dir = release.parent().expect("target dir");
        eprintln!("building: cargo build --release -p rocket_passkeys --example passkeys_only");
        let mut command = Command::new("cargo");
        command
            // From this member's directory, the example is the root package's.
            .args([
                "build",
                "--release",
                "-p",
                "rocket_passkeys",
                "--example",
                "passkeys_only",
            ])
            .env("CARGO_TARGET_DIR", target_dir)
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        // The environment of the shell that ran `cargo bench`, without what cargo adds to
        // run a bench: with it, this build and `cargo bench` invalidate each other's
        // artifacts and each run rebuilds the crate.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let added = [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
            ]
            .iter()
            .any(|prefix| key.starts_with(prefix))
                || [
                    "CARGO",
                    "CARGO_TARGET_TMPDIR",
                    "CARGO_PRIMARY_PACKAGE",
                    "OUT_DIR",
                ]
                .contains(&key.as_ref())
                || key == "RUST_RECURSION_COUNT";
            if added {
                command.env_remove(key.as_ref());
            }
        }
        if let Some(paths) = std::env::var_os("LD_LIBRARY_PATH") {
            let kept: Vec<PathBuf> = std::env::split_paths(&paths)
                .filter(|p| {
                    !p.starts_with(target_dir) && !p.to_string_lossy().contains("/toolchains/")
                })
                .collect();
            if kept.is_empty() {
                command.env_remove("LD_LIBRARY_PATH");
            } else {
                command.env(
                    "LD_LIBRARY_PATH",
                    std::env::join_paths(kept).expect("paths"),
                );
            }
        }
        let status = command.status().expect("run cargo");
        assert!(
            status.success(),
            "cargo build --example passkeys_only failed"
        );
    }
    assert!(
        binary.exists(),
        "{} is missing: run `cargo build --release -p rocket_passkeys --example passkeys_only` \
         with the same CARGO_TARGET_DIR, or set PASSKEYS_BIN",
        binary.display()
    );
    binary
}

/// How the crate is configured for a run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Setup {
    /// Every browser from the load tool's one address, the per-address rate limit raised.
    OneAddress,
    /// The default configuration behind the documented reverse proxy: each browser its own
    /// address, sent as `X-Real-IP`.
    Defaults,
}

fn start_crate(binary: &Path, pin: bool, setup: Setup) -> Server {
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let mut command = Command::new(binary);
    command
        .current_dir(dir.path())
        .env("ROCKET_PORT", port.to_string())
        .env("ROCKET_ADDRESS", "127.0.0.1")
        .env("ROCKET_LOG_LEVEL", "off")
        .env(
            "ROCKET_PASSKEYS_ORIGINS",
            format!("http://localhost:{port}"),
        )
        .env("ROCKET_SECRET_KEY", SECRET_KEY)
        .stderr(Stdio::null());
    let name = match setup {
        Setup::OneAddress => {
            command.env(
                "ROCKET_PASSKEYS_RATE_LIMIT",
                "{per_minute=10000000,burst=1000000}",
            );
            "crate"
        }
        Setup::Defaults => {
            command.env("ROCKET_PASSKEYS_TRUSTED_PROXY_HEADER", "X-Real-IP");
            "crate-default"
        }
    };
    let mut server = Server::spawn(name, command, port, pin, Some(dir));
    server.metrics = std::env::var("BENCH_METRICS").as_deref() != Ok("0");
    server
}

fn start_baseline(pin: bool) -> Server {
    let port = free_port();
    let mut command = Command::new(std::env::current_exe().expect("current exe"));
    command
        .args(["--serve-baseline", &port.to_string()])
        .stderr(Stdio::inherit());
    Server::spawn("baseline", command, port, pin, None)
}

// ---------------------------------------------------------------------------------------
// Browsers

struct Browser {
    key: SoftKey,
    jar: Jar,
    username: String,
    signed_up: bool,
    /// Its own address, in 10.0.0.0/9, or none: the load tool's.
    ip: Option<Ipv4Addr>,
}

/// Latencies (microseconds) and outcomes of one phase.
#[derive(Default)]
struct Stats {
    ok: u64,
    attempted: u64,
    start: Vec<u32>,
    finish: Vec<u32>,
    /// "step status" -> count.
    failures: BTreeMap<String, u64>,
    first_error: Option<String>,
    /// What the server's metrics should show for these requests.
    tally: Tally,
}

impl Stats {
    fn fail(&mut self, step: &str, what: String, detail: String) {
        *self.failures.entry(format!("{step} {what}")).or_default() += 1;
        if self.first_error.is_none() {
            self.first_error = Some(format!("{step}: {what}: {detail}"));
        }
    }

    fn merge(&mut self, other: Stats) {
        self.ok += other.ok;
        self.attempted += other.attempted;
        self.start.extend(other.start);
        self.finish.extend(other.finish);
        for (key, count) in other.failures {
            *self.failures.entry(key).or_default() += count;
        }
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
        self.tally.merge(other.tally);
    }
}

/// The answers received so far in a phase, and the cue of the mid-way scrape: when half
/// the expected answers are in (or when the phase ends, if they never are).
struct Progress {
    answered: AtomicU64,
    half: u64,
    cue: Notify,
    done: AtomicBool,
}

impl Progress {
    fn new(expected: u64) -> Arc<Progress> {
        Arc::new(Progress {
            answered: AtomicU64::new(0),
            half: (expected / 2).max(1),
            cue: Notify::new(),
            done: AtomicBool::new(false),
        })
    }

    fn answered(&self) {
        if self.answered.fetch_add(1, Ordering::Relaxed) + 1 == self.half {
            self.cue.notify_one();
        }
    }

    fn count(&self) -> u64 {
        self.answered.load(Ordering::Relaxed)
    }

    fn finish(&self) {
        self.done.store(true, Ordering::Relaxed);
        self.cue.notify_one();
    }
}

fn micros(since: Instant) -> u32 {
    since.elapsed().as_micros().min(u32::MAX as u128) as u32
}

fn body_text(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned()
}

/// One ceremony: start, the authenticator, finish; checks both answers.
async fn ceremony(
    conn: &mut Conn,
    browser: &mut Browser,
    kind: &str,
    start_body: Value,
    stats: &mut Stats,
    progress: &Progress,
) -> bool {
    stats.attempted += 1;
    let start_step = format!("{kind}/start");
    let finish_step = format!("{kind}/finish");
    let path = format!("/passkeys/{start_step}");
    stats.tally.sent(kind);
    let began = Instant::now();
    let answer = conn
        .post(
            &path,
            start_body.to_string().into_bytes(),
            Some(&mut browser.jar),
            browser.ip,
        )
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(e) => {
            stats.tally.unanswered(kind);
            stats.fail(&start_step, "io".into(), e);
            return false;
        }
    };
    stats.start.push(micros(began));
    progress.answered();
    if answer.status != 200 {
        stats.tally.failed(kind, answer.status, &answer.body);
        let detail = body_text(&answer.body);
        stats.fail(&start_step, answer.status.to_string(), detail);
        return false;
    }
    stats.tally.started(kind);
    let options: Value = match serde_json::from_slice(&answer.body) {
        Ok(options) => options,
        Err(e) => {
            stats.fail(&start_step, "bad-json".into(), e.to_string());
            return false;
        }
    };
    let response = if kind == "register" {
        browser.key.register(&options)
    } else {
        browser.key.assert(&options)
    };
    let response = match response {
        Ok(response) => response,
        Err(e) => {
            stats.fail(&start_step, "bad-options".into(), e);
            return false;
        }
    };
    let path = format!("/passkeys/{finish_step}");
    stats.tally.sent(kind);
    let began = Instant::now();
    let answer = match conn
        .post(&path, response, Some(&mut browser.jar), browser.ip)
        .await
    {
        Ok(answer) => answer,
        Err(e) => {
            stats.tally.unanswered(kind);
            stats.fail(&finish_step, "io".into(), e);
            return false;
        }
    };
    stats.finish.push(micros(began));
    progress.answered();
    if answer.status != 200 {
        stats.tally.failed(kind, answer.status, &answer.body);
        let detail = body_text(&answer.body);
        stats.fail(&finish_step, answer.status.to_string(), detail);
        return false;
    }
    // Any 200 finish is counted finished (a sign-in's also timed); one that set the
    // session cookie opened a session, whatever else is wrong with the answer.
    let session = answer
        .set_cookies
        .iter()
        .any(|h| matches!(parse_set_cookie(h), Some((name, _, false)) if name == SESSION_COOKIE));
    stats.tally.finished(kind, session);
    let redirect = serde_json::from_slice::<Value>(&answer.body)
        .ok()
        .and_then(|v| v["redirect"].as_str().map(str::to_string));
    if redirect.is_none() {
        let detail = body_text(&answer.body);
        stats.fail(&finish_step, "200-no-redirect".into(), detail);
        return false;
    }
    if !session {
        let detail = answer.set_cookies.join(" | ");
        stats.fail(&finish_step, "200-no-session-cookie".into(), detail);
        return false;
    }
    stats.ok += 1;
    true
}

async fn sign_up_worker(
    mut conn: Conn,
    mut browsers: Vec<Browser>,
    progress: Arc<Progress>,
) -> (Vec<Browser>, Stats) {
    let mut stats = Stats::default();
    for browser in &mut browsers {
        let body = json!({
            "username": browser.username,
            "display_name": format!("Bench {}", browser.username),
        });
        browser.signed_up =
            ceremony(&mut conn, browser, "register", body, &mut stats, &progress).await;
    }
    (browsers, stats)
}

async fn sign_in_worker(
    mut conn: Conn,
    mut browsers: Vec<Browser>,
    rounds: usize,
    mode: Mode,
    progress: Arc<Progress>,
) -> (Vec<Browser>, Stats) {
    let mut stats = Stats::default();
    for _ in 0..rounds {
        for browser in &mut browsers {
            if !browser.signed_up {
                stats.attempted += 1;
                stats.fail("authenticate/start", "skipped".into(), "no sign-up".into());
                continue;
            }
            let body = match mode {
                Mode::Usernameless => json!({}),
                Mode::UsernameFirst => json!({ "username": browser.username }),
            };
            ceremony(
                &mut conn,
                browser,
                "authenticate",
                body,
                &mut stats,
                &progress,
            )
            .await;
        }
    }
    (browsers, stats)
}

// ---------------------------------------------------------------------------------------
// Phases

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    SignUp,
    SignIn,
}

#[derive(Clone, Copy, Default)]
struct Pcts {
    p50: f64,
    p95: f64,
    p99: f64,
}

fn percentiles(mut samples: Vec<u32>) -> Pcts {
    if samples.is_empty() {
        return Pcts::default();
    }
    samples.sort_unstable();
    let at = |q: f64| {
        let rank = ((q * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
        samples[rank - 1] as f64 / 1000.0
    };
    Pcts {
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
    }
}

struct Phase {
    server: &'static str,
    kind: Kind,
    mode: Mode,
    concurrency: usize,
    browsers: usize,
    attempted: u64,
    ok: u64,
    wall: f64,
    server_cpu: f64,
    client_cpu: f64,
    start: Pcts,
    finish: Pcts,
    failures: BTreeMap<String, u64>,
    first_error: Option<String>,
    /// The server's metrics against the tool's counts (the crate only).
    metrics: Option<Check>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.ok as f64 / self.wall
    }
    /// Server CPU per successful ceremony, microseconds.
    fn cpu_per(&self) -> f64 {
        self.server_cpu * 1e6 / self.ok.max(1) as f64
    }
    fn step(&self) -> &'static str {
        match self.kind {
            Kind::SignUp => "register",
            Kind::SignIn => "authenticate",
        }
    }

    fn json(&self) -> Value {
        json!({
            "server": self.server,
            "phase": kind_name(self.kind),
            "mode": self.mode.name(),
            "concurrency": self.concurrency,
            "browsers": self.browsers,
            "attempted": self.attempted,
            "ok": self.ok,
            "failed": self.attempted - self.ok,
            "failures": self.failures,
            "wall_s": round(self.wall, 4),
            "ceremonies_per_s": round(self.rate(), 1),
            "server_cpu_us_per_ceremony": round(self.cpu_per(), 1),
            "server_cpu_util": round(self.server_cpu / self.wall, 3),
            "client_cpu_util": round(self.client_cpu / self.wall, 3),
            "start_ms": {"p50": self.start.p50, "p95": self.start.p95, "p99": self.start.p99},
            "finish_ms": {"p50": self.finish.p50, "p95": self.finish.p95, "p99": self.finish.p99},
        })
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::SignUp => "sign-up",
        Kind::SignIn => "sign-in",
    }
}

fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

async fn connect_all(port: u16, count: usize) -> Vec<Conn> {
    let mut conns = Vec::with_capacity(count);
    for _ in 0..count {
        conns.push(Conn::connect(port).await.expect("connect"));
    }
    conns
}

/// Deals browsers to workers: worker `w` plays browsers `w`, `w + c`, `w + 2c`, ...
fn deal(browsers: Vec<Browser>, workers: usize) -> Vec<Vec<Browser>> {
    let mut hands: Vec<Vec<Browser>> = (0..workers).map(|_| Vec::new()).collect();
    for (i, browser) in browsers.into_iter().enumerate() {
        hands[i % workers].push(browser);
    }
    hands
}

/// The mid-way scrape: what it read, the answers the tool had received when it was sent
/// and when it came back, and whether the phase was still running then.
struct MidScrape {
    scraped: Result<(Sample, f64), String>,
    answered: (u64, u64),
    under_load: bool,
}

/// Scrapes `/metrics` once, when `progress` gives the cue.
fn mid_scrape(port: u16, progress: Arc<Progress>) -> tokio::task::JoinHandle<MidScrape> {
    tokio::spawn(async move {
        progress.cue.notified().await;
        let sent_at = progress.count();
        let scraped = scrape::scrape(port).await;
        let back_at = progress.count();
        MidScrape {
            scraped,
            answered: (sent_at, back_at),
            under_load: !progress.done.load(Ordering::Relaxed),
        }
    })
}

/// Compares the scrapes around a phase (and the one in it) with the tool's tally; at most
/// `in_flight` requests are unanswered at any time.
fn check_metrics(
    label: String,
    before: Result<(Sample, f64), String>,
    mid: Option<MidScrape>,
    after: Result<(Sample, f64), String>,
    tally: &Tally,
    in_flight: u64,
) -> Check {
    let mut errors = Vec::new();
    let mut millis = Vec::new();
    let mut read = |what: &str, scraped: Result<(Sample, f64), String>| match scraped {
        Ok((sample, ms)) => {
            millis.push(ms);
            Some((sample, ms))
        }
        Err(e) => {
            errors.push(format!("scrape {what}: {e}"));
            None
        }
    };
    let before = read("before", before);
    let mid = mid.and_then(|m| read("mid-way", m.scraped).map(|s| (s, m.answered, m.under_load)));
    let after = read("after", after);
    let (rows, mid) = match (&before, &after) {
        (Some((b, _)), Some((a, _))) => (
            scrape::compare(b, a, tally),
            mid.map(|((m, ms), answered, under_load)| {
                scrape::mid_check(b, &m, a, answered, in_flight, ms, under_load)
            }),
        ),
        _ => (Vec::new(), None),
    };
    Check {
        label,
        rows,
        mid,
        errors,
        scrape_ms: millis,
    }
}

async fn run_phase(
    server: &Server,
    kind: Kind,
    mode: Mode,
    concurrency: usize,
    browsers: Vec<Browser>,
    rounds: usize,
) -> (Phase, Vec<Browser>) {
    let count = browsers.len();
    // The crate's counts before the phase, outside its measured time and CPU.
    let before = if server.metrics {
        Some(scrape::scrape(server.port).await)
    } else {
        None
    };
    let conns = connect_all(server.port, concurrency).await;
    let hands = deal(browsers, concurrency);
    // A start and a finish per ceremony: the scrape mid-way waits for half their answers.
    let expected = 2 * count * if kind == Kind::SignUp { 1 } else { rounds };
    let progress = Progress::new(expected as u64);
    let mid = server
        .metrics
        .then(|| mid_scrape(server.port, progress.clone()));
    let cpu_before = server.cpu();
    let client_before = cpu_seconds("self");
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (conn, hand) in conns.into_iter().zip(hands) {
        let progress = progress.clone();
        match kind {
            Kind::SignUp => tasks.spawn(sign_up_worker(conn, hand, progress)),
            Kind::SignIn => tasks.spawn(sign_in_worker(conn, hand, rounds, mode, progress)),
        };
    }
    let mut stats = Stats::default();
    let mut browsers = Vec::with_capacity(count);
    while let Some(done) = tasks.join_next().await {
        let (hand, worker_stats) = done.expect("worker");
        browsers.extend(hand);
        stats.merge(worker_stats);
    }
    let wall = began.elapsed().as_secs_f64();
    let server_cpu = server.cpu() - cpu_before;
    let client_cpu = cpu_seconds("self") - client_before;
    progress.finish();
    let metrics = match before {
        Some(before) => {
            let mid = match mid {
                Some(task) => Some(task.await.expect("the mid-way scrape")),
                None => None,
            };
            let after = scrape::scrape(server.port).await;
            let label = format!(
                "{} {} {} c={concurrency}",
                server.name,
                kind_name(kind),
                mode.name()
            );
            Some(check_metrics(
                label,
                before,
                mid,
                after,
                &stats.tally,
                concurrency as u64,
            ))
        }
        None => None,
    };
    let phase = Phase {
        server: server.name,
        kind,
        mode,
        concurrency,
        browsers: count,
        attempted: stats.attempted,
        ok: stats.ok,
        wall,
        server_cpu,
        client_cpu,
        start: percentiles(stats.start),
        finish: percentiles(stats.finish),
        failures: stats.failures,
        first_error: stats.first_error,
        metrics,
    };
    (phase, browsers)
}

fn new_browsers(
    port: u16,
    mode: Mode,
    concurrency: usize,
    count: usize,
    own_address: bool,
) -> Vec<Browser> {
    let origin = format!("http://localhost:{port}");
    let tag = match mode {
        Mode::Usernameless => "ul",
        Mode::UsernameFirst => "uf",
    };
    // Distinct addresses across the whole run: 10.0.0.0/9, by style and concurrency.
    let base = u32::from(Ipv4Addr::new(10, 0, 0, 0))
        + match mode {
            Mode::Usernameless => 0,
            Mode::UsernameFirst => 1 << 22,
        }
        + (concurrency as u32) * (1 << 12);
    (0..count)
        .map(|i| Browser {
            key: SoftKey::new("localhost", &origin),
            jar: Jar::default(),
            username: format!("bench-{tag}-c{concurrency}-{i}"),
            signed_up: false,
            ip: own_address.then(|| Ipv4Addr::from(base + i as u32)),
        })
        .collect()
}

struct Flood {
    server: &'static str,
    starts: usize,
    wall: f64,
    statuses: BTreeMap<String, u64>,
    rss_before_kib: u64,
    rss_after_kib: u64,
    hwm_after_kib: u64,
    server_cpu: f64,
    /// The status of a real sign-in start right after the flood.
    after: String,
    /// The server's metrics against the tool's counts (the crate only).
    metrics: Option<Check>,
}

impl Flood {
    fn growth_mib(&self) -> f64 {
        (self.rss_after_kib as f64 - self.rss_before_kib as f64) / 1024.0
    }
    fn accepted(&self) -> u64 {
        self.statuses.get("200").copied().unwrap_or(0)
    }
}

/// A distributed flood, the worst case for the global bound: every start comes from a
/// new address in 10.128.0.0/9, so no per-client limit applies.
fn flood_ip(n: usize) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 128, 0, 0)) + n as u32)
}

/// One `authenticate/start` from address `n`: its status, counted in `tally`.
async fn flood_start(conn: &mut Conn, n: usize, tally: &mut Tally) -> Result<u16, String> {
    tally.sent("authenticate");
    match conn
        .post(
            "/passkeys/authenticate/start",
            b"{}".to_vec(),
            None,
            Some(flood_ip(n)),
        )
        .await
    {
        Ok(answer) if answer.status == 200 => {
            tally.started("authenticate");
            Ok(200)
        }
        Ok(answer) => {
            tally.failed("authenticate", answer.status, &answer.body);
            Ok(answer.status)
        }
        Err(e) => {
            tally.unanswered("authenticate");
            Err(e)
        }
    }
}

async fn flood_worker(
    mut conn: Conn,
    first: usize,
    count: usize,
    progress: Arc<Progress>,
) -> (BTreeMap<String, u64>, Tally) {
    let mut statuses = BTreeMap::new();
    let mut tally = Tally::default();
    for n in first..first + count {
        let key = match flood_start(&mut conn, n, &mut tally).await {
            Ok(status) => {
                progress.answered();
                status.to_string()
            }
            Err(_) => "io".to_string(),
        };
        *statuses.entry(key).or_default() += 1;
    }
    (statuses, tally)
}

async fn flood(server: &Server, starts: usize, concurrency: usize) -> Flood {
    // The crate's counts before the flood, before its RSS is read.
    let before = if server.metrics {
        Some(scrape::scrape(server.port).await)
    } else {
        None
    };
    let conns = connect_all(server.port, concurrency).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let rss_before_kib = server.rss_kib();
    let progress = Progress::new(starts as u64);
    let mid = server
        .metrics
        .then(|| mid_scrape(server.port, progress.clone()));
    let cpu_before = server.cpu();
    let began = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    let mut first = 0;
    for (i, conn) in conns.into_iter().enumerate() {
        let share = starts / concurrency + usize::from(i < starts % concurrency);
        tasks.spawn(flood_worker(conn, first, share, progress.clone()));
        first += share;
    }
    let mut statuses = BTreeMap::new();
    let mut tally = Tally::default();
    while let Some(done) = tasks.join_next().await {
        let (worker_statuses, worker_tally) = done.expect("flood worker");
        for (status, count) in worker_statuses {
            *statuses.entry(status).or_default() += count;
        }
        tally.merge(worker_tally);
    }
    let wall = began.elapsed().as_secs_f64();
    let server_cpu = server.cpu() - cpu_before;
    progress.finish();
    let mid = match mid {
        Some(task) => Some(task.await.expect("the mid-way scrape")),
        None => None,
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_after_kib = server.rss_kib();
    let hwm_after_kib = status_kib(server.pid(), "VmHWM:");
    let mut conn = Conn::connect(server.port).await.expect("connect");
    let after = match flood_start(&mut conn, starts, &mut tally).await {
        Ok(status) => status.to_string(),
        Err(e) => format!("io: {e}"),
    };
    let metrics = match before {
        Some(before) => {
            let scraped = scrape::scrape(server.port).await;
            let label = format!(
                "{} flood of {starts} authenticate/start + the next one",
                server.name
            );
            Some(check_metrics(
                label,
                before,
                mid,
                scraped,
                &tally,
                concurrency as u64,
            ))
        }
        None => None,
    };
    Flood {
        server: server.name,
        starts,
        wall,
        statuses,
        rss_before_kib,
        rss_after_kib,
        hwm_after_kib,
        server_cpu,
        after,
        metrics,
    }
}

// ---------------------------------------------------------------------------------------
// P-256 verify rate, one core

struct VerifyRate {
    label: &'static str,
    per_second: f64,
}

fn verify_rates(seconds: f64) -> Vec<VerifyRate> {
    let message = [7u8; 69]; // authenticatorData (37) + SHA-256(clientDataJSON) (32)
    let mut rates = Vec::new();

    // p256 0.14: what webauthn-rs 0.6.2 verifies with (crypto-glue), DER parse + verify,
    // as webauthn-rs does per assertion.
    {
        use p256_v014::ecdsa::signature::{Signer, Verifier};
        use p256_v014::ecdsa::{DerSignature, Signature, SigningKey};
        let secret = p256::SecretKey::random(&mut rand::thread_rng()).to_bytes();
        let key = SigningKey::from_slice(&secret[..]).expect("p256 0.14 key");
        let signature: Signature = key.sign(&message);
        let der: DerSignature = signature.to_der();
        let der = der.as_bytes().to_vec();
        let verifying = *key.verifying_key();
        let (count, elapsed) = repeat_for(seconds, || {
            let signature = Signature::from_der(&der).expect("der");
            assert!(verifying.verify(&message, &signature).is_ok());
        });
        rates.push(VerifyRate {
            label: "p256 0.14 (webauthn-rs via crypto-glue), DER parse + verify",
            per_second: count as f64 / elapsed,
        });
    }
    // p256 0.13, for comparison.
    {
        use p256::ecdsa::signature::{Signer, Verifier};
        use p256::ecdsa::{Signature, SigningKey};
        let key = SigningKey::random(&mut rand::thread_rng());
        let signature: Signature = key.sign(&message);
        let der = signature.to_der().as_bytes().to_vec();
        let verifying = *key.verifying_key();
        let (count, elapsed) = repeat_for(seconds / 2.0, || {
            let signature = Signature::from_der(&der).expect("der");
            assert!(verifying.verify(&message, &signature).is_ok());
        });
        rates.push(VerifyRate {
            label: "p256 0.13, DER parse + verify",
            per_second: count as f64 / elapsed,
        });
    }
    rates
}

/// Runs `f` for about `seconds` of this thread's CPU time (not wall time, so other work on
/// the core does not flatter or spoil the rate); returns the count and the CPU seconds.
fn repeat_for(seconds: f64, mut f: impl FnMut()) -> (u64, f64) {
    let began = thread_cpu();
    let mut count = 0u64;
    loop {
        for _ in 0..50 {
            f();
        }
        count += 50;
        let elapsed = thread_cpu() - began;
        if elapsed >= seconds {
            return (count, elapsed);
        }
    }
}

// ---------------------------------------------------------------------------------------
// The report

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        f64::NAN
    }
}

fn verdict(holds: bool) -> &'static str {
    if holds {
        "HOLDS"
    } else {
        "MISSED"
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

struct Target {
    name: String,
    mode: &'static str,
    value: String,
    holds: bool,
}

struct Report {
    plan_quick: bool,
    cpus: usize,
    pinned: bool,
    phases: Vec<Phase>,
    floods: Vec<Flood>,
    verify: Vec<VerifyRate>,
    wall: f64,
    priority: String,
    load_start: String,
    load_end: String,
}

impl Report {
    fn find(&self, server: &str, kind: Kind, mode: Mode, c: usize) -> Option<&Phase> {
        self.phases
            .iter()
            .find(|p| p.server == server && p.kind == kind && p.mode == mode && p.concurrency == c)
    }

    /// The metrics-vs-tool comparison of every crate phase and flood, in run order.
    fn checks(&self) -> Vec<&Check> {
        self.phases
            .iter()
            .filter_map(|p| p.metrics.as_ref())
            .chain(self.floods.iter().filter_map(|f| f.metrics.as_ref()))
            .collect()
    }

    fn cpu_per_sign_in(&self, server: &str, mode: Mode) -> f64 {
        let (cpu, ok) = self
            .phases
            .iter()
            .filter(|p| p.server == server && p.kind == Kind::SignIn && p.mode == mode)
            .fold((0.0, 0u64), |(cpu, ok), p| (cpu + p.server_cpu, ok + p.ok));
        cpu * 1e6 / ok.max(1) as f64
    }

    fn targets(&self) -> Vec<Target> {
        let mut targets = Vec::new();
        for mode in [Mode::Usernameless, Mode::UsernameFirst] {
            let crate_cpu = self.cpu_per_sign_in("crate", mode);
            let base_cpu = self.cpu_per_sign_in("baseline", mode);
            let r = ratio(crate_cpu, base_cpu);
            targets.push(Target {
                name: "server CPU per sign-in (all concurrencies) <= 1.25x baseline".into(),
                mode: mode.name(),
                value: format!("{crate_cpu:.0} vs {base_cpu:.0} us = {r:.2}x"),
                holds: r <= 1.25,
            });
            let c = self.find("crate", Kind::SignIn, mode, 32);
            let b = self.find("baseline", Kind::SignIn, mode, 32);
            if let (Some(c), Some(b)) = (c, b) {
                let r = ratio(c.rate(), b.rate());
                targets.push(Target {
                    name: "sign-in throughput at concurrency 32 >= 0.8x baseline".into(),
                    mode: mode.name(),
                    value: format!("{:.0} vs {:.0} /s = {r:.2}x", c.rate(), b.rate()),
                    holds: r >= 0.8,
                });
                let r = ratio(c.finish.p99, b.finish.p99);
                targets.push(Target {
                    name: "p99 authenticate/finish at concurrency 32 <= 1.5x baseline".into(),
                    mode: mode.name(),
                    value: format!("{:.2} vs {:.2} ms = {r:.2}x", c.finish.p99, b.finish.p99),
                    holds: r <= 1.5,
                });
            }
        }
        if let Some(f) = self.floods.iter().find(|f| f.server == "crate-default") {
            let all = f.accepted() == f.starts as u64 && f.after == "200";
            targets.push(Target {
                name: format!(
                    "flood of {} starts: every start and the next one answered",
                    f.starts
                ),
                mode: "-",
                value: format!("{:?}, next {}", f.statuses, f.after),
                holds: all,
            });
            targets.push(Target {
                name: format!(
                    "flood of {} starts: server RSS growth < {FLOOD_GROWTH_MIB} MiB",
                    f.starts
                ),
                mode: "-",
                value: format!("{:+.1} MiB", f.growth_mib()),
                holds: f.growth_mib() < FLOOD_GROWTH_MIB,
            });
        }
        let failed: u64 = self.phases.iter().map(|p| p.attempted - p.ok).sum();
        targets.push(Target {
            name: "zero failed ceremonies".into(),
            mode: "-",
            value: format!("{failed} failed"),
            holds: failed == 0,
        });
        let checks = self.checks();
        if !checks.is_empty() {
            let matched = checks.iter().filter(|c| c.holds()).count();
            targets.push(Target {
                name: "the crate's GET /metrics counts match the load tool's".into(),
                mode: "-",
                value: format!("{matched} of {} phases match", checks.len()),
                holds: matched == checks.len(),
            });
        }
        targets
    }

    fn table(&self) -> String {
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "rocket_passkeys load benchmark{}: crate = examples/passkeys_only (release, embedded \
             SQLite file, WAL, synchronous=NORMAL) vs baseline = axum + webauthn-rs 0.6.2, \
             state in memory",
            if self.plan_quick { " (QUICK)" } else { "" }
        );
        let _ = writeln!(
            w,
            "machine: {} CPUs, {}; {}, {}; load average {} at start, {} at end; run took {:.0} s",
            self.cpus,
            cpu_model(),
            if self.pinned {
                "servers pinned to CPU 0, client to CPU 1"
            } else {
                "NOT pinned (fewer than 2 CPUs)"
            },
            self.priority,
            self.load_start,
            self.load_end,
            self.wall
        );
        for v in &self.verify {
            let _ = writeln!(
                w,
                "one-core P-256 ECDSA verify, {}: {:.0}/s of CPU ({:.1} us each)",
                v.label,
                v.per_second,
                1e6 / v.per_second
            );
        }

        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "THROUGHPUT AND SERVER CPU (cer = successful ceremonies; CPU = server utime+stime \
             per ceremony; util = CPU seconds per wall second)"
        );
        let _ = writeln!(
            w,
            "{:<8} {:<14} {:>4} {:>5} {:>5} | {:>9} {:>9} {:>5} | {:>9} {:>9} {:>5} | {:>11} \
             | {:>11}",
            "phase",
            "mode",
            "conc",
            "brws",
            "cer",
            "crate/s",
            "base/s",
            "ratio",
            "crate us",
            "base us",
            "ratio",
            "srv util c/b",
            "cli util c/b"
        );
        for kind in [Kind::SignUp, Kind::SignIn] {
            for mode in [Mode::Usernameless, Mode::UsernameFirst] {
                for c in CONCURRENCIES {
                    let (Some(a), Some(b)) = (
                        self.find("crate", kind, mode, c),
                        self.find("baseline", kind, mode, c),
                    ) else {
                        continue;
                    };
                    let _ = writeln!(
                        w,
                        "{:<8} {:<14} {:>4} {:>5} {:>5} | {:>9.0} {:>9.0} {:>5.2} | {:>9.0} \
                         {:>9.0} {:>5.2} | {:>5.2}/{:<5.2} | {:>5.2}/{:<5.2}",
                        match kind {
                            Kind::SignUp => "sign-up",
                            Kind::SignIn => "sign-in",
                        },
                        mode.name(),
                        c,
                        a.browsers,
                        a.ok,
                        a.rate(),
                        b.rate(),
                        ratio(a.rate(), b.rate()),
                        a.cpu_per(),
                        b.cpu_per(),
                        ratio(a.cpu_per(), b.cpu_per()),
                        a.server_cpu / a.wall,
                        b.server_cpu / b.wall,
                        a.client_cpu / a.wall,
                        b.client_cpu / b.wall,
                    );
                }
            }
        }

        let _ = writeln!(w);
        let _ = writeln!(w, "LATENCY (ms, client-side, per request)");
        let _ = writeln!(
            w,
            "{:<21} {:<14} {:>4} | {:>7} {:>7} {:>7} | {:>7} {:>7} {:>7} | {:>9}",
            "step", "mode", "conc", "crate50", "p95", "p99", "base50", "p95", "p99", "p99 ratio"
        );
        for kind in [Kind::SignUp, Kind::SignIn] {
            for mode in [Mode::Usernameless, Mode::UsernameFirst] {
                for finish in [false, true] {
                    for c in CONCURRENCIES {
                        let (Some(a), Some(b)) = (
                            self.find("crate", kind, mode, c),
                            self.find("baseline", kind, mode, c),
                        ) else {
                            continue;
                        };
                        let (x, y) = if finish {
                            (a.finish, b.finish)
                        } else {
                            (a.start, b.start)
                        };
                        let step =
                            format!("{}/{}", a.step(), if finish { "finish" } else { "start" });
                        let _ = writeln!(
                            w,
                            "{:<21} {:<14} {:>4} | {:>7.2} {:>7.2} {:>7.2} | {:>7.2} {:>7.2} \
                             {:>7.2} | {:>9.2}",
                            step,
                            mode.name(),
                            c,
                            x.p50,
                            x.p95,
                            x.p99,
                            y.p50,
                            y.p95,
                            y.p99,
                            ratio(x.p99, y.p99)
                        );
                    }
                }
            }
        }

        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "FLOOD (authenticate/start with {{}}, no cookies kept, each from a new address)"
        );
        let _ = writeln!(
            w,
            "{:<8} {:>7} {:>8} {:>9} | {:>9} {:>9} {:>9} {:>9} | {:<28} | next start",
            "server", "starts", "rate/s", "CPU us", "RSS MiB", "after", "growth", "peak", "answers",
        );
        for f in &self.floods {
            let answers: Vec<String> = f.statuses.iter().map(|(s, n)| format!("{s}:{n}")).collect();
            let _ = writeln!(
                w,
                "{:<8} {:>7} {:>8.0} {:>9.1} | {:>9.1} {:>9.1} {:>+9.1} {:>9.1} | {:<28} | {}",
                f.server,
                f.starts,
                f.starts as f64 / f.wall,
                f.server_cpu * 1e6 / f.starts as f64,
                f.rss_before_kib as f64 / 1024.0,
                f.rss_after_kib as f64 / 1024.0,
                f.growth_mib(),
                f.hwm_after_kib as f64 / 1024.0,
                answers.join(" "),
                f.after
            );
        }

        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "DEFAULT CONFIGURATION (rate limit 60/min, burst 20, per address; one address per \
             browser, as X-Real-IP from a trusted proxy)"
        );
        for p in self.phases.iter().filter(|p| p.server == "crate-default") {
            let _ = writeln!(
                w,
                "{:<8} {:<14} c={:<3} {:>5} of {:>5} ok | {:>6.0}/s | {:>5.0} us CPU | start \
                 p50/p99 {:.2}/{:.2} ms | finish p50/p99 {:.2}/{:.2} ms",
                match p.kind {
                    Kind::SignUp => "sign-up",
                    Kind::SignIn => "sign-in",
                },
                p.mode.name(),
                p.concurrency,
                p.ok,
                p.attempted,
                p.rate(),
                p.cpu_per(),
                p.start.p50,
                p.start.p99,
                p.finish.p50,
                p.finish.p99
            );
        }

        let _ = writeln!(w);
        let _ = writeln!(w, "FAILURES (by step and status)");
        let mut any = false;
        for p in &self.phases {
            if p.failures.is_empty() {
                continue;
            }
            any = true;
            let list: Vec<String> = p
                .failures
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            let _ = writeln!(
                w,
                "{} {} {} c={}: {} (first: {})",
                p.server,
                match p.kind {
                    Kind::SignUp => "sign-up",
                    Kind::SignIn => "sign-in",
                },
                p.mode.name(),
                p.concurrency,
                list.join(", "),
                p.first_error.as_deref().unwrap_or("")
            );
        }
        if !any {
            let total: u64 = self.phases.iter().map(|p| p.attempted).sum();
            let _ = writeln!(w, "none: {total} ceremonies attempted, all succeeded");
        }

        let _ = writeln!(w);
        let _ = writeln!(
            w,
            "METRICS VS LOAD TOOL (the crate's GET /metrics before, mid-way and after each \
             phase; deltas as metrics/tool; requests = started + finished + failed, vs sent)"
        );
        for check in self.checks() {
            let _ = writeln!(w, "{}", check.line());
        }

        let _ = writeln!(w);
        let _ = writeln!(w, "TARGETS");
        for t in self.targets() {
            let _ = writeln!(
                w,
                "{:<6} {:<62} {:<14} {}",
                verdict(t.holds),
                t.name,
                t.mode,
                t.value
            );
        }
        out
    }

    fn json(&self) -> Value {
        let targets: Vec<Value> = self
            .targets()
            .into_iter()
            .map(|t| json!({"target": t.name, "mode": t.mode, "value": t.value, "holds": t.holds}))
            .collect();
        let floods: Vec<Value> = self
            .floods
            .iter()
            .map(|f| {
                json!({
                    "server": f.server,
                    "starts": f.starts,
                    "rate_per_s": round(f.starts as f64 / f.wall, 0),
                    "answers": f.statuses,
                    "rss_before_mib": round(f.rss_before_kib as f64 / 1024.0, 1),
                    "rss_after_mib": round(f.rss_after_kib as f64 / 1024.0, 1),
                    "rss_growth_mib": round(f.growth_mib(), 1),
                    "rss_peak_mib": round(f.hwm_after_kib as f64 / 1024.0, 1),
                    "next_start_status": f.after,
                })
            })
            .collect();
        let verify: Vec<Value> = self
            .verify
            .iter()
            .map(|v| json!({"what": v.label, "per_s": round(v.per_second, 0)}))
            .collect();
        json!({
            "bench": "load",
            "quick": self.plan_quick,
            "cpus": self.cpus,
            "cpu_model": cpu_model(),
            "pinned": self.pinned,
            "priority": self.priority,
            "load_average_start": self.load_start,
            "load_average_end": self.load_end,
            "wall_s": round(self.wall, 1),
            "p256_verify": verify,
            "cpu_per_sign_in_us": {
                "crate": {
                    "usernameless": round(self.cpu_per_sign_in("crate", Mode::Usernameless), 1),
                    "username-first": round(self.cpu_per_sign_in("crate", Mode::UsernameFirst), 1),
                },
                "baseline": {
                    "usernameless": round(self.cpu_per_sign_in("baseline", Mode::Usernameless), 1),
                    "username-first":
                        round(self.cpu_per_sign_in("baseline", Mode::UsernameFirst), 1),
                },
            },
            "phases": self.phases.iter().map(Phase::json).collect::<Vec<_>>(),
            "flood": floods,
            "metrics_vs_load_tool": self.checks().iter().map(|c| c.json()).collect::<Vec<_>>(),
            "targets": targets,
        })
    }
}

// ---------------------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(i) = args.iter().position(|a| a == "--serve-baseline") {
        let port = args
            .get(i + 1)
            .and_then(|p| p.parse().ok())
            .expect("--serve-baseline PORT");
        baseline::serve(port);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs bench targets
    // without it: nothing to do there.
    if !args.iter().any(|a| a == "--bench") {
        eprintln!("the load benchmark runs with `cargo bench --bench load` (or pass --bench)");
        return;
    }
    let quick = args.iter().any(|a| a == "--quick")
        || std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let plan = Plan::new(quick);
    let began = Instant::now();
    let load_start = load_average();
    let nice = bench_nice();
    let parent = std::os::unix::process::parent_id();
    // Built at the normal priority, before this process raises its own.
    let binary = crate_binary();
    let priority = isolate(nice);

    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pinned = cpus >= 2;
    // Build and start the servers before pinning this process: cargo runs unpinned.
    let crate_server = start_crate(&binary, pinned, Setup::OneAddress);
    let baseline_server = start_baseline(pinned);
    if pinned {
        if let Err(e) = pin_to(CLIENT_CPU) {
            eprintln!("cannot pin the client to CPU {CLIENT_CPU}: {e}");
        }
    }
    eprintln!(
        "servers up: crate pid {} port {}, baseline pid {} port {}",
        crate_server.pid(),
        crate_server.port,
        baseline_server.pid(),
        baseline_server.port
    );

    eprintln!("measuring the P-256 verify rate...");
    let verify = verify_rates(plan.verify_seconds);

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut phases = Vec::new();
    let mut floods = Vec::new();
    runtime.block_on(async {
        for mode in [Mode::Usernameless, Mode::UsernameFirst] {
            for (i, c) in CONCURRENCIES.into_iter().enumerate() {
                if !selected_mode(mode) || !selected_concurrency(c) {
                    continue;
                }
                // In its own session this process no longer gets the terminal's Ctrl-C:
                // stop when cargo is gone.
                if std::os::unix::process::parent_id() != parent {
                    eprintln!("cargo has gone: stopping");
                    return;
                }
                let count = plan.browsers[i].max(c);
                // Alternate which server goes first, so drift favours neither.
                let order = if i % 2 == 0 {
                    [&crate_server, &baseline_server]
                } else {
                    [&baseline_server, &crate_server]
                };
                for server in order {
                    let browsers = new_browsers(server.port, mode, c, count, false);
                    let (phase, browsers) =
                        run_phase(server, Kind::SignUp, mode, c, browsers, 1).await;
                    eprintln!(
                        "{:<8} sign-up {:<14} c={:<3} {:>5} ok in {:.2} s ({:.0}/s, {:.0} us CPU each){}{}",
                        server.name,
                        mode.name(),
                        c,
                        phase.ok,
                        phase.wall,
                        phase.rate(),
                        phase.cpu_per(),
                        failed_note(&phase),
                        metrics_note(phase.metrics.as_ref())
                    );
                    phases.push(phase);
                    let (phase, _) =
                        run_phase(server, Kind::SignIn, mode, c, browsers, plan.rounds[i]).await;
                    eprintln!(
                        "{:<8} sign-in {:<14} c={:<3} {:>5} ok in {:.2} s ({:.0}/s, {:.0} us CPU each){}{}",
                        server.name,
                        mode.name(),
                        c,
                        phase.ok,
                        phase.wall,
                        phase.rate(),
                        phase.cpu_per(),
                        failed_note(&phase),
                        metrics_note(phase.metrics.as_ref())
                    );
                    phases.push(phase);
                }
            }
        }
        // The default configuration, one address per browser; then the flood.
        let defaults = start_crate(&binary, pinned, Setup::Defaults);
        if selected_mode(Mode::Usernameless) && selected_concurrency(32) {
            let (c, count) = (32, plan.browsers[2]);
            let browsers = new_browsers(defaults.port, Mode::Usernameless, c, count, true);
            let (phase, browsers) =
                run_phase(&defaults, Kind::SignUp, Mode::Usernameless, c, browsers, 1).await;
            eprintln!(
                "{:<8} sign-up usernameless c={c} {:>5} ok{}{}",
                defaults.name,
                phase.ok,
                failed_note(&phase),
                metrics_note(phase.metrics.as_ref())
            );
            phases.push(phase);
            let (phase, _) = run_phase(
                &defaults,
                Kind::SignIn,
                Mode::Usernameless,
                c,
                browsers,
                plan.rounds[2],
            )
            .await;
            eprintln!(
                "{:<8} sign-in usernameless c={c} {:>5} ok{}{}",
                defaults.name,
                phase.ok,
                failed_note(&phase),
                metrics_note(phase.metrics.as_ref())
            );
            phases.push(phase);
        }
        for server in [&defaults, &baseline_server] {
            if plan.flood == 0 {
                break;
            }
            let f = flood(server, plan.flood, plan.flood_concurrency).await;
            eprintln!(
                "{:<8} flood: {} starts in {:.1} s, RSS {:+.1} MiB{}",
                server.name,
                f.starts,
                f.wall,
                f.growth_mib(),
                metrics_note(f.metrics.as_ref())
            );
            floods.push(f);
        }
    });
    drop(crate_server);
    drop(baseline_server);

    let report = Report {
        plan_quick: plan.quick,
        cpus,
        pinned,
        phases,
        floods,
        verify,
        wall: began.elapsed().as_secs_f64(),
        priority,
        load_start,
        load_end: load_average(),
    };
    println!("{}", report.table());
    println!("{}", report.json());
    let problems: Vec<String> = report
        .checks()
        .into_iter()
        .filter(|c| !c.holds())
        .flat_map(|c| {
            c.problems()
                .into_iter()
                .map(move |p| format!("{}: {p}", c.label))
        })
        .collect();
    assert!(
        problems.is_empty(),
        "the crate's GET /metrics counts do not match the load tool's:\n{}",
        problems.join("\n")
    );
}

fn metrics_note(metrics: Option<&Check>) -> &'static str {
    match metrics {
        Some(check) if check.holds() => ", metrics match",
        Some(_) => ", metrics MISMATCH",
        None => "",
    }
}

fn failed_note(phase: &Phase) -> String {
    if phase.ok == phase.attempted {
        String::new()
    } else {
        format!(
            " FAILED {} ({})",
            phase.attempted - phase.ok,
            phase.first_error.as_deref().unwrap_or("")
        )
    }
}
