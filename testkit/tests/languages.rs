//! Languages over HTTP: which locale a request gets (the language menu's choice, kept in
//! a cookie; the app's choice; `Accept-Language`; the default), the screens and JSON
//! errors in it, the app's own catalog, and a bad locale configuration at launch.

use rocket_passkeys_testkit as support;

use rocket::http::{Header, Status};
use rocket::local::asynchronous::Client;
use rocket_passkeys::{Config, Passkeys};
use serde_json::json;
use support::{config, said, TestApp};

/// The same as the screens write it (HTML-escaped).
fn on_screen(tag: &str, id: &str) -> String {
    said(tag, id)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('=', "&#x3D;")
        .replace('`', "&#x60;")
}

/// The page a request answers.
async fn page_of(request: rocket::local::asynchronous::LocalRequest<'_>) -> String {
    request
        .dispatch()
        .await
        .into_string()
        .await
        .expect("a page")
}

fn html_of(answer: &support::Answer) -> String {
    answer.body.as_str().expect("an HTML page").to_string()
}

/// The `lang` and `dir` of a page's `<html>`.
fn lang_dir(html: &str) -> (String, String) {
    let tag = html.split("<html ").nth(1).expect("an html tag");
    let attr = |name: &str| {
        tag.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("")
            .to_string()
    };
    (attr("lang"), attr("dir"))
}

#[rocket::async_test]
async fn each_screen_speaks_the_browser_s_language() {
    let app = TestApp::with(Config {
        recovery_codes: true,
        ..config()
    })
    .await;
    let cases = [
        ("de-DE,de;q=0.9,en;q=0.5", "de", "ltr"),
        ("fr-CA", "fr", "ltr"),
        ("es-419,es;q=0.9", "es", "ltr"),
        ("pt-BR", "pt-BR", "ltr"),
        ("pt", "pt-BR", "ltr"),
        ("ja-JP", "ja", "ltr"),
        ("ar-EG,ar;q=0.9", "ar", "rtl"),
        ("zh-CN", "en", "ltr"),
        ("", "en", "ltr"),
    ];
    for (header, tag, dir) in cases {
        for (path, title) in [
            ("/passkeys/sign-in", "sign-in-title"),
            ("/passkeys/sign-up", "sign-up-title"),
            ("/passkeys/recover", "recover-title"),
        ] {
            let mut browser = app.browser();
            browser.accept_language = Some(header.to_string());
            let page = browser.get(path).await;
            assert_eq!(page.status, Status::Ok, "{path}");
            let html = html_of(&page);
            assert_eq!(
                lang_dir(&html),
                (tag.into(), dir.into()),
                "{header}: {path}"
            );
            assert!(
                html.contains(&format!("<title>{} ·", on_screen(tag, title))),
                "{header}: {path} is titled in {tag}"
            );
            // The script's messages travel with the page, in its language.
            assert!(
                html.contains(&on_screen(tag, "script-cancelled")),
                "{header}: {path} carries the script's messages"
            );
            // Nobody sees a message id.
            for id in ["sign-in-", "sign-up-", "recover-", "layout-", "script-"] {
                assert!(!html.contains(&format!(">{id}")), "{path}: an id shown");
            }
        }
    }
}

#[rocket::async_test]
async fn the_menu_s_choice_wins_and_is_kept_in_a_cookie() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.accept_language = Some("de".into());
    // The menu offers every locale, in its own words, keeping `next`.
    let page = browser.get("/passkeys/sign-in?next=/account").await;
    let html = html_of(&page);
    for (tag, name) in [("en", "English"), ("ja", "日本語"), ("ar", "العربية")] {
        assert!(
            html.contains(&format!(
                "<a href=\"?lang&#x3D;{tag}&amp;next&#x3D;%2Faccount\" lang=\"{tag}\" hreflang=\"{tag}\""
            )) && html.contains(&format!(">{name}</a>")),
            "the menu links {tag}"
        );
    }
    assert!(html.contains("aria-current=\"true\">Deutsch</a>"));

    let page = browser.get("/passkeys/sign-in?lang=ja&next=/account").await;
    assert_eq!(lang_dir(&html_of(&page)).0, "ja");
    let kept = page
        .set_cookies
        .iter()
        .find(|c| c.starts_with("passkeys_lang=ja"))
        .expect("the choice is kept");
    assert!(kept.contains("Path=/") && kept.contains("SameSite=Lax") && kept.contains("HttpOnly"));
    // Later pages, and JSON errors, follow the cookie over Accept-Language.
    let page = browser.get("/passkeys/sign-up").await;
    assert_eq!(lang_dir(&html_of(&page)).0, "ja");
    let answer = browser.get("/passkeys/credentials").await;
    answer.assert_error(Status::Unauthorized, "unauthorized");
    assert_eq!(answer.body["message"], said("ja", "error-unauthorized"));
    // A tag the site does not offer, or garbage, is passed over.
    for bad in ["xx", "%3Cscript%3E", "a-very-long-and-wrong-tag-indeed", ""] {
        let page = browser.get(&format!("/passkeys/sign-in?lang={bad}")).await;
        assert_eq!(page.status, Status::Ok);
        assert_eq!(
            lang_dir(&html_of(&page)).0,
            "ja",
            "`{bad}` keeps the cookie's"
        );
        assert!(page
            .set_cookies
            .iter()
            .all(|c| !c.starts_with("passkeys_lang")));
    }
    // A regional tag gets its language.
    let page = browser.get("/passkeys/sign-in?lang=ar-MA").await;
    assert_eq!(
        lang_dir(&html_of(&page)),
        ("ar".to_string(), "rtl".to_string())
    );
}

#[rocket::async_test]
async fn json_errors_keep_their_code_and_speak_the_request_s_language() {
    let app = TestApp::new().await;
    let before = app.snapshot().await;
    let mut too_long = std::collections::BTreeSet::new();
    for tag in ["en", "de", "fr", "es", "pt-BR", "ja", "ar"] {
        let mut browser = app.browser();
        browser.accept_language = Some(tag.to_string());
        // No ceremony pending.
        let answer = browser
            .post("/passkeys/authenticate/finish", &json!({ "id": "AAAA" }))
            .await;
        answer.assert_error(Status::BadRequest, "ceremony_not_found");
        assert_eq!(
            answer.body["message"],
            said(tag, "error-ceremony-not-found")
        );
        // Not JSON: the code's message for people, the detail in English for developers.
        let answer = browser
            .post_raw(
                "/passkeys/register/start",
                rocket::http::ContentType::JSON,
                "{not json".into(),
            )
            .await;
        answer.assert_error(Status::BadRequest, "invalid_request");
        assert_eq!(answer.body["message"], said(tag, "error-invalid-request"));
        assert!(answer.body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("The body is not valid JSON here")));
        // A username too long: the message names the field, in the language.
        let answer = browser
            .post(
                "/passkeys/register/start",
                &json!({ "username": "x".repeat(65) }),
            )
            .await;
        answer.assert_error(Status::BadRequest, "invalid_request");
        let message = answer.body["message"].as_str().expect("a message");
        assert!(message.contains("64"), "{tag}: {message}");
        // The field is named in the language: each says it in its own words.
        let field = said(tag, "sign-up-username");
        assert!(
            message.contains(&field) || message.contains(&field.to_lowercase()),
            "{tag}: {message} names `{field}`"
        );
        too_long.insert(message.to_string());
        // A route that is not there.
        let answer = browser.get("/passkeys/no-such-page").await;
        answer.assert_error(Status::NotFound, "not_found");
        assert_eq!(answer.body["message"], said(tag, "error-not-found"));
    }
    assert_eq!(
        too_long.len(),
        7,
        "seven languages, seven sentences: {too_long:#?}"
    );
    assert_eq!(app.snapshot().await, before, "no failure wrote anything");
}

fn figment(dir: &tempfile::TempDir) -> rocket::figment::Figment {
    support::figment(&dir.path().join("passkeys.sqlite"))
}

#[rocket::async_test]
async fn the_app_chooses_per_request_after_the_menu_and_before_the_browser() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fairing = Passkeys::custom(config()).choose_locale(|request| {
        request
            .headers()
            .get_one("X-Saved-Language")
            .map(str::to_string)
    });
    let client = Client::untracked(rocket::custom(figment(&dir)).attach(fairing))
        .await
        .expect("launches");
    let lang = |response: &str| lang_dir(response).0;
    let page = |saved: Option<&'static str>, cookie: Option<&'static str>| {
        let mut request = client
            .get("/passkeys/sign-in")
            .header(Header::new("Accept-Language", "fr"));
        if let Some(saved) = saved {
            request = request.header(Header::new("X-Saved-Language", saved));
        }
        if let Some(cookie) = cookie {
            request = request.cookie(rocket::http::Cookie::new("passkeys_lang", cookie));
        }
        page_of(request)
    };
    assert_eq!(lang(&page(None, None).await), "fr");
    assert_eq!(lang(&page(Some("es"), None).await), "es");
    assert_eq!(lang(&page(Some("not offered"), None).await), "fr");
    assert_eq!(lang(&page(Some("es"), Some("de")).await), "de");
}

#[rocket::async_test]
async fn the_app_s_catalog_replaces_a_message_and_adds_a_locale() {
    let locales = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        locales.path().join("de.ftl"),
        "sign-in-heading = Willkommen zurück bei { $site }\n",
    )
    .expect("write");
    std::fs::write(
        locales.path().join("it.ftl"),
        "language-name = Italiano\nsign-in-title = Accedi\n",
    )
    .expect("write");
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        locales_dir: Some(locales.path().to_path_buf()),
        ..config()
    };
    let client = Client::untracked(rocket::custom(figment(&dir)).attach(Passkeys::custom(config)))
        .await
        .expect("launches");
    let get = |language: &'static str| {
        let request = client
            .get("/passkeys/sign-in")
            .header(Header::new("Accept-Language", language));
        page_of(request)
    };
    let german = get("de").await;
    assert!(german.contains("<h1>Willkommen zurück bei localhost</h1>"));
    assert!(
        german.contains(&on_screen("de", "sign-in-submit")),
        "the rest stays German"
    );
    let italian = get("it").await;
    assert_eq!(lang_dir(&italian).0, "it");
    assert!(italian.contains("<title>Accedi ·"));
    // What Italian lacks is English, never an id.
    assert!(italian.contains(&on_screen("en", "sign-in-submit")));
    assert!(italian.contains(">Italiano</a>"));
}

#[rocket::async_test]
async fn a_bad_locale_configuration_stops_the_launch_with_one_sentence() {
    let cases = [
        (
            "`passkeys.default_locale`",
            Config {
                default_locale: "ja".into(),
                locales: vec!["en".into(), "de".into()],
                ..config()
            },
        ),
        (
            "`passkeys.locales`",
            Config {
                locales: vec!["en".into(), "it".into()],
                ..config()
            },
        ),
        (
            "`passkeys.locales`",
            Config {
                locales: vec!["en".into(), "en_US".into()],
                ..config()
            },
        ),
    ];
    for (key, config) in cases {
        let sentence = config.validate().expect_err(key).to_string();
        assert!(sentence.starts_with(key), "{sentence}");
        assert!(!sentence.contains('\n'), "{sentence}");
        let dir = tempfile::tempdir().expect("temp dir");
        let launched =
            Client::untracked(rocket::custom(figment(&dir)).attach(Passkeys::custom(config))).await;
        match launched {
            Err(error) => assert!(
                matches!(error.kind(), rocket::error::ErrorKind::FailedFairings(_)),
                "{key}: {error}"
            ),
            Ok(_) => panic!("{key}: it launched"),
        }
    }
}

#[rocket::async_test]
async fn the_manage_screen_says_devices_and_passkeys_in_the_language() {
    let app = TestApp::new().await;
    let mut browser = app.browser();
    browser.user_agent =
        Some("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0".into());
    // Two header lines are one list: the second line's German is chosen.
    browser.accept_language = Some("zz".into());
    let answer = browser.sign_up("ada").await;
    assert_eq!(answer.status, Status::Ok, "{:?}", answer.body);
    let request = app
        .client
        .get("/passkeys/manage")
        .header(Header::new("Accept-Language", "zz"))
        .header(Header::new("Accept-Language", "de-CH"))
        .header(Header::new(
            "User-Agent",
            browser.user_agent.clone().unwrap_or_default(),
        ))
        .cookies(browser.jar());
    let html = request
        .dispatch()
        .await
        .into_string()
        .await
        .expect("a page");
    assert_eq!(lang_dir(&html).0, "de");
    assert!(
        html.contains("<strong data-session-device>Firefox unter Linux</strong>"),
        "the device in German"
    );
    assert!(
        html.contains(&on_screen("de", "manage-device-only"))
            || html.contains(&on_screen("de", "manage-synced")),
        "where the passkey is kept, in German"
    );
    assert!(!html.contains(" on Linux"), "no English left");
}
