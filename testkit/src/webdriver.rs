//! Real-browser test support: an example app as a child process, headless Chromium
//! driven through chromedriver (W3C WebDriver, JSON over loopback HTTP), and Chromium's
//! virtual WebAuthn authenticator.
//!
//! - [`App`] runs `target/<profile>/examples/<name>` on a free port, in a fresh
//!   temporary directory (so its `passkeys.sqlite` is thrown away), and kills it on drop.
//! - [`Browser`] is one chromedriver plus one Chromium session with a fresh profile; it
//!   types, clicks, reads the DOM, runs `fetch` from the page and takes screenshots.
//! - [`VirtualAuthenticator`] is the WebDriver WebAuthn extension: the credentials it
//!   holds, removing and restoring them, and whether user verification succeeds.
//! - [`WebAuthnCall`] records every `navigator.credentials.create/get` the pages make
//!   (a pass-through wrapper installed before any page script runs), so a test can
//!   wait for the autofill request to settle and tell which path signed someone in.
//!
//! Environment:
//! - `PASSKEYS_BROWSER_TESTS=require`: a missing Chromium or chromedriver fails the
//!   tests instead of skipping them (CI sets it).
//! - `PASSKEYS_SCREENSHOTS=1`: [`Browser::screenshot`] saves PNGs into `docs/screenshots/`.
//!
//! Nothing leaves loopback: the app and chromedriver listen on 127.0.0.1 and Chromium
//! runs with background networking, component updates, sync and QUIC turned off.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use tempfile::TempDir;

pub const CHROMIUM: &str = "/usr/bin/chromium";
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// How long a condition may take to come true before the test fails. Generous: CI
/// machines are small, and a passing run never waits this long.
pub const TIMEOUT: Duration = Duration::from_secs(20);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Chromium's first start on a cold machine is the slowest step.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// The crate's mount point in the example apps.
pub const MOUNT: &str = "/passkeys";

// ---------------------------------------------------------------------------------------
// Skipping when there is no browser
// ---------------------------------------------------------------------------------------

/// Starts a browser, or returns `None` after printing a `SKIPPED` line when Chromium or
/// chromedriver is not installed. With `PASSKEYS_BROWSER_TESTS=require`, a missing
/// browser fails the test instead.
pub fn browser_or_skip() -> Option<Browser> {
    browser_in_or_skip(None)
}

/// Like [`browser_or_skip`], with a browser whose `Accept-Language` is `languages`
/// (Chromium's language preference, such as `de-DE,de`).
pub fn browser_in_or_skip(languages: Option<&str>) -> Option<Browser> {
    let required = match std::env::var("PASSKEYS_BROWSER_TESTS") {
        Ok(value) if value == "require" => true,
        Ok(value) if value.is_empty() => false,
        Ok(value) => panic!("PASSKEYS_BROWSER_TESTS is `{value}`: use `require`, or unset it"),
        Err(_) => false,
    };
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|path| !Path::new(path).is_file())
        .collect();
    if missing.is_empty() {
        return Some(Browser::launch_in(languages));
    }
    let missing = missing.join(" and ");
    assert!(
        !required,
        "PASSKEYS_BROWSER_TESTS=require, but {missing} is missing \
         (apt-get install -y chromium chromium-driver)"
    );
    let test = std::thread::current()
        .name()
        .unwrap_or("browser test")
        .to_owned();
    // Written to the stderr handle itself, not through eprintln!, which the test harness
    // captures and hides for passing tests: a skip must be visible.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED: {test}: chromium/chromedriver not installed ({missing} missing); \
         PASSKEYS_BROWSER_TESTS=require makes this a failure"
    );
    None
}

// ---------------------------------------------------------------------------------------
// Polling
// ---------------------------------------------------------------------------------------

/// Calls `check` until it returns `Some`, or fails the test after [`TIMEOUT`] saying
/// what it waited for. `check` returns `Err` for "not yet, and here is why".
pub fn poll<T>(what: &str, mut check: impl FnMut() -> Result<Option<T>, String>) -> T {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let last = match check() {
            Ok(Some(value)) => return value,
            Ok(None) => "the condition was false".to_owned(),
            Err(err) => err,
        };
        assert!(
            Instant::now() < deadline,
            "timed out after {TIMEOUT:?} waiting for {what}; last check: {last}"
        );
        std::thread::sleep(POLL_INTERVAL);
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free loopback port")
        .port()
}

/// Why a child process did not come up.
enum StartError {
    /// It exited (for example because another process took its port first).
    Exited(String),
    /// It is still running but not ready after [`STARTUP_TIMEOUT`].
    TimedOut(String),
}

/// Polls `ready` until it returns `Some`, the child exits, or [`STARTUP_TIMEOUT`].
fn wait_for_start<T>(
    child: &mut Child,
    mut ready: impl FnMut() -> Option<T>,
) -> Result<T, StartError> {
    let deadline = Instant::now() + STARTUP_TIMEOUT;
    loop {
        if let Some(value) = ready() {
            return Ok(value);
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(StartError::Exited(format!("exited with {status}")));
        }
        if Instant::now() > deadline {
            return Err(StartError::TimedOut(format!(
                "not ready after {STARTUP_TIMEOUT:?}"
            )));
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// The last lines of a log file, for failure messages.
fn tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(60);
    format!("--- {} ---\n{}", log.display(), lines[start..].join("\n"))
}

fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

// ---------------------------------------------------------------------------------------
// The app under test
// ---------------------------------------------------------------------------------------

/// An example app running as a child process on its own port and database.
pub struct App {
    port: u16,
    child: Child,
    log: PathBuf,
    // Dropped after the child is killed (fields drop in order, after Drop::drop).
    _dir: TempDir,
}

impl App {
    /// Starts `examples/<example>.rs` with the passkeys origin `http://localhost:<port>`.
    pub fn start(example: &str) -> App {
        App::start_with_env(example, &[])
    }

    /// Like [`App::start`], with extra environment variables (e.g. `ROCKET_PASSKEYS_*`).
    pub fn start_with_env(example: &str, env: &[(&str, &str)]) -> App {
        let binary = example_binary(example);
        // The origin setting needs the port before launch, so the port is picked here; if
        // another process takes it in the meantime, the app exits and is started again.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match App::try_start(&binary, env) {
                Ok(app) => return app,
                Err((StartError::Exited(why), log)) if attempts < 3 => {
                    eprintln!("{example} {why}; starting it again\n{log}");
                }
                Err((StartError::Exited(why) | StartError::TimedOut(why), log)) => {
                    panic!("{example} {why}\n{log}")
                }
            }
        }
    }

    fn try_start(binary: &Path, env: &[(&str, &str)]) -> Result<App, (StartError, String)> {
        let dir = tempfile::tempdir().expect("temporary directory for the app");
        let log = dir.path().join("app.log");
        let output = File::create(&log).expect("app log file");
        let port = free_port();
        let secret_key = STANDARD.encode(rand::random::<[u8; 32]>());

        let mut command = Command::new(binary);
        // Hermetic: no ROCKET_* from the developer's shell, and no Rocket.toml from the
        // temporary directory's parents (an absolute ROCKET_CONFIG is not searched for).
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("ROCKET_") {
                command.env_remove(key);
            }
        }
        command
            .current_dir(dir.path())
            .env("ROCKET_CONFIG", dir.path().join("Rocket.toml"))
            .env("ROCKET_ADDRESS", "127.0.0.1")
            .env("ROCKET_PORT", port.to_string())
            .env("ROCKET_LOG_LEVEL", "critical")
            .env("ROCKET_CLI_COLORS", "false")
            // A release build needs a secret key; a throwaway one for a throwaway app.
            .env("ROCKET_SECRET_KEY", secret_key)
            .env(
                "ROCKET_PASSKEYS_ORIGINS",
                format!("http://localhost:{port}"),
            )
            // Sign-up goes straight home; recovery tests pass `true` with `start_with_env`.
            .env("ROCKET_PASSKEYS_RECOVERY_CODES", "false")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("app log file"))
            .stderr(output);
        let child = command
            .spawn()
            .unwrap_or_else(|err| panic!("start {}: {err}", binary.display()));
        let mut app = App {
            port,
            child,
            log,
            _dir: dir,
        };
        // Ready when the port serves this crate's script: our app, not another process
        // that happens to listen there.
        let script = format!("http://127.0.0.1:{port}{MOUNT}/passkeys.js");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build();
        let started = wait_for_start(&mut app.child, || {
            let body = agent.get(&script).call().ok()?.into_string().ok()?;
            body.contains("rocket_passkeys").then_some(())
        });
        match started {
            Ok(()) => Ok(app),
            Err(err) => Err((err, tail(&app.log))),
        }
    }

    /// `http://localhost:<port>`: passkeys need a domain name, so never 127.0.0.1.
    pub fn origin(&self) -> String {
        format!("http://localhost:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }
}

impl Drop for App {
    fn drop(&mut self) {
        stop(&mut self.child);
        if std::thread::panicking() {
            eprintln!("{}", tail(&self.log));
        }
    }
}

/// The example binary next to this test binary (`target/<profile>/deps/browser-HASH`
/// -> `target/<profile>/examples/<name>`), built first.
///
/// `cargo test` builds the examples, but `cargo test --test browser` does not, and an
/// example left from an older build would test old code. So the example is built once
/// per test process with the same cargo, profile and target directory; when it is up to
/// date that is a no-op of a fraction of a second. (Cargo releases its build lock before
/// it runs the tests.)
pub fn example_binary(name: &str) -> PathBuf {
    static BUILT: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

    let exe = std::env::current_exe().expect("the test binary's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));

    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    if !built.contains(name) {
        build_example(name, profile_dir);
        built.insert(name.to_owned());
    }
    assert!(
        binary.is_file(),
        "{} is missing after building the example",
        binary.display()
    );
    binary
}

fn build_example(name: &str, profile_dir: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| env!("CARGO").into());
    let mut command = Command::new(cargo);
    // Without the variables cargo set for this test process: build scripts that watch
    // them (`rerun-if-env-changed=CARGO_PKG_VERSION_PATCH`, in ring) would otherwise see
    // a change and rebuild half the dependency tree, here and again in the next shell.
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with("CARGO_PKG_")
            || key_text.starts_with("CARGO_MANIFEST_")
            || matches!(&*key_text, "CARGO_CRATE_NAME" | "CARGO_PRIMARY_PACKAGE")
        {
            command.env_remove(&key);
        }
    }
    command.current_dir(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--quiet",
        "-p",
        "rocket_passkeys",
        "--example",
        name,
    ]);
    match profile_dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(profile) => {
            command.args(["--profile", profile]);
        }
        None => panic!("unexpected target layout: {}", profile_dir.display()),
    }
    // The directory holding <profile>/ (target/, or target/<triple>/ when cross-building).
    if let Some(target_dir) = profile_dir.parent() {
        command.arg("--target-dir").arg(target_dir);
    }
    let output = command.output().expect("run cargo to build the example");
    assert!(
        output.status.success(),
        "cargo build --example {name} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------
// WebDriver
// ---------------------------------------------------------------------------------------

/// A WebDriver error answer (`{"value": {"error", "message"}}`) or a transport failure.
#[derive(Debug)]
pub struct WebDriverError(String);

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The W3C identifier of an element reference in WebDriver JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// What the user sees of one element.
#[derive(Debug, Clone)]
pub struct ElementState {
    /// `textContent`, trimmed.
    pub text: String,
    /// Not `hidden`, not `display: none` or `visibility: hidden`, and laid out.
    pub visible: bool,
}

/// One `navigator.credentials.create()` / `.get()` call a page made, as recorded by
/// the probe (see [`PROBE`]).
#[derive(Debug, Clone)]
pub struct WebAuthnCall {
    /// `create` or `get`.
    pub method: String,
    /// `conditional` for autofill, `modal` for a button (no `mediation` given).
    pub mediation: String,
    /// The number of `allowCredentials`: non-zero for a username-first sign-in.
    pub allow_credentials: usize,
    /// `pending`, `resolved`, or the name of the DOMException it rejected with.
    pub outcome: String,
    /// Whether the call was made by the document now loaded (not an earlier page).
    pub on_current_page: bool,
}

impl WebAuthnCall {
    pub fn is_autofill(&self) -> bool {
        self.method == "get" && self.mediation == "conditional"
    }

    pub fn is_button_sign_in(&self) -> bool {
        self.method == "get" && self.mediation == "modal"
    }

    pub fn settled(&self) -> bool {
        self.outcome != "pending"
    }
}

/// Installed in every document before its scripts run (CDP
/// `Page.addScriptToEvaluateOnNewDocument`): wraps `navigator.credentials.create/get`
/// to record each call and its outcome, then passes the call through unchanged. The
/// records live in `sessionStorage`, so they survive the navigation a sign-in ends with.
const PROBE: &str = r#"(() => {
  const KEY = 'rocket-passkeys-test-webauthn-calls';
  const container = navigator.credentials;
  if (!container) return;
  const load = () => { try { return JSON.parse(sessionStorage.getItem(KEY)) || []; } catch (e) { return []; } };
  const save = (calls) => { try { sessionStorage.setItem(KEY, JSON.stringify(calls)); } catch (e) { /* opaque origin */ } };
  const page = performance.timeOrigin;
  for (const method of ['create', 'get']) {
    const original = container[method].bind(container);
    container[method] = function (options) {
      const calls = load();
      const index = calls.length;
      const allow = options && options.publicKey && options.publicKey.allowCredentials;
      calls.push({ method, page, mediation: (options && options.mediation) || 'modal',
                   allowCredentials: allow ? allow.length : 0, outcome: 'pending' });
      save(calls);
      const settle = (outcome) => { const now = load(); if (now[index]) { now[index].outcome = outcome; save(now); } };
      return original(options).then(
        (credential) => { settle('resolved'); return credential; },
        (error) => { settle((error && error.name) || 'Error'); throw error; });
    };
  }
})();"#;

/// Virtual authenticator options (WebDriver WebAuthn extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserVerification {
    /// The authenticator verifies the user (biometric or PIN succeeds).
    Succeeds,
    /// The authenticator can verify users, but verification fails.
    Fails,
}

/// Which start of Chromium this is (see [`Browser::launch`]).
#[derive(Debug, Clone, Copy)]
enum Attempt {
    First,
    Again,
    Fallback,
}

/// The chromedriver process, in its own process group, which Chromium inherits.
struct Driver {
    child: Child,
    log: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Normally Chromium has quit with its session by now; this makes sure that
        // neither it nor chromedriver outlives the test.
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        stop(&mut self.child);
    }
}

/// One chromedriver and one headless Chromium session with a fresh profile.
pub struct Browser {
    agent: ureq::Agent,
    /// `http://127.0.0.1:<port>/session/<id>`
    session_url: String,
    /// Kept for its `Drop`, which stops chromedriver and Chromium.
    _driver: Driver,
    // Removed after Chromium has quit (fields drop in order).
    _profile: TempDir,
}

impl Browser {
    /// Starts chromedriver and Chromium. Prefer [`browser_or_skip`] in tests.
    ///
    /// A Chromium that dies while starting (seen on small CI containers: "tab crashed"
    /// at the first command) is started again with a fresh profile, the last time with
    /// the fallbacks of [`Attempt::Fallback`]; if every attempt fails, the test fails with
    /// the log of each.
    pub fn launch() -> Browser {
        Browser::launch_in(None)
    }

    /// The same, preferring `languages` (its `Accept-Language`).
    pub fn launch_in(languages: Option<&str>) -> Browser {
        let mut failures = Vec::new();
        for attempt in [Attempt::First, Attempt::Again, Attempt::Fallback] {
            match Browser::try_launch(attempt, languages) {
                Ok(browser) => return browser,
                Err(failure) => {
                    let _ = writeln!(
                        std::io::stderr(),
                        "Chromium did not start ({attempt:?}); trying again"
                    );
                    failures.push(format!("== attempt {attempt:?}: {failure}"));
                }
            }
        }
        panic!(
            "Chromium did not start in {} attempts\n{}",
            failures.len(),
            failures.join("\n")
        )
    }

    fn try_launch(attempt: Attempt, languages: Option<&str>) -> Result<Browser, String> {
        let profile = tempfile::tempdir().expect("temporary Chromium profile");
        let driver_log = profile.path().join("chromedriver.log");
        let output = File::create(&driver_log).expect("chromedriver log file");
        // Chromium writes under $HOME (crash reports, caches) even with its own profile
        // directory, and dies where $HOME is missing or read-only: give it the profile's.
        let home = profile.path().join("home");
        std::fs::create_dir_all(&home).expect("Chromium's home directory");
        let mut command = Command::new(CHROMEDRIVER);
        command
            // Port 0: chromedriver picks a free port and logs it, so no other process
            // can take it between our choice and its bind.
            .arg("--port=0")
            // Chromium's own output in the same log, shown when a start fails.
            .arg("--enable-chrome-logs")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("TMPDIR", profile.path())
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("chromedriver log file"))
            .stderr(output);
        // A process group of its own, which Chromium inherits: see `Driver`'s Drop.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut driver = Driver {
            child: command.spawn().expect("start chromedriver"),
            log: driver_log,
        };
        let port = wait_for_start(&mut driver.child, || {
            let log = std::fs::read_to_string(&driver.log).ok()?;
            let (_, rest) = log.split_once("started successfully on port ")?;
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u16>()
                .ok()
        })
        .map_err(|(StartError::Exited(why) | StartError::TimedOut(why))| {
            format!("chromedriver {why}\n{}", tail(&driver.log))
        })?;

        // A fresh connection per command: a kept-alive one that chromedriver has closed
        // would fail a POST, which is not retried.
        let agent = ureq::AgentBuilder::new()
            .timeout(STARTUP_TIMEOUT)
            .max_idle_connections(0)
            .build();
        let driver_url = format!("http://127.0.0.1:{port}");
        let user_data_dir = profile.path().join("chromium");
        let mut args = vec![
            // Without these, Chromium hangs on a closed network.
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            format!("--user-data-dir={}", user_data_dir.display()),
            format!(
                "--crash-dumps-dir={}",
                profile.path().join("crashes").display()
            ),
            "--disable-breakpad".to_owned(),
            // The screenshots' size.
            "--window-size=900,900".to_owned(),
        ];
        match attempt {
            // Containers often have a tiny /dev/shm: shared memory in TMPDIR instead.
            Attempt::First | Attempt::Again => args.push("--disable-dev-shm-usage".to_owned()),
            // The last try: shared memory where Chromium wants it, no zygote process, and
            // one renderer, in case the container limits memory maps or processes.
            Attempt::Fallback => {
                args.extend(["--no-zygote", "--renderer-process-limit=1"].map(str::to_owned))
            }
        }
        if let Some(languages) = languages {
            args.push(format!(
                "--lang={}",
                languages.split(',').next().unwrap_or(languages)
            ));
        }
        let prefs = match languages {
            Some(languages) => json!({ "intl.accept_languages": languages }),
            None => json!({}),
        };
        let capabilities = json!({
            "capabilities": { "alwaysMatch": {
                "goog:chromeOptions": { "binary": CHROMIUM, "args": args, "prefs": prefs },
                "goog:loggingPrefs": { "browser": "ALL" },
                "timeouts": { "implicit": 0, "pageLoad": 30_000, "script": 30_000 },
                // A dialog stays open until the test answers it (`accept_dialog`).
                "unhandledPromptBehavior": "ignore",
            }}
        });
        let answer = request(
            &agent,
            "POST",
            &format!("{driver_url}/session"),
            Some(capabilities),
        )
        .map_err(|err| format!("start a Chromium session: {err}\n{}", tail(&driver.log)))?;
        let session = answer["sessionId"]
            .as_str()
            .expect("new session answer has a sessionId");
        let log = driver.log.clone();
        let browser = Browser {
            agent,
            session_url: format!("{driver_url}/session/{session}"),
            _driver: driver,
            _profile: profile,
        };
        browser
            .try_command(
                "POST",
                "/goog/cdp/execute",
                json!({
                    "cmd": "Page.addScriptToEvaluateOnNewDocument",
                    "params": { "source": PROBE },
                }),
            )
            .map_err(|err| format!("the first command: {err}\n{}", tail(&log)))?;
        Ok(browser)
    }

    // ---- raw WebDriver ----

    /// Sends a command on this session (`path` relative to `/session/<id>`), returning
    /// its `value` or the WebDriver error.
    pub fn try_command(
        &self,
        method: &str,
        path: &str,
        body: Value,
    ) -> Result<Value, WebDriverError> {
        let body = (method == "POST").then_some(body);
        request(
            &self.agent,
            method,
            &format!("{}{path}", self.session_url),
            body,
        )
    }

    /// [`Browser::try_command`], failing the test on an error.
    pub fn command(&self, method: &str, path: &str, body: Value) -> Value {
        self.try_command(method, path, body)
            .unwrap_or_else(|err| panic!("WebDriver {method} {path}: {err}"))
    }

    /// Runs `script` as a function body in the page (`arguments` are `args`); a returned
    /// promise is awaited.
    pub fn try_script(&self, script: &str, args: Value) -> Result<Value, WebDriverError> {
        self.try_command(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
    }

    pub fn script(&self, script: &str, args: Value) -> Value {
        self.try_script(script, args)
            .unwrap_or_else(|err| panic!("script failed: {err}\n{script}"))
    }

    // ---- navigation and the DOM ----

    /// Loads `path` of `app` and waits for the page's `load` event.
    pub fn open(&self, app: &App, path: &str) {
        self.command("POST", "/url", json!({ "url": app.url(path) }));
    }

    /// The path of the page now loaded, e.g. `/passkeys/sign-in`.
    pub fn path(&self) -> Result<String, WebDriverError> {
        let url = self.try_command("GET", "/url", Value::Null)?;
        let url = url.as_str().unwrap_or_default();
        let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
        Ok(path.split(['?', '#']).next().unwrap_or("/").to_owned())
    }

    fn find(&self, selector: &str) -> String {
        let found = self.command(
            "POST",
            "/element",
            json!({ "using": "css selector", "value": selector }),
        );
        found[ELEMENT_KEY]
            .as_str()
            .unwrap_or_else(|| panic!("no element reference for {selector}: {found}"))
            .to_owned()
    }

    /// Clicks an element as a person would (WebDriver element click: scrolled into
    /// view, real input events, user activation).
    pub fn click(&self, selector: &str) {
        let element = self.find(selector);
        self.command("POST", &format!("/element/{element}/click"), json!({}));
    }

    /// Replaces the text of an input by typing `text` into it.
    pub fn fill(&self, selector: &str, text: &str) {
        let element = self.find(selector);
        self.command("POST", &format!("/element/{element}/clear"), json!({}));
        self.command(
            "POST",
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        );
    }

    /// The element's text and visibility, or `None` when nothing matches `selector`.
    pub fn element(&self, selector: &str) -> Result<Option<ElementState>, WebDriverError> {
        let state = self.try_script(
            "const el = document.querySelector(arguments[0]);
             if (!el) return null;
             const style = getComputedStyle(el);
             const visible = !el.hidden && style.display !== 'none'
               && style.visibility !== 'hidden' && el.getClientRects().length > 0;
             return { text: el.textContent.trim(), visible };",
            json!([selector]),
        )?;
        Ok((!state.is_null()).then(|| ElementState {
            text: state["text"].as_str().unwrap_or_default().to_owned(),
            visible: state["visible"].as_bool().unwrap_or(false),
        }))
    }

    /// Waits until the page at `path` shows `selector`; returns its text.
    pub fn wait_for_visible(&self, path: &str, selector: &str) -> String {
        poll(&format!("{selector} visible on {path}"), || {
            let here = self.path().map_err(|e| e.to_string())?;
            if here != path {
                return Err(format!("on {here}"));
            }
            match self.element(selector).map_err(|e| e.to_string())? {
                Some(state) if state.visible => Ok(Some(state.text)),
                Some(_) => Err(format!("{selector} is hidden")),
                None => Err(format!("no {selector}")),
            }
        })
    }

    /// Identifies the document now loaded (its `performance.timeOrigin`), so a test can
    /// tell when a page has reloaded.
    pub fn document_id(&self) -> f64 {
        let id = self.script("return performance.timeOrigin;", json!([]));
        id.as_f64().expect("performance.timeOrigin")
    }

    /// Waits until the document `previous` has been replaced by a loaded one at `path`.
    pub fn wait_for_new_document(&self, path: &str, previous: f64) {
        poll(&format!("a new page at {path}"), || {
            let here = self.path().map_err(|e| e.to_string())?;
            let page = self
                .try_script(
                    "return { id: performance.timeOrigin, ready: document.readyState };",
                    json!([]),
                )
                .map_err(|e| e.to_string())?;
            let reloaded = page["id"].as_f64() != Some(previous) && page["ready"] == "complete";
            Ok((here == path && reloaded).then_some(()))
        });
    }

    /// The page's visible text (`document.body.innerText`).
    pub fn page_text(&self) -> Result<String, WebDriverError> {
        let text = self.try_script(
            "return document.body ? document.body.innerText : '';",
            json!([]),
        )?;
        Ok(text.as_str().unwrap_or_default().to_owned())
    }

    /// Waits until the page at `path` shows `text` anywhere.
    pub fn wait_for_text(&self, path: &str, text: &str) {
        poll(&format!("{text:?} on {path}"), || {
            let here = self.path().map_err(|e| e.to_string())?;
            if here != path {
                return Err(format!("on {here}"));
            }
            let shown = self.page_text().map_err(|e| e.to_string())?;
            Ok(shown.contains(text).then_some(()))
        });
    }

    /// Waits for a `window.confirm()` (or `alert()`) dialog and returns its text.
    pub fn wait_for_dialog(&self) -> String {
        poll("a dialog", || {
            let text = self
                .try_command("GET", "/alert/text", Value::Null)
                .map_err(|e| e.to_string())?;
            Ok(Some(text.as_str().unwrap_or_default().to_owned()))
        })
    }

    /// Presses OK in the open dialog.
    pub fn accept_dialog(&self) {
        self.command("POST", "/alert/accept", json!({}));
    }

    /// `fetch(path)` from the page, with its cookies: the status and the JSON body
    /// (`null` when the body is not JSON).
    pub fn fetch(&self, path: &str) -> (u16, Value) {
        let answer = self.script(
            "return fetch(arguments[0], { credentials: 'same-origin', headers: { Accept: 'application/json' } })
               .then(async (res) => ({ status: res.status, body: await res.json().catch(() => null) }));",
            json!([path]),
        );
        let status = answer["status"].as_u64().expect("fetch status");
        (
            u16::try_from(status).expect("HTTP status"),
            answer["body"].clone(),
        )
    }

    /// All cookies of the current page, `HttpOnly` ones included (WebDriver sees them).
    pub fn cookies(&self) -> Vec<Value> {
        match self.command("GET", "/cookie", Value::Null) {
            Value::Array(cookies) => cookies,
            other => panic!("cookies: {other}"),
        }
    }

    pub fn add_cookie(&self, cookie: &Value) {
        self.command("POST", "/cookie", json!({ "cookie": cookie }));
    }

    /// The serious and critical accessibility violations axe-core finds on the page
    /// (WCAG 2.x A and AA, and best practices), each as "rule: the elements".
    pub fn accessibility_violations(&self) -> Vec<String> {
        const AXE: &str = include_str!("../assets/axe-4.14.1.min.js");
        let found = self.script(
            &format!(
                "{AXE}\n;return axe.run(document, {{ resultTypes: ['violations'] }})\
                 .then((r) => r.violations.map((v) => ({{ id: v.id, impact: v.impact, \
                 nodes: v.nodes.map((n) => n.target.join(' ') + ' (' + n.failureSummary + ')') }})));"
            ),
            json!([]),
        );
        found
            .as_array()
            .expect("axe answers a list")
            .iter()
            .filter(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")))
            .map(|v| format!("{} ({}): {}", v["id"], v["impact"], v["nodes"]))
            .collect()
    }

    /// Emulates the system's dark (or light) color scheme for this page and the next.
    pub fn prefer_dark(&self, dark: bool) {
        let value = if dark { "dark" } else { "light" };
        self.command(
            "POST",
            "/goog/cdp/execute",
            json!({
                "cmd": "Emulation.setEmulatedMedia",
                "params": { "features": [{ "name": "prefers-color-scheme", "value": value }] },
            }),
        );
    }

    /// Presses keys as a keyboard would (WebDriver key actions), such as `"\u{E004}"`
    /// (Tab) or `"\u{E007}"` (Enter), or types text key by key.
    pub fn press(&self, keys: &str) {
        let mut actions = Vec::new();
        for key in keys.chars() {
            actions.push(json!({ "type": "keyDown", "value": key.to_string() }));
            actions.push(json!({ "type": "keyUp", "value": key.to_string() }));
        }
        self.command(
            "POST",
            "/actions",
            json!({ "actions": [{ "type": "key", "id": "keyboard", "actions": actions }] }),
        );
    }

    /// What has the focus: its id, else its tag and action (`button[register]`).
    pub fn focused(&self) -> String {
        self.script(
            "const e = document.activeElement; if (!e) return ''; \
             return e.id || (e.tagName.toLowerCase() + '[' + (e.dataset.passkeyAction || e.getAttribute('href') || '') + ']');",
            json!([]),
        )
        .as_str()
        .unwrap_or_default()
        .to_string()
    }

    /// Saves `docs/screenshots/<name>.png` when `PASSKEYS_SCREENSHOTS=1`.
    pub fn screenshot(&self, name: &str) {
        if std::env::var("PASSKEYS_SCREENSHOTS").as_deref() != Ok("1") {
            return;
        }
        let png = self.command("GET", "/screenshot", Value::Null);
        let png = STANDARD
            .decode(png.as_str().expect("screenshot is base64"))
            .expect("screenshot is base64");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/screenshots");
        std::fs::create_dir_all(&dir).expect("create docs/screenshots");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
    }

    /// The browser console since the last call (script warnings and errors included).
    pub fn console_log(&self) -> Result<Vec<String>, WebDriverError> {
        let entries = self.try_command("POST", "/se/log", json!({ "type": "browser" }))?;
        Ok(entries
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|entry| format!("{} {}", entry["level"], entry["message"]))
                    .collect()
            })
            .unwrap_or_default())
    }

    // ---- WebAuthn ----

    /// Adds a CTAP2 platform authenticator with resident keys and user verification,
    /// consenting to every request. Chromium allows one platform authenticator per
    /// session: [`VirtualAuthenticator::remove`] the previous one first.
    pub fn add_authenticator(&self, verification: UserVerification) -> VirtualAuthenticator<'_> {
        let id = self.command(
            "POST",
            "/webauthn/authenticator",
            json!({
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserVerified": verification == UserVerification::Succeeds,
                "isUserConsenting": true,
            }),
        );
        VirtualAuthenticator {
            browser: self,
            id: id.as_str().expect("authenticator id").to_owned(),
        }
    }

    /// Every WebAuthn call the pages of this tab made (see [`PROBE`]), oldest first.
    pub fn webauthn_calls(&self) -> Result<Vec<WebAuthnCall>, WebDriverError> {
        let answer = self.try_script(
            "let calls = [];
             try { calls = JSON.parse(sessionStorage.getItem('rocket-passkeys-test-webauthn-calls')) || []; } catch (e) {}
             return { page: performance.timeOrigin, calls };",
            json!([]),
        )?;
        let page = answer["page"].as_f64();
        let calls = answer["calls"].as_array().cloned().unwrap_or_default();
        Ok(calls
            .iter()
            .map(|call| WebAuthnCall {
                method: call["method"].as_str().unwrap_or_default().to_owned(),
                mediation: call["mediation"].as_str().unwrap_or_default().to_owned(),
                allow_credentials: call["allowCredentials"]
                    .as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .unwrap_or(0),
                outcome: call["outcome"].as_str().unwrap_or_default().to_owned(),
                on_current_page: call["page"].as_f64() == page,
            })
            .collect())
    }

    /// Waits until the current page's autofill request (conditional mediation) has
    /// settled, and returns how: `resolved` or a DOMException name.
    pub fn wait_for_autofill_to_settle(&self) -> String {
        poll("the page's autofill request to settle", || {
            let calls = self.webauthn_calls().map_err(|e| e.to_string())?;
            let autofill = calls
                .iter()
                .rev()
                .find(|call| call.on_current_page && call.is_autofill());
            match autofill {
                Some(call) if call.settled() => Ok(Some(call.outcome.clone())),
                Some(_) => Err("the autofill request is pending".into()),
                None => Err(format!("no autofill request on this page yet: {calls:?}")),
            }
        })
    }

    /// Waits until `count` button sign-ins (modal `get`) have been made in this tab and
    /// all have settled; returns the last one.
    pub fn wait_for_button_sign_ins(&self, count: usize) -> WebAuthnCall {
        poll(&format!("{count} settled button sign-in(s)"), || {
            let calls = self.webauthn_calls().map_err(|e| e.to_string())?;
            let buttons: Vec<&WebAuthnCall> = calls
                .iter()
                .filter(|call| call.is_button_sign_in())
                .collect();
            if buttons.len() == count && buttons.iter().all(|call| call.settled()) {
                Ok(buttons.last().map(|call| (*call).clone()))
            } else {
                Err(format!("calls so far: {calls:?}"))
            }
        })
    }

    /// What a failing test needs to know about the page it failed on.
    pub fn diagnostics(&self) -> String {
        let path = self.path().map_err(|e| e.to_string());
        let error = self.element("#passkey-error").map_err(|e| e.to_string());
        let calls = self.webauthn_calls().map_err(|e| e.to_string());
        let console = match self.console_log() {
            Ok(lines) => lines.join("\n  "),
            Err(err) => err.to_string(),
        };
        format!(
            "page: {path:?}\n#passkey-error: {error:?}\nWebAuthn calls: {calls:?}\n\
             console:\n  {console}\n"
        )
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- browser state at the failure ---\n{}",
                self.diagnostics()
            );
        }
        // Ending the session makes chromedriver quit Chromium; then `Driver` goes.
        let _ = self
            .agent
            .delete(&self.session_url)
            .timeout(Duration::from_secs(15))
            .call();
    }
}

/// One WebDriver HTTP exchange; unwraps `value`, or turns a WebDriver error into text.
fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<Value>,
) -> Result<Value, WebDriverError> {
    let request = agent.request(method, url);
    let answer = match body {
        Some(body) => request.send_json(body),
        None => request.call(),
    };
    let (status, response) = match answer {
        Ok(response) => (response.status(), response),
        Err(ureq::Error::Status(status, response)) => (status, response),
        Err(err) => return Err(WebDriverError(format!("{method} {url}: {err}"))),
    };
    let mut json: Value = response
        .into_json()
        .map_err(|err| WebDriverError(format!("{method} {url}: HTTP {status}, not JSON: {err}")))?;
    let value = json["value"].take();
    if (200..300).contains(&status) {
        Ok(value)
    } else {
        Err(WebDriverError(format!(
            "HTTP {status} {}: {}",
            value["error"].as_str().unwrap_or("?"),
            value["message"].as_str().unwrap_or("?")
        )))
    }
}

// ---------------------------------------------------------------------------------------
// The virtual authenticator
// ---------------------------------------------------------------------------------------

/// A credential held by a virtual authenticator, private key included.
#[derive(Debug, Clone)]
pub struct VirtualCredential {
    /// As the WebDriver WebAuthn extension serialises it: `credentialId`,
    /// `isResidentCredential`, `rpId`, `privateKey`, `userHandle`, `signCount`.
    pub json: Value,
}

impl VirtualCredential {
    pub fn is_resident(&self) -> bool {
        self.json["isResidentCredential"].as_bool() == Some(true)
    }

    pub fn rp_id(&self) -> &str {
        self.json["rpId"].as_str().unwrap_or_default()
    }

    pub fn sign_count(&self) -> u64 {
        self.json["signCount"].as_u64().unwrap_or(0)
    }

    pub fn has_user_handle(&self) -> bool {
        self.json["userHandle"]
            .as_str()
            .is_some_and(|handle| !handle.is_empty())
    }
}

/// The session's virtual authenticator.
pub struct VirtualAuthenticator<'b> {
    browser: &'b Browser,
    id: String,
}

impl VirtualAuthenticator<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/webauthn/authenticator/{}{rest}", self.id)
    }

    pub fn credentials(&self) -> Vec<VirtualCredential> {
        let answer = self
            .browser
            .command("GET", &self.path("/credentials"), Value::Null);
        answer
            .as_array()
            .expect("credentials are a list")
            .iter()
            .map(|json| VirtualCredential { json: json.clone() })
            .collect()
    }

    /// Puts a credential (from [`VirtualAuthenticator::credentials`]) back.
    pub fn add_credential(&self, credential: &VirtualCredential) {
        let mut body = credential.json.clone();
        if let Some(fields) = body.as_object_mut() {
            // Read-only properties of a stored credential, not accepted when adding.
            fields.remove("largeBlob");
        }
        self.browser
            .command("POST", &self.path("/credential"), body);
    }

    pub fn remove_all_credentials(&self) {
        self.browser
            .command("DELETE", &self.path("/credentials"), Value::Null);
    }

    /// Takes the authenticator, and its passkeys, away (another device from now on).
    pub fn remove(self) {
        self.browser.command("DELETE", &self.path(""), Value::Null);
    }

    /// Whether the next user verifications succeed.
    pub fn set_user_verified(&self, verified: bool) {
        self.browser.command(
            "POST",
            &self.path("/uv"),
            json!({ "isUserVerified": verified }),
        );
    }
}

// ---------------------------------------------------------------------------------------
// The passkey screens
// ---------------------------------------------------------------------------------------

/// Sign-up: fills the sign-up screen and presses "Create account with a passkey".
pub fn submit_sign_up(browser: &Browser, app: &App, username: &str, display_name: &str) {
    browser.open(app, &format!("{MOUNT}/sign-up"));
    browser.fill(r#"input[name="username"]"#, username);
    browser.fill(r#"input[name="display_name"]"#, display_name);
    browser.click(r#"[data-passkey-action="register"]"#);
}

/// Waits until the home page shows who is signed in; returns the name shown.
pub fn wait_for_signed_in_home(browser: &Browser) -> String {
    browser.wait_for_visible("/", "#signed-in-user")
}

/// Waits until the current page shows an error in `#passkey-error`; returns its text.
pub fn wait_for_error(browser: &Browser) -> String {
    poll("a visible error in #passkey-error", || {
        match browser
            .element("#passkey-error")
            .map_err(|e| e.to_string())?
        {
            Some(state) if state.visible && !state.text.is_empty() => Ok(Some(state.text)),
            other => Err(format!("#passkey-error is {other:?}")),
        }
    })
}

/// The signed-in account's passkeys as the server lists them (`GET
/// /passkeys/credentials` from the page), or `None` when the server answers 401.
pub fn server_passkeys(browser: &Browser) -> Option<Vec<Value>> {
    let (status, body) = browser.fetch(&format!("{MOUNT}/credentials"));
    match status {
        200 => Some(
            body["credentials"]
                .as_array()
                .expect("credentials list")
                .clone(),
        ),
        401 => None,
        other => panic!("GET {MOUNT}/credentials answered {other}: {body}"),
    }
}

/// How many passkeys the signed-in account has, or `None` when nobody is signed in.
pub fn server_passkey_count(browser: &Browser) -> Option<usize> {
    server_passkeys(browser).map(|passkeys| passkeys.len())
}
