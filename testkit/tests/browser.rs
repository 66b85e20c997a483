//! Real-browser tests: the `passkeys_only` and `password_app` examples in headless
//! Chromium, with Chromium's virtual WebAuthn authenticator standing in for the device.
//!
//! Each test runs its own app (on a throwaway database) and its own browser. They
//! assert on what the person sees (the DOM) and on the server's state (the session, as
//! `GET /passkeys/credentials` from the page answers it), and poll for conditions
//! instead of sleeping.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian: `apt-get install
//! chromium chromium-driver`); without them every test prints `SKIPPED` and passes,
//! unless `PASSKEYS_BROWSER_TESTS=require`. `PASSKEYS_SCREENSHOTS=1` (see
//! `scripts/screenshots.sh`) saves the screens into `docs/screenshots/`.

use rocket_passkeys_testkit::webdriver as browser_support;

use browser_support::{
    browser_or_skip, poll, server_passkey_count, server_passkeys, submit_sign_up, wait_for_error,
    wait_for_signed_in_home, App, Browser, UserVerification, VirtualAuthenticator,
    VirtualCredential, MOUNT,
};
use serde_json::{json, Value};
use std::io::Write;

const PASSKEYS_ONLY: &str = "passkeys_only";
const PASSWORD_APP: &str = "password_app";
const SIGN_IN: &str = "/passkeys/sign-in";

/// Signs up through the sign-up screen and checks the home page greets the new user.
fn sign_up(browser: &Browser, app: &App, username: &str, display_name: &str) {
    submit_sign_up(browser, app, username, display_name);
    assert_eq!(wait_for_signed_in_home(browser), display_name);
}

/// Presses "Sign out" on the home page and waits for the signed-out home page.
fn sign_out(browser: &Browser) {
    browser.click(r#"[data-passkey-action="sign-out"]"#);
    browser.wait_for_visible("/", r#"a[href="/passkeys/sign-in"]"#);
}

/// Nobody is signed in: the server answers 401 for the account's passkeys, and the home
/// page offers sign-in and sign-up instead of a name.
fn assert_signed_out(browser: &Browser, app: &App) {
    assert_eq!(
        server_passkey_count(browser),
        None,
        "the server still has a session"
    );
    browser.open(app, "/");
    browser.wait_for_visible("/", r#"a[href="/passkeys/sign-in"]"#);
    browser.wait_for_visible("/", r#"a[href="/passkeys/sign-up"]"#);
    let greeting = browser
        .element("#signed-in-user")
        .expect("read the home page");
    assert!(
        greeting.is_none(),
        "signed out, yet the home page shows {greeting:?}"
    );
}

/// Signs up as Ada with a fresh authenticator whose user verification succeeds, signs
/// out, and hands back the authenticator (holding Ada's one passkey).
fn ada_signed_up_and_out<'b>(browser: &'b Browser, app: &App) -> VirtualAuthenticator<'b> {
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);
    sign_up(browser, app, "ada", "Ada Lovelace");
    sign_out(browser);
    assert_eq!(authenticator.credentials().len(), 1);
    authenticator
}

/// Opens the sign-in screen while the authenticator holds no passkey, so the autofill
/// request the page starts is refused at once; then puts `passkey` back. From then on
/// only the button can use it.
fn open_sign_in_past_autofill(
    browser: &Browser,
    app: &App,
    authenticator: &VirtualAuthenticator<'_>,
    passkey: &VirtualCredential,
) {
    authenticator.remove_all_credentials();
    browser.open(app, SIGN_IN);
    assert_eq!(browser.wait_for_autofill_to_settle(), "NotAllowedError");
    authenticator.add_credential(passkey);
}

#[test]
fn sign_up_creates_the_account_with_a_resident_passkey_and_signs_in() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSKEYS_ONLY);
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);

    browser.open(&app, "/");
    browser.wait_for_visible("/", r#"a[href="/passkeys/sign-up"]"#);
    browser.screenshot("welcome");

    browser.open(&app, &format!("{MOUNT}/sign-up"));
    browser.fill(r#"input[name="username"]"#, "ada");
    browser.fill(r#"input[name="display_name"]"#, "Ada Lovelace");
    browser.screenshot("sign-up");
    browser.click(r#"[data-passkey-action="register"]"#);

    assert_eq!(wait_for_signed_in_home(&browser), "Ada Lovelace");
    browser.screenshot("home");
    assert_eq!(server_passkey_count(&browser), Some(1));

    let passkeys = authenticator.credentials();
    assert_eq!(passkeys.len(), 1, "the authenticator holds one passkey");
    let passkey = &passkeys[0];
    assert!(
        passkey.is_resident(),
        "a discoverable credential: {passkey:?}"
    );
    assert!(
        passkey.has_user_handle(),
        "a resident key stores the user handle"
    );
    assert_eq!(passkey.rp_id(), "localhost");
}

#[test]
fn sign_out_ends_the_session_in_the_page_and_on_the_server() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSKEYS_ONLY);
    browser.add_authenticator(UserVerification::Succeeds);
    sign_up(&browser, &app, "grace", "Grace Hopper");
    let signed_in_cookies = browser.cookies();
    assert!(
        signed_in_cookies
            .iter()
            .any(|cookie| cookie["httpOnly"] == true),
        "a session cookie to replay: {signed_in_cookies:?}"
    );

    sign_out(&browser);
    assert_signed_out(&browser, &app);

    // The old session cookie, put back, no longer signs anyone in: sign-out ended the
    // session on the server, not only in this browser.
    for cookie in &signed_in_cookies {
        browser.add_cookie(&replayable(cookie));
    }
    assert_signed_out(&browser, &app);
}

/// A cookie as WebDriver can set it on the current page (its domain left to default).
fn replayable(cookie: &Value) -> Value {
    let mut replay = json!({ "name": cookie["name"], "value": cookie["value"] });
    for field in ["path", "httpOnly", "secure", "sameSite"] {
        if !cookie[field].is_null() {
            replay[field] = cookie[field].clone();
        }
    }
    replay
}

#[test]
fn sign_in_with_the_button_username_first() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSKEYS_ONLY);
    let authenticator = ada_signed_up_and_out(&browser, &app);
    let passkey = authenticator.credentials().remove(0);

    open_sign_in_past_autofill(&browser, &app, &authenticator, &passkey);
    browser.fill(r#"input[name="username"]"#, "ada");
    browser.click(r#"[data-passkey-action="authenticate"]"#);

    assert_eq!(wait_for_signed_in_home(&browser), "Ada Lovelace");
    let sign_in = browser.wait_for_button_sign_ins(1);
    assert_eq!(sign_in.outcome, "resolved");
    assert_eq!(
        sign_in.allow_credentials, 1,
        "a username-first sign-in names the account's passkey"
    );
    assert_eq!(server_passkey_count(&browser), Some(1));
    assert!(
        authenticator.credentials()[0].sign_count() > passkey.sign_count(),
        "the passkey signed the sign-in"
    );
}

#[test]
fn sign_in_with_the_button_without_a_username() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSKEYS_ONLY);
    let authenticator = ada_signed_up_and_out(&browser, &app);
    let passkey = authenticator.credentials().remove(0);

    open_sign_in_past_autofill(&browser, &app, &authenticator, &passkey);
    browser.click(r#"[data-passkey-action="authenticate"]"#);

    assert_eq!(wait_for_signed_in_home(&browser), "Ada Lovelace");
    let sign_in = browser.wait_for_button_sign_ins(1);
    assert_eq!(sign_in.outcome, "resolved");
    assert_eq!(
        sign_in.allow_credentials, 0,
        "a usernameless sign-in lets the authenticator choose"
    );
    assert_eq!(server_passkey_count(&browser), Some(1));
}

#[test]
fn sign_in_from_autofill_when_the_page_loads() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSKEYS_ONLY);
    ada_signed_up_and_out(&browser, &app);

    // With the passkey on the device, the virtual authenticator answers the page's
    // conditional request by itself, as a person picking it from the autofill would.
    browser.open(&app, SIGN_IN);

    assert_eq!(wait_for_signed_in_home(&browser), "Ada Lovelace");
    assert_eq!(server_passkey_count(&browser), Some(1));
    let calls = browser.webauthn_calls().expect("read the WebAuthn calls");
    let sign_in = calls.iter().filter(|call| call.method == "get");
    let outcomes: Vec<(&str, &str)> = sign_in
        .map(|call| (call.mediation.as_str(), call.outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [("conditional", "resolved")],
        "signed in by the autofill request alone"
    );
}

#[test]
fn idle_autofill_without_passkeys_shows_no_error() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    // Recovery codes on, as the example ships: the screenshot shows its recovery link.
    let app = App::start_with_env(PASSKEYS_ONLY, &[("ROCKET_PASSKEYS_RECOVERY_CODES", "true")]);
    browser.add_authenticator(UserVerification::Succeeds);

    browser.open(&app, SIGN_IN);
    // The authenticator has nothing to offer, so the autofill request is refused at
    // once: the expected rejection, which the page must not report.
    assert_eq!(browser.wait_for_autofill_to_settle(), "NotAllowedError");
    let error = browser
        .element("#passkey-error")
        .expect("read the page")
        .expect("the sign-in screen has #passkey-error");
    assert!(
        !error.visible,
        "an idle autofill rejection was shown: {error:?}"
    );
    assert_eq!(error.text, "");
    browser.screenshot("sign-in");
    assert_eq!(server_passkey_count(&browser), None);
}

#[test]
fn sign_in_with_an_authenticator_without_the_passkey_shows_an_error() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSKEYS_ONLY);
    // Another device: Ada's authenticator goes, one without her passkey comes.
    ada_signed_up_and_out(&browser, &app).remove();
    let other_device = browser.add_authenticator(UserVerification::Succeeds);
    assert!(other_device.credentials().is_empty());

    browser.open(&app, SIGN_IN);
    assert_eq!(browser.wait_for_autofill_to_settle(), "NotAllowedError");
    browser.click(r#"[data-passkey-action="authenticate"]"#);
    assert_eq!(
        browser.wait_for_button_sign_ins(1).outcome,
        "NotAllowedError"
    );
    let message = wait_for_error(&browser);
    assert!(message.contains("No passkey was used"), "{message}");
    browser.screenshot("sign-in-error");

    // Username-first fails the same way.
    browser.fill(r#"input[name="username"]"#, "ada");
    browser.click(r#"[data-passkey-action="authenticate"]"#);
    assert_eq!(
        browser.wait_for_button_sign_ins(2).outcome,
        "NotAllowedError"
    );
    wait_for_error(&browser);

    assert_signed_out(&browser, &app);
}

#[test]
fn sign_up_is_refused_without_user_verification() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSKEYS_ONLY);
    let authenticator = browser.add_authenticator(UserVerification::Fails);

    // The options require user verification, so Chromium refuses to create the passkey
    // and the server never sees one. (The server's own check of the UV flag is covered
    // by the ceremony tests, whose authenticator can lie.)
    submit_sign_up(&browser, &app, "ada", "Ada Lovelace");
    let message = wait_for_error(&browser);
    browser.screenshot("sign-up-error");
    let calls = browser.webauthn_calls().expect("read the WebAuthn calls");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(
        (calls[0].method.as_str(), calls[0].outcome.as_str()),
        ("create", "NotAllowedError")
    );
    assert_eq!(browser.path().expect("current page"), "/passkeys/sign-up");
    assert_eq!(server_passkey_count(&browser), None, "{message}");
    assert!(authenticator.credentials().is_empty());

    // No account was made: once verification succeeds, the same username is free.
    authenticator.set_user_verified(true);
    browser.click(r#"[data-passkey-action="register"]"#);
    assert_eq!(wait_for_signed_in_home(&browser), "Ada Lovelace");
    assert_eq!(server_passkey_count(&browser), Some(1));
}

#[test]
fn sign_in_is_refused_without_user_verification() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSKEYS_ONLY);
    let authenticator = ada_signed_up_and_out(&browser, &app);
    authenticator.set_user_verified(false);

    // Without verification, Chromium does not use the passkey: the autofill request
    // gives up quietly, and the button shows why nothing happened.
    browser.open(&app, SIGN_IN);
    assert_eq!(browser.wait_for_autofill_to_settle(), "NotAllowedError");
    browser.click(r#"[data-passkey-action="authenticate"]"#);
    assert_eq!(
        browser.wait_for_button_sign_ins(1).outcome,
        "NotAllowedError"
    );
    wait_for_error(&browser);
    assert_signed_out(&browser, &app);

    // The passkey itself is fine: with verification, the page's autofill signs Ada in.
    authenticator.set_user_verified(true);
    browser.open(&app, SIGN_IN);
    assert_eq!(wait_for_signed_in_home(&browser), "Ada Lovelace");
}

#[test]
fn a_passkey_this_site_does_not_know_is_refused() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    // Two sites on localhost: a passkey made on one is offered on the other (passkeys
    // are bound to the domain, not the port), where no account has it.
    let elsewhere = App::start(PASSKEYS_ONLY);
    let app = App::start(PASSKEYS_ONLY);
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);
    sign_up(&browser, &elsewhere, "ada", "Ada Lovelace");

    // Autofill offers the passkey, the person takes it, and this site refuses it.
    browser.open(&app, SIGN_IN);
    assert_eq!(browser.wait_for_autofill_to_settle(), "resolved");
    let message = wait_for_error(&browser);
    assert!(message.contains("did not work"), "{message}");
    assert_signed_out(&browser, &app);

    // The page told the passkey provider about the unknown passkey (WebAuthn Signal
    // API), and Chromium removed it, so it is not offered here again.
    poll("Chromium to remove the unknown passkey", || {
        Ok(authenticator.credentials().is_empty().then_some(()))
    });
}

// ---------------------------------------------------------------------------------------
// Sessions people can see and end, and recovery codes
// ---------------------------------------------------------------------------------------

const MANAGE: &str = "/passkeys/manage";
const RECOVER: &str = "/passkeys/recover";

/// Says which way a test went, on the stderr handle itself (the harness hides what
/// `eprintln!` prints for passing tests).
fn note(test: &str, what: &str) {
    let _ = writeln!(std::io::stderr(), "{test}: {what}");
}

/// One row of the manage screen's "Where you're signed in", as the person sees it.
#[derive(Debug)]
struct SessionSeen {
    id: String,
    current: bool,
    /// The device label (`[data-session-device]`).
    device: String,
    /// Whether the row shows the "This device" badge.
    badge: bool,
    /// The text of the row's sign-out button.
    button: String,
}

/// The rows of `#passkeys-sessions` on the page now loaded.
fn sessions_seen(browser: &Browser) -> Vec<SessionSeen> {
    let rows = browser.script(
        "return Array.from(document.querySelectorAll('#passkeys-sessions [data-session-id]'), (row) => {
           const text = (selector) => { const el = row.querySelector(selector); return el ? el.textContent.trim() : null; };
           return { id: row.dataset.sessionId, current: row.hasAttribute('data-session-current'),
                    device: text('[data-session-device]'), badge: text('.passkeys-badge'),
                    button: text('[data-passkey-action=\"end-session\"]') };
         });",
        json!([]),
    );
    rows.as_array()
        .expect("a list of rows")
        .iter()
        .map(|row| SessionSeen {
            id: row["id"].as_str().unwrap_or_default().to_owned(),
            current: row["current"].as_bool() == Some(true),
            device: row["device"].as_str().unwrap_or_default().to_owned(),
            badge: row["badge"].as_str() == Some("This device"),
            button: row["button"].as_str().unwrap_or_default().to_owned(),
        })
        .collect()
}

/// Waits until the manage screen lists `count` sessions; returns them.
fn wait_for_sessions_seen(browser: &Browser, count: usize) -> Vec<SessionSeen> {
    browser.wait_for_visible(MANAGE, "#passkeys-sessions");
    poll(&format!("{count} session(s) on the manage screen"), || {
        let rows = sessions_seen(browser);
        if rows.len() == count {
            Ok(Some(rows))
        } else {
            Err(format!("rows: {rows:?}"))
        }
    })
}

/// The account's live sessions as the server lists them (`GET /passkeys/sessions`).
fn server_sessions(browser: &Browser) -> Vec<Value> {
    let (status, body) = browser.fetch(&format!("{MOUNT}/sessions"));
    assert_eq!(status, 200, "GET {MOUNT}/sessions: {body}");
    body["sessions"]
        .as_array()
        .expect("a sessions list")
        .clone()
}

/// Scrolls the page so that `selector` is in view, for a screenshot of it.
fn scroll_into_view(browser: &Browser, selector: &str) {
    browser.script(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
        json!([selector]),
    );
}

/// How many button sign-ins (modal `get`, e.g. a re-sign-in before a sensitive change)
/// this tab has made so far.
fn button_sign_ins(browser: &Browser) -> usize {
    let calls = browser.webauthn_calls().expect("read the WebAuthn calls");
    calls.iter().filter(|call| call.is_button_sign_in()).count()
}

#[test]
fn a_user_sees_two_sessions_ends_the_other_and_that_browser_is_signed_out() {
    const TEST: &str = "a_user_sees_two_sessions_ends_the_other_and_that_browser_is_signed_out";
    let Some(laptop) = browser_or_skip() else {
        return;
    };
    // A second Chromium with its own profile and cookies: another of Ada's devices.
    let phone = Browser::launch();
    let app = App::start(PASSKEYS_ONLY);
    let laptop_device = laptop.add_authenticator(UserVerification::Succeeds);
    sign_up(&laptop, &app, "ada", "Ada Lovelace");

    // The phone holds a copy of Ada's passkey (as a synced passkey would be) and signs
    // in with it from the sign-in page's autofill.
    let phone_device = phone.add_authenticator(UserVerification::Succeeds);
    phone_device.add_credential(&laptop_device.credentials()[0]);
    phone.open(&app, SIGN_IN);
    assert_eq!(wait_for_signed_in_home(&phone), "Ada Lovelace");
    assert_eq!(server_passkey_count(&phone), Some(1));

    // The laptop's manage screen shows both sessions, its own marked.
    laptop.open(&app, MANAGE);
    let rows = wait_for_sessions_seen(&laptop, 2);
    let (current, others): (Vec<&SessionSeen>, Vec<&SessionSeen>) =
        rows.iter().partition(|row| row.current);
    assert_eq!((current.len(), others.len()), (1, 1), "{rows:?}");
    let (this_device, phone_row) = (current[0], others[0]);
    assert!(
        this_device.badge,
        "the current session has the badge: {rows:?}"
    );
    assert!(
        !phone_row.badge,
        "only the current session has the badge: {rows:?}"
    );
    assert_eq!(this_device.button, "Sign out");
    assert_eq!(phone_row.button, "Sign out this device");
    for row in &rows {
        assert!(!row.device.is_empty(), "a device label: {rows:?}");
    }
    note(
        TEST,
        &format!(
            "devices shown: this one {:?}, the other {:?}",
            this_device.device, phone_row.device
        ),
    );
    // The server says the same.
    let listed = server_sessions(&laptop);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let listed_current: Vec<&Value> = listed.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(listed_current.len(), 1, "{listed:?}");
    assert_eq!(listed_current[0]["id"], this_device.id.as_str());
    assert!(
        listed.iter().any(|s| s["id"] == phone_row.id.as_str()),
        "{listed:?}"
    );
    for session in &listed {
        assert_eq!(session["factors"], json!(["passkey"]), "{session}");
    }
    assert!(laptop
        .element(r#"[data-passkey-action="end-other-sessions"]"#)
        .expect("read the manage screen")
        .is_some_and(|button| button.visible));
    scroll_into_view(&laptop, "#passkeys-sessions");
    laptop.screenshot("sessions");

    // "Sign out this device" on the phone's row: the page ends it through the JSON API
    // (a fresh sign-in needs no second one) and reloads.
    let sign_ins_before = button_sign_ins(&laptop);
    let before = laptop.document_id();
    laptop.click(&format!(
        r#"[data-session-id="{}"] [data-passkey-action="end-session"]"#,
        phone_row.id
    ));
    laptop.wait_for_new_document(MANAGE, before);
    let rows = wait_for_sessions_seen(&laptop, 1);
    assert!(rows[0].current, "{rows:?}");
    assert_eq!(rows[0].id, this_device.id);
    assert!(laptop
        .element(r#"[data-passkey-action="end-other-sessions"]"#)
        .expect("read the manage screen")
        .is_none());
    assert_eq!(server_sessions(&laptop).len(), 1);
    let url = laptop.script("return location.href;", json!([]));
    let reauthenticated = button_sign_ins(&laptop) - sign_ins_before;
    note(
        TEST,
        &format!(
            "ended the phone's session from {url} with {reauthenticated} re-sign-in(s) \
             (script path: the page reloaded, no form post redirect)"
        ),
    );
    assert_eq!(reauthenticated, 0, "a fresh sign-in needs no re-sign-in");
    assert!(
        url.as_str().is_some_and(|url| !url.contains('#')),
        "the script ended the session (a form post would land on #passkeys-sessions): {url}"
    );

    // The phone's next request is signed out.
    assert_eq!(
        server_passkey_count(&phone),
        None,
        "the phone's session still works"
    );
    assert_signed_out(&phone, &app);

    // The phone signs in again; "Sign out everywhere else" ends it once more.
    phone.open(&app, SIGN_IN);
    assert_eq!(wait_for_signed_in_home(&phone), "Ada Lovelace");
    laptop.open(&app, MANAGE);
    wait_for_sessions_seen(&laptop, 2);
    let before = laptop.document_id();
    laptop.click(r#"[data-passkey-action="end-other-sessions"]"#);
    laptop.wait_for_new_document(MANAGE, before);
    let rows = wait_for_sessions_seen(&laptop, 1);
    assert!(rows[0].current, "{rows:?}");
    assert_eq!(server_sessions(&laptop).len(), 1);
    assert_eq!(button_sign_ins(&laptop), sign_ins_before);
    assert_signed_out(&phone, &app);
    // The laptop itself is still signed in.
    laptop.open(&app, "/");
    assert_eq!(wait_for_signed_in_home(&laptop), "Ada Lovelace");
}

/// The recovery codes the panel `#passkeys-recovery-codes` shows, once it is visible on
/// the page at `path`.
fn wait_for_recovery_codes(browser: &Browser, path: &str) -> Vec<String> {
    browser.wait_for_visible(path, "#passkeys-recovery-codes");
    let codes = poll("the recovery codes on the panel", || {
        let codes = browser
            .try_script(
                "return Array.from(document.querySelectorAll('#passkeys-recovery-codes ol li'),
                                   (li) => li.textContent.trim());",
                json!([]),
            )
            .map_err(|e| e.to_string())?;
        let codes: Vec<String> = codes
            .as_array()
            .map(|codes| {
                codes
                    .iter()
                    .filter_map(|code| code.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        Ok((!codes.is_empty()).then_some(codes))
    });
    assert_eq!(codes.len(), 10, "ten codes: {codes:?}");
    let distinct: std::collections::BTreeSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len(), 10, "ten different codes: {codes:?}");
    for code in &codes {
        let groups: Vec<&str> = code.split('-').collect();
        assert!(
            groups.len() == 4
                && groups.iter().all(|group| group.len() == 4
                    && group
                        .bytes()
                        .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b))),
            "a code like 7K2M-9QXD-4HRT-WB3N: {code:?}"
        );
    }
    codes
}

/// How many recovery codes the manage screen says are left ("9 of 10 codes unused. ...").
fn codes_left(browser: &Browser) -> String {
    let sentence = browser.wait_for_visible(MANAGE, "[data-recovery-left]");
    sentence
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// Types `username` and `code` into the recover screen and submits them.
fn submit_recovery(browser: &Browser, username: &str, code: &str) {
    browser.fill(r#"input[name="username"]"#, username);
    browser.fill(r#"input[name="code"]"#, code);
    browser.click(r#"[data-passkey-action="recover"]"#);
}

#[test]
fn recovery_sign_up_save_codes_lose_the_authenticator_recover_and_make_a_new_passkey() {
    const TEST: &str =
        "recovery_sign_up_save_codes_lose_the_authenticator_recover_and_make_a_new_passkey";
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start_with_env(PASSKEYS_ONLY, &[("ROCKET_PASSKEYS_RECOVERY_CODES", "true")]);
    let lost_device = browser.add_authenticator(UserVerification::Succeeds);

    // Sign-up shows the codes once, in place of the form, before going on.
    submit_sign_up(&browser, &app, "ada", "Ada Lovelace");
    let sign_up_path = format!("{MOUNT}/sign-up");
    let codes = wait_for_recovery_codes(&browser, &sign_up_path);
    let form = browser
        .element(".passkeys-form")
        .expect("read the sign-up screen")
        .expect("the sign-up form is still in the page");
    assert!(!form.visible, "the form is hidden while the codes show");
    browser.wait_for_visible(&sign_up_path, r#"[data-passkey-action="codes-saved"]"#);
    browser.screenshot("recovery-codes");
    browser.click(r#"[data-passkey-action="codes-saved"]"#);
    assert_eq!(wait_for_signed_in_home(&browser), "Ada Lovelace");
    assert_eq!(server_passkey_count(&browser), Some(1));
    browser.open(&app, MANAGE);
    assert_eq!(codes_left(&browser), "10");
    browser.open(&app, "/");
    sign_out(&browser);

    // Every device with the passkey is lost; a new one holds nothing yet.
    lost_device.remove();
    let new_device = browser.add_authenticator(UserVerification::Succeeds);
    browser.open(&app, SIGN_IN);
    assert_eq!(browser.wait_for_autofill_to_settle(), "NotAllowedError");
    browser.click(r#"a[href="/passkeys/recover"]"#);
    browser.wait_for_visible(RECOVER, r#"[data-passkey-action="recover"]"#);
    browser.fill(r#"input[name="username"]"#, "ada");
    browser.fill(r#"input[name="code"]"#, &codes[0]);
    browser.screenshot("recover");
    browser.click(r#"[data-passkey-action="recover"]"#);

    // Signed in with the code, on the manage screen, invited to add a passkey.
    let recovered = browser.wait_for_visible(MANAGE, "#passkeys-recovered");
    assert!(recovered.contains("recovery code"), "{recovered}");
    assert_eq!(server_passkey_count(&browser), Some(1));
    assert_eq!(codes_left(&browser), "9");
    let rows = wait_for_sessions_seen(&browser, 1);
    assert!(rows[0].current, "{rows:?}");
    // The code's session holds one factor: it may add a passkey, not list the account's
    // other sessions.
    let (status, body) = browser.fetch(&format!("{MOUNT}/sessions"));
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("factor_required")),
        "{body}"
    );

    let sign_ins_before = button_sign_ins(&browser);
    let before = browser.document_id();
    browser.click(r#"[data-passkey-action="register"]"#);
    browser.wait_for_new_document(MANAGE, before);
    let reauthenticated = button_sign_ins(&browser) - sign_ins_before;
    note(
        TEST,
        &format!("added the new passkey with {reauthenticated} re-sign-in(s) first"),
    );
    assert_eq!(server_passkey_count(&browser), Some(2));
    assert_eq!(new_device.credentials().len(), 1);
    poll("two passkeys on the manage screen", || {
        let count = browser
            .try_script(
                "return document.querySelectorAll('[data-passkey-id]').length;",
                json!([]),
            )
            .map_err(|e| e.to_string())?;
        Ok((count.as_u64() == Some(2)).then_some(()))
    });
    assert_eq!(codes_left(&browser), "9");

    // Signed out (the current session's "Sign out" on the manage screen), the used code
    // no longer works.
    browser.click(r#"[data-session-current] [data-passkey-action="end-session"]"#);
    browser.wait_for_visible("/", r#"a[href="/passkeys/sign-in"]"#);
    assert_signed_out(&browser, &app);
    browser.open(&app, RECOVER);
    submit_recovery(&browser, "ada", &codes[0]);
    assert_eq!(
        wait_for_error(&browser),
        "That username and recovery code do not match an unused code."
    );
    assert_eq!(browser.path().expect("current page"), RECOVER);
    assert_eq!(server_passkey_count(&browser), None);

    // The new passkey signs in.
    browser.open(&app, SIGN_IN);
    assert_eq!(wait_for_signed_in_home(&browser), "Ada Lovelace");
    let calls = browser.webauthn_calls().expect("read the WebAuthn calls");
    let path = calls
        .iter()
        .rev()
        .find(|call| call.method == "get" && call.outcome == "resolved")
        .map(|call| call.mediation.clone());
    note(TEST, &format!("signed in with the new passkey by {path:?}"));
    assert_eq!(path.as_deref(), Some("conditional"), "{calls:?}");
    assert!(new_device.credentials()[0].sign_count() > 0);

    // New codes replace the old ones: shown once, the count back at 10.
    browser.open(&app, MANAGE);
    browser.click(r#"[data-passkey-action="recovery-codes"]"#);
    let question = browser.wait_for_dialog();
    assert!(question.contains("recovery codes"), "{question}");
    browser.accept_dialog();
    let new_codes = wait_for_recovery_codes(&browser, MANAGE);
    assert!(
        new_codes.iter().all(|code| !codes.contains(code)),
        "new codes: {new_codes:?}, old: {codes:?}"
    );
    let before = browser.document_id();
    browser.click(r#"[data-passkey-action="codes-saved"]"#);
    browser.wait_for_new_document(MANAGE, before);
    assert_eq!(codes_left(&browser), "10");

    // An old, unused code stopped working.
    browser.open(&app, "/");
    sign_out(&browser);
    browser.open(&app, RECOVER);
    submit_recovery(&browser, "ada", &codes[1]);
    wait_for_error(&browser);
    assert_eq!(server_passkey_count(&browser), None);
}

// ---------------------------------------------------------------------------------------
// password_app: password accounts that add passkeys (progressive enrollment, manage)
// ---------------------------------------------------------------------------------------

const ENROLL: &str = "/passkeys/enroll";
const PASSWORD: &str = "correct horse battery staple";

/// Creates a password account on the app's own sign-up page.
fn password_sign_up(browser: &Browser, app: &App, username: &str) {
    browser.open(app, "/signup");
    browser.fill("#username", username);
    browser.fill("#password", PASSWORD);
    browser.click("#password-sign-up");
}

/// Signs in with the password on the app's sign-in page (its home page when signed out).
fn password_sign_in(browser: &Browser, app: &App, username: &str) {
    browser.open(app, "/");
    browser.wait_for_visible("/", "#password-sign-in");
    browser.fill("#username", username);
    browser.fill("#password", PASSWORD);
    browser.click("#password-sign-in");
}

/// Presses "Sign out" and waits for the sign-in page.
fn password_app_sign_out(browser: &Browser) {
    browser.click(r#"[data-passkey-action="sign-out"]"#);
    browser.wait_for_visible("/", "#password-sign-in");
}

/// The "create a passkey?" prompt, with its three choices.
fn wait_for_enrollment_prompt(browser: &Browser) {
    browser.wait_for_visible(ENROLL, r#"[data-passkey-action="register"]"#);
    browser.wait_for_visible(ENROLL, r#"[data-passkey-action="skip"]"#);
    browser.wait_for_visible(ENROLL, r#"[data-passkey-action="never"]"#);
}

/// Signs up with a password and accepts the prompt: returns with the passkey created and
/// the home page shown.
fn password_user_with_a_passkey(browser: &Browser, app: &App, username: &str) {
    password_sign_up(browser, app, username);
    wait_for_enrollment_prompt(browser);
    browser.click(r#"[data-passkey-action="register"]"#);
    assert_eq!(wait_for_signed_in_home(browser), username);
}

#[test]
fn password_app_prompt_creates_a_passkey_that_signs_in_next_time() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSWORD_APP);
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);

    // A password sign-up is invited to create a passkey.
    password_sign_up(&browser, &app, "lin");
    wait_for_enrollment_prompt(&browser);
    browser.screenshot("enroll");
    browser.click(r#"[data-passkey-action="register"]"#);

    assert_eq!(wait_for_signed_in_home(&browser), "lin");
    browser.wait_for_text("/", ", with your password.");
    assert_eq!(server_passkey_count(&browser), Some(1));
    assert_eq!(authenticator.credentials().len(), 1);
    // The session still holds one factor: the password.
    browser.open(&app, "/admin");
    browser.wait_for_visible("/admin", "#admin-refused");

    // Signed out, the sign-in page's autofill offers the new passkey, which signs in
    // with both factors.
    browser.open(&app, "/");
    browser.click(r#"[data-passkey-action="sign-out"]"#);
    browser.wait_for_text("/", ", with a passkey.");
    assert_eq!(wait_for_signed_in_home(&browser), "lin");
    let autofill = browser.webauthn_calls().expect("read the WebAuthn calls");
    assert!(
        autofill
            .iter()
            .any(|call| call.is_autofill() && call.outcome == "resolved"),
        "signed in by autofill: {autofill:?}"
    );
    browser.open(&app, "/admin");
    browser.wait_for_visible("/admin", "#admin");
}

#[test]
fn password_app_upgrades_automatically_where_chromium_can_and_prompts_where_it_cannot() {
    const TEST: &str =
        "password_app_upgrades_automatically_where_chromium_can_and_prompts_where_it_cannot";
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start_with_env(PASSWORD_APP, &[("ROCKET_PASSKEYS_AUTO_UPGRADE", "true")]);
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);
    browser.open(&app, "/");
    let capabilities = browser.script(
        "return typeof PublicKeyCredential.getClientCapabilities === 'function'
           ? PublicKeyCredential.getClientCapabilities() : {};",
        json!([]),
    );
    let can = capabilities["conditionalCreate"] == true;
    note(
        TEST,
        &format!(
            "getClientCapabilities() reports conditionalCreate = {}",
            capabilities["conditionalCreate"]
        ),
    );

    // A password sign-up: the invitation is due, so the landing page tries the upgrade.
    password_sign_up(&browser, &app, "kim");
    let path = poll("the upgrade made, or the invitation shown", || {
        let page = browser.path().map_err(|e| e.to_string())?;
        let marker = browser
            .try_script(
                "return document.documentElement.dataset.passkeyUpgrade || '';",
                json!([]),
            )
            .map_err(|e| e.to_string())?;
        if page == ENROLL {
            return Ok(Some("prompt"));
        }
        if marker == "created" {
            return Ok(Some("created"));
        }
        Err(format!("on {page}, marker {marker}"))
    });
    note(TEST, &format!("took the {path} path"));
    if path == "prompt" {
        // Why the browser made none, as its console says (before the invitation loaded).
        let log = browser.console_log().unwrap_or_default();
        let why: Vec<&String> = log.iter().filter(|l| l.contains("upgrade")).collect();
        note(TEST, &format!("the browser's answer: {why:?}"));
        // The fallback: the invitation, as without auto_upgrade.
        wait_for_enrollment_prompt(&browser);
        browser.click(r#"[data-passkey-action="register"]"#);
        assert_eq!(wait_for_signed_in_home(&browser), "kim");
    } else {
        assert!(
            can,
            "created although the browser reported no conditional create"
        );
    }
    assert_eq!(server_passkey_count(&browser), Some(1));
    assert_eq!(authenticator.credentials().len(), 1);
    // The mark is used once: the next page does not try again.
    browser.open(&app, "/");
    assert_eq!(wait_for_signed_in_home(&browser), "kim");
    let marker = browser.script("return document.cookie;", json!([]));
    assert!(
        !marker
            .as_str()
            .unwrap_or_default()
            .contains("passkeys_upgrade"),
        "{marker}"
    );
}

#[test]
fn password_app_prompt_not_now_and_dont_ask_again() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSWORD_APP);
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);

    for (username, choice) in [("sam", "skip"), ("kim", "never")] {
        password_sign_up(&browser, &app, username);
        wait_for_enrollment_prompt(&browser);
        browser.click(&format!(r#"[data-passkey-action="{choice}"]"#));
        assert_eq!(
            wait_for_signed_in_home(&browser),
            username,
            "after {choice}"
        );
        assert_eq!(server_passkey_count(&browser), Some(0));

        // The next password sign-in goes straight home, without the prompt.
        password_app_sign_out(&browser);
        if choice == "skip" {
            browser.screenshot("password-sign-in");
        }
        password_sign_in(&browser, &app, username);
        assert_eq!(
            wait_for_signed_in_home(&browser),
            username,
            "after {choice}"
        );
        password_app_sign_out(&browser);
    }
    assert!(authenticator.credentials().is_empty());
}

#[test]
fn manage_screen_renames_and_deletes_a_passkey() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSWORD_APP);
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);
    password_user_with_a_passkey(&browser, &app, "lin");

    browser.click("#manage-passkeys");
    let manage = format!("{MOUNT}/manage");
    browser.wait_for_visible(&manage, "[data-passkey-id]");
    browser.screenshot("manage");

    // Rename: the page saves the name and reloads.
    let before_rename = browser.document_id();
    browser.fill(r#"[data-passkey-id] input[name="name"]"#, "Work laptop");
    browser.click(r#"[data-passkey-id] [data-passkey-action="rename"]"#);
    browser.wait_for_new_document(&manage, before_rename);
    let passkeys = server_passkeys(&browser).expect("still signed in");
    assert_eq!(passkeys[0]["name"], "Work laptop");

    // The device already holds a passkey for this account: adding another is refused
    // by the authenticator (the options exclude the existing passkey).
    browser.click(r#"[data-passkey-action="register"]"#);
    let message = wait_for_error(&browser);
    assert!(message.contains("already has a passkey"), "{message}");
    assert_eq!(server_passkey_count(&browser), Some(1));

    // Delete, after confirming; a password account may delete its only passkey.
    browser.click(r#"[data-passkey-id] [data-passkey-action="delete"]"#);
    let question = browser.wait_for_dialog();
    assert!(question.contains("Work laptop"), "{question}");
    browser.accept_dialog();
    browser.wait_for_text(&manage, "You have no passkeys yet.");
    assert_eq!(server_passkey_count(&browser), Some(0));
    browser.screenshot("manage-empty");

    // The page told the passkey provider which passkeys remain (Signal API): none.
    poll("Chromium to remove the deleted passkey", || {
        Ok(authenticator.credentials().is_empty().then_some(()))
    });
}

#[test]
fn manage_screen_adds_a_second_passkey_and_refuses_to_delete_the_last() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSKEYS_ONLY);
    let first_device = browser.add_authenticator(UserVerification::Succeeds);
    sign_up(&browser, &app, "grace", "Grace Hopper");
    browser.click("#manage-passkeys");
    let manage = format!("{MOUNT}/manage");
    browser.wait_for_visible(&manage, "[data-passkey-id]");
    let text = browser.page_text().expect("the manage screen");
    assert!(
        text.contains("Passkey"),
        "the provider's name (unknown here): {text}"
    );

    // A second device adds its own passkey from the same session.
    first_device.remove();
    let second_device = browser.add_authenticator(UserVerification::Succeeds);
    let before = browser.document_id();
    browser.click(r#"[data-passkey-action="register"]"#);
    browser.wait_for_new_document(&manage, before);
    assert_eq!(server_passkey_count(&browser), Some(2));
    assert_eq!(second_device.credentials().len(), 1);

    // Deleting the second device's passkey: confirmed, gone on the server, and the
    // browser told (Signal API), so the device forgets it too.
    let passkeys = server_passkeys(&browser).expect("signed in");
    let second_id = passkeys[1]["id"].as_str().expect("an id").to_string();
    let before = browser.document_id();
    browser.click(&format!(
        r#"[data-passkey-id="{second_id}"] [data-passkey-action="delete"]"#
    ));
    browser.wait_for_dialog();
    browser.accept_dialog();
    browser.wait_for_new_document(&manage, before);
    assert_eq!(server_passkey_count(&browser), Some(1));
    poll("Chromium to forget the deleted passkey", || {
        Ok(second_device.credentials().is_empty().then_some(()))
    });

    // The last passkey of a passkeys-only account stays, and the screen says why.
    browser.click(r#"[data-passkey-id] [data-passkey-action="delete"]"#);
    browser.wait_for_dialog();
    browser.accept_dialog();
    let message = wait_for_error(&browser);
    assert!(message.contains("only passkey"), "{message}");
    assert_eq!(server_passkey_count(&browser), Some(1));
}

/// The code an authenticator app would show for `secret` (base32) in the 30-second step
/// `offset` steps from now.
fn totp_code(secret: &str, offset: i64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .expect("a base32 key");
    let totp = totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    )
    .expect("a TOTP");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock")
        .as_secs() as i64;
    totp.generate(((now / 30 + offset) * 30) as u64)
}

/// `POST` a JSON body from the page, with its cookies and origin: the status and body.
fn post_from_page(browser: &Browser, path: &str, body: Value) -> (u16, Value) {
    let answer = browser.script(
        "return fetch(arguments[0], { method: 'POST', credentials: 'same-origin',
             headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(arguments[1]) })
           .then(async (res) => ({ status: res.status, body: await res.json().catch(() => null) }));",
        json!([path, body]),
    );
    let status = answer["status"].as_u64().expect("status");
    (
        u16::try_from(status).expect("HTTP status"),
        answer["body"].clone(),
    )
}

#[test]
fn password_app_with_a_code_prompts_after_the_code_and_a_passkey_skips_it() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSWORD_APP);
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);

    // A password account; the first prompt is left unanswered.
    password_sign_up(&browser, &app, "tom");
    wait_for_enrollment_prompt(&browser);
    browser.open(&app, "/");
    assert_eq!(wait_for_signed_in_home(&browser), "tom");

    // Two-step sign-in turned on: the key from the page, confirmed with a code.
    browser.click("#totp-setup");
    let secret = browser.wait_for_visible("/totp", "#totp-secret");
    browser.wait_for_visible("/totp", "#totp-qr svg");
    browser.screenshot("totp-setup");
    let setup_code = totp_code(&secret, 0);
    browser.fill("#code", &setup_code);
    browser.click("#totp-confirm");
    // With both factors now, the invitation is due again; left unanswered once more.
    wait_for_enrollment_prompt(&browser);
    browser.open(&app, "/");
    browser.wait_for_text("/", "Two-step sign-in is on");
    password_app_sign_out(&browser);

    // The password alone: the code page, no prompt, no /admin, and no passkey can be
    // added from this session.
    password_sign_in(&browser, &app, "tom");
    browser.wait_for_visible("/login/code", "#code");
    let (status, body) = post_from_page(&browser, &format!("{MOUNT}/register/start"), json!({}));
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("factor_required"))
    );
    browser.open(&app, "/admin");
    browser.wait_for_visible("/admin", "#admin-refused");

    // The code used at set-up never works again; the next step's completes the
    // sign-in, and the prompt comes now.
    browser.open(&app, "/login/code?next=/");
    browser.fill("#code", &setup_code);
    browser.click("#code-submit");
    browser.wait_for_visible("/login/code", "#code-error");
    browser.fill("#code", &totp_code(&secret, 1));
    browser.click("#code-submit");
    wait_for_enrollment_prompt(&browser);
    browser.click(r#"[data-passkey-action="register"]"#);
    assert_eq!(wait_for_signed_in_home(&browser), "tom");
    assert_eq!(server_passkey_count(&browser), Some(1));
    assert_eq!(authenticator.credentials().len(), 1);
    browser.wait_for_visible("/", "#notices .app-notice");
    browser.open(&app, "/admin");
    browser.wait_for_visible("/admin", "#admin");

    // Next time: the passkey (the sign-in page's autofill, which the virtual
    // authenticator answers at once), straight through with no code, and /admin opens.
    browser.open(&app, "/");
    browser.click(r#"[data-passkey-action="sign-out"]"#);
    browser.wait_for_text("/", ", with a passkey.");
    browser.open(&app, "/admin");
    browser.wait_for_visible("/admin", "#admin");
}

#[test]
fn password_app_forms_refuse_other_sites() {
    let Some(_browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSWORD_APP);
    for path in ["/login", "/signup", "/login/code", "/totp"] {
        let answer = ureq::post(&app.url(path))
            .set("Origin", "https://evil.example")
            .set("Content-Type", "application/x-www-form-urlencoded")
            .send_string("username=x&password=yyyyyyyy&code=123456");
        let status = match answer {
            Ok(response) => response.status(),
            Err(ureq::Error::Status(status, _)) => status,
            Err(e) => panic!("{path}: {e}"),
        };
        assert!(
            status == 403 || status == 401,
            "{path} from another site: {status}"
        );
    }
    // The same sign-up from the app's own origin works.
    let answer = ureq::post(&app.url("/signup"))
        .set("Origin", &app.origin())
        .set("Content-Type", "application/x-www-form-urlencoded")
        .send_string("username=own&password=yyyyyyyy");
    let status = match answer {
        Ok(response) => response.status(),
        Err(ureq::Error::Status(status, _)) => status,
        Err(e) => panic!("{e}"),
    };
    assert!(status < 400, "own origin: {status}");
}

#[test]
fn password_app_pauses_code_entry_after_five_wrong_codes() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let app = App::start(PASSWORD_APP);
    browser.add_authenticator(UserVerification::Succeeds);
    password_sign_up(&browser, &app, "ida");
    wait_for_enrollment_prompt(&browser);
    browser.open(&app, "/totp");
    let secret = browser.wait_for_visible("/totp", "#totp-secret");
    browser.fill("#code", &totp_code(&secret, 0));
    browser.click("#totp-confirm");
    wait_for_enrollment_prompt(&browser);
    browser.open(&app, "/");
    password_app_sign_out(&browser);

    // Someone with the password guesses codes: five wrong ones, then a pause in which
    // even the right code is not looked at.
    password_sign_in(&browser, &app, "ida");
    browser.wait_for_visible("/login/code", "#code");
    for guess in ["000000", "111111", "222222", "333333", "444444"] {
        browser.fill("#code", guess);
        // From the second guess on, the page being left shows the last error too: wait
        // for the answer to this one.
        let before = browser.document_id();
        browser.click("#code-submit");
        browser.wait_for_new_document("/login/code", before);
        let error = browser.wait_for_visible("/login/code", "#code-error");
        assert!(error.contains("did not work"), "{guess}: {error}");
    }
    browser.fill("#code", &totp_code(&secret, 1));
    browser.click("#code-submit");
    poll("the pause", || {
        let text = browser.page_text().map_err(|e| e.to_string())?;
        Ok(text.contains("Too many wrong codes").then_some(()))
    });
    browser.open(&app, "/admin");
    browser.wait_for_visible("/admin", "#admin-refused");
}
