//! The screens in a real browser, in the visitor's language and for everyone: the
//! sign-up, sign-in, prompt and manage flows in German and Arabic (right to left), an
//! axe-core audit of every screen in English and Arabic, light and dark, with no serious
//! or critical violation, sign-up by keyboard alone, and focus on errors.
//!
//! Chromium prefers the language under test (`Accept-Language`), as a visitor's browser
//! does; what the screens must say is read from the shipped catalogs (`locales/`).
//! Needs Chromium and chromedriver like `browser.rs`; `PASSKEYS_SCREENSHOTS=1` saves the
//! screens in Japanese and Arabic into `docs/screenshots/`.

use rocket_passkeys_testkit::webdriver as browser_support;

use browser_support::{
    browser_in_or_skip, poll, server_passkey_count, wait_for_error, wait_for_signed_in_home, App,
    Browser, UserVerification, MOUNT,
};
use rocket_passkeys_testkit::said;
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";
const TAB: &str = "\u{E004}";
const ENTER: &str = "\u{E007}";

/// The page's `lang` and `dir`.
fn lang_dir(browser: &Browser) -> (String, String) {
    let found = browser.script(
        "return [document.documentElement.lang, document.documentElement.dir];",
        json!([]),
    );
    (
        found[0].as_str().unwrap_or_default().to_string(),
        found[1].as_str().unwrap_or_default().to_string(),
    )
}

/// Whether the card's right edge is inside the window (a right-to-left layout that holds
/// does not push it off) and no element is wider than the page.
fn layout_holds(browser: &Browser) -> bool {
    browser
        .script(
            "const card = document.getElementById('passkeys').getBoundingClientRect();
             return card.left >= 0 && card.right <= window.innerWidth
                 && document.documentElement.scrollWidth <= window.innerWidth;",
            json!([]),
        )
        .as_bool()
        .unwrap_or(false)
}

/// Audits the page now shown: no serious or critical violation.
fn audit(browser: &Browser, screen: &str) {
    let violations = browser.accessibility_violations();
    assert!(
        violations.is_empty(),
        "{screen}: accessibility violations:\n{}",
        violations.join("\n")
    );
}

/// Audits the page in the light and the dark scheme (contrast in both).
fn audit_both_schemes(browser: &Browser, screen: &str) {
    audit(browser, &format!("{screen} (light)"));
    browser.prefer_dark(true);
    audit(browser, &format!("{screen} (dark)"));
    browser.prefer_dark(false);
}

/// The screen's first heading.
fn heading(browser: &Browser, path: &str) -> String {
    browser.wait_for_visible(path, "h1")
}

/// Sign-up, the recovery codes, manage, sign-out and sign-in in one language.
fn passkeys_only_flow(tag: &str, languages: &str, dir: &str, audit_screens: bool) {
    let Some(browser) = browser_in_or_skip(Some(languages)) else {
        return;
    };
    let app = App::start_with_env(
        "passkeys_only",
        &[("ROCKET_PASSKEYS_RECOVERY_CODES", "true")],
    );
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);
    let check = |screen: &str| {
        assert_eq!(
            lang_dir(&browser),
            (tag.to_string(), dir.to_string()),
            "{screen}"
        );
        assert!(layout_holds(&browser), "{tag}: the {screen} layout holds");
        if audit_screens {
            audit_both_schemes(&browser, &format!("{tag} {screen}"));
        }
    };

    // Sign-up, in the browser's language.
    browser.open(&app, &format!("{MOUNT}/sign-up"));
    assert_eq!(
        heading(&browser, "/passkeys/sign-up"),
        said(tag, "sign-up-title")
    );
    check("sign-up screen");
    browser.screenshot(&format!("sign-up-{tag}"));
    browser.fill(r#"input[name="username"]"#, "noor");
    browser.fill(r#"input[name="display_name"]"#, "Noor");
    browser.click(r#"[data-passkey-action="register"]"#);
    // The recovery codes, shown once, in the same language.
    browser.wait_for_visible("/passkeys/sign-up", "#passkeys-recovery-codes");
    let title = browser.wait_for_visible("/passkeys/sign-up", "#passkeys-codes-title");
    assert_eq!(title, said(tag, "codes-title"));
    assert_eq!(
        browser.focused(),
        "passkeys-codes-title",
        "focus on the codes"
    );
    if audit_screens {
        audit_both_schemes(&browser, &format!("{tag} recovery codes"));
    }
    browser.click(r#"[data-passkey-action="codes-saved"]"#);
    assert_eq!(wait_for_signed_in_home(&browser), "Noor");

    // Manage: the passkey, its storage and date in words of the language.
    browser.open(&app, &format!("{MOUNT}/manage"));
    assert_eq!(
        heading(&browser, "/passkeys/manage"),
        said(tag, "manage-title")
    );
    let storage = browser.wait_for_visible("/passkeys/manage", "[data-passkey-storage]");
    assert!(
        [said(tag, "manage-synced"), said(tag, "manage-device-only")].contains(&storage),
        "{tag}: {storage}"
    );
    check("manage screen");
    // Chromium's authenticator has no known provider: its name and provider are said
    // in the language (the API keeps "Passkey").
    let unknown = said(tag, "manage-provider-unknown");
    let shown = browser.script(
        "return [document.querySelector('input[name=\"name\"]').value,
                 document.querySelector('[data-passkey-provider]').textContent];",
        json!([]),
    );
    assert_eq!(shown, json!([unknown, unknown]), "{tag}");
    browser.screenshot(&format!("manage-{tag}"));
    // Rename, confirmed in place.
    browser.fill(r#"input[name="name"]"#, "مفتاح / Schlüssel");
    browser.click(r#"[data-passkey-action="rename"]"#);
    poll("the new name", || {
        let names: Vec<String> = browser_support::server_passkeys(&browser)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p["name"].as_str().map(str::to_string))
            .collect();
        Ok((names == ["مفتاح / Schlüssel"]).then_some(()))
    });

    // Signed out, the sign-in screen; the passkey signs in with the button.
    browser.open(&app, "/");
    browser.click(r#"[data-passkey-action="sign-out"]"#);
    browser.wait_for_visible("/", r#"a[href="/passkeys/sign-in"]"#);
    let passkey = authenticator.credentials().remove(0);
    authenticator.remove_all_credentials();
    browser.open(&app, &format!("{MOUNT}/sign-in"));
    assert_eq!(browser.wait_for_autofill_to_settle(), "NotAllowedError");
    check("sign-in screen");
    browser.screenshot(&format!("sign-in-{tag}"));
    // Without the passkey: the error in the language, and the focus on it.
    browser.click(r#"[data-passkey-action="authenticate"]"#);
    assert_eq!(wait_for_error(&browser), said(tag, "script-cancelled"));
    assert_eq!(
        browser.focused(),
        "passkey-error",
        "focus moves to the error"
    );
    if audit_screens {
        audit(&browser, &format!("{tag} sign-in error"));
    }
    authenticator.add_credential(&passkey);
    browser.click(r#"[data-passkey-action="authenticate"]"#);
    assert_eq!(wait_for_signed_in_home(&browser), "Noor");

    // The recovery screen (signed out).
    browser.open(&app, "/");
    browser.click(r#"[data-passkey-action="sign-out"]"#);
    browser.wait_for_visible("/", r#"a[href="/passkeys/sign-in"]"#);
    browser.open(&app, &format!("{MOUNT}/recover"));
    assert_eq!(
        heading(&browser, "/passkeys/recover"),
        said(tag, "recover-title")
    );
    check("recovery screen");
}

/// The password app's "create a passkey?" prompt in one language.
fn prompt_flow(tag: &str, languages: &str, dir: &str, audit_screens: bool) {
    let Some(browser) = browser_in_or_skip(Some(languages)) else {
        return;
    };
    let app = App::start("password_app");
    let authenticator = browser.add_authenticator(UserVerification::Succeeds);
    browser.open(&app, "/signup");
    browser.fill("#username", "lena");
    browser.fill("#password", PASSWORD);
    browser.click("#password-sign-up");
    browser.wait_for_visible("/passkeys/enroll", r#"[data-passkey-action="never"]"#);
    assert_eq!(
        heading(&browser, "/passkeys/enroll"),
        said(tag, "enroll-heading")
    );
    assert_eq!(
        browser.wait_for_visible("/passkeys/enroll", r#"[data-passkey-action="skip"]"#),
        said(tag, "enroll-skip")
    );
    assert_eq!(lang_dir(&browser), (tag.to_string(), dir.to_string()));
    assert!(layout_holds(&browser), "{tag}: the prompt's layout holds");
    if audit_screens {
        audit_both_schemes(&browser, &format!("{tag} enrollment prompt"));
    }
    browser.screenshot(&format!("enroll-{tag}"));
    browser.click(r#"[data-passkey-action="register"]"#);
    assert_eq!(wait_for_signed_in_home(&browser), "lena");
    assert_eq!(server_passkey_count(&browser), Some(1));
    assert_eq!(authenticator.credentials().len(), 1);
}

#[test]
fn german_sign_up_codes_manage_sign_in_and_recovery() {
    passkeys_only_flow("de", "de-DE,de", "ltr", false);
}

#[test]
fn german_prompt_creates_a_passkey() {
    prompt_flow("de", "de-DE,de", "ltr", false);
}

#[test]
fn arabic_right_to_left_flows_pass_the_audit() {
    passkeys_only_flow("ar", "ar-EG,ar", "rtl", true);
}

#[test]
fn arabic_prompt_passes_the_audit_and_creates_a_passkey() {
    prompt_flow("ar", "ar", "rtl", true);
}

#[test]
fn english_flows_pass_the_audit_light_and_dark() {
    passkeys_only_flow("en", "en-US,en", "ltr", true);
}

#[test]
fn english_prompt_passes_the_audit() {
    prompt_flow("en", "en", "ltr", true);
}

#[test]
fn japanese_screens_for_the_readme() {
    passkeys_only_flow("ja", "ja-JP,ja", "ltr", false);
}

#[test]
fn sign_up_with_the_keyboard_alone() {
    let Some(browser) = browser_in_or_skip(Some("en")) else {
        return;
    };
    let app = App::start("passkeys_only");
    let _authenticator = browser.add_authenticator(UserVerification::Succeeds);
    browser.open(&app, &format!("{MOUNT}/sign-up"));
    browser.wait_for_visible("/passkeys/sign-up", "#passkeys-username");
    // Tab from the top of the page to each field and the button, in reading order.
    let mut reached = Vec::new();
    for _ in 0..12 {
        browser.press(TAB);
        let now = browser.focused();
        if now == "passkeys-username" {
            browser.press("kim");
        } else if now == "passkeys-display-name" {
            browser.press("Kim Park");
        }
        reached.push(now.clone());
        if now == "button[register]" {
            break;
        }
    }
    let order: Vec<&str> = reached
        .iter()
        .map(String::as_str)
        .filter(|f| {
            [
                "passkeys-username",
                "passkeys-display-name",
                "button[register]",
            ]
            .contains(f)
        })
        .collect();
    assert_eq!(
        order,
        [
            "passkeys-username",
            "passkeys-display-name",
            "button[register]"
        ],
        "the tab order: {reached:?}"
    );
    // Every focused control shows a focus ring.
    let ring = browser.script(
        "const s = getComputedStyle(document.activeElement);
         return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;",
        json!([]),
    );
    assert_eq!(ring, json!(true), "the focused button shows its focus");
    browser.press(ENTER);
    assert_eq!(wait_for_signed_in_home(&browser), "Kim Park");
}
