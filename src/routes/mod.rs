//! HTTP only: guards for bodies and origins, the routes, and JSON catchers.

pub(crate) mod ceremonies;
pub(crate) mod enroll;
pub(crate) mod manage;
pub(crate) mod pages;
pub(crate) mod recovery;
pub(crate) mod sessions;

use std::net::IpAddr;

use rocket::data::{self, Data, FromData};
use rocket::http::Status;
use rocket::request::{self, FromRequest, Request};
use rocket::serde::DeserializeOwned;
use rocket::{catch, Catcher, Route};

use crate::error::{Error, ErrorCode};
use crate::i18n::Locale;
use crate::passkeys::Passkeys;

/// All routes, to mount under the configured path.
pub(crate) fn routes() -> Vec<Route> {
    let mut routes = ceremonies::routes();
    routes.extend(pages::routes());
    routes.extend(enroll::routes());
    routes.extend(manage::routes());
    routes.extend(sessions::routes());
    routes.extend(recovery::routes());
    routes
}

/// The well-known files, mounted at the root, each only when configured:
/// `/.well-known/webauthn` (related origins), `/.well-known/assetlinks.json` (Android
/// apps), `/.well-known/apple-app-site-association` (Apple apps).
pub(crate) fn well_known(settings: &crate::config::Settings) -> Vec<Route> {
    let mut routes = Vec::new();
    if !settings.related_origins.is_empty() {
        routes.extend(rocket::routes![related_origins]);
    }
    if !settings.android_apps.is_empty() {
        routes.extend(rocket::routes![asset_links]);
    }
    if !settings.apple_app_ids.is_empty() {
        routes.extend(rocket::routes![apple_app_site_association]);
    }
    routes
}

/// The Android apps that may use this site's passkeys (Digital Asset Links).
#[rocket::get("/.well-known/assetlinks.json")]
fn asset_links(passkeys: &Passkeys) -> rocket::serde::json::Json<serde_json::Value> {
    let statements: Vec<serde_json::Value> = passkeys
        .settings()
        .android_apps
        .iter()
        .map(|app| {
            serde_json::json!({
                // Sharing sign-in credentials only: no app links for the site's URLs.
                "relation": ["delegate_permission/common.get_login_creds"],
                "target": {
                    "namespace": "android_app",
                    "package_name": app.package_name,
                    "sha256_cert_fingerprints": app.sha256_cert_fingerprints,
                }
            })
        })
        .collect();
    rocket::serde::json::Json(serde_json::Value::Array(statements))
}

/// The Apple apps that may use this site's passkeys (associated domains, webcredentials).
#[rocket::get("/.well-known/apple-app-site-association")]
fn apple_app_site_association(passkeys: &Passkeys) -> rocket::serde::json::Json<serde_json::Value> {
    let apps = &passkeys.settings().apple_app_ids;
    rocket::serde::json::Json(serde_json::json!({ "webcredentials": { "apps": apps } }))
}

/// The origins that may use this rp id (WebAuthn related origins).
#[rocket::get("/.well-known/webauthn")]
fn related_origins(passkeys: &Passkeys) -> rocket::serde::json::Json<serde_json::Value> {
    let settings = &passkeys.settings();
    let origins: Vec<&str> = settings
        .origins
        .iter()
        .chain(&settings.related_origins)
        .map(|o| o.as_str().trim_end_matches('/'))
        .collect();
    rocket::serde::json::Json(serde_json::json!({ "origins": origins }))
}

/// JSON catchers for the mount path: no failure there answers HTML.
pub(crate) fn catchers() -> Vec<Catcher> {
    rocket::catchers![json_catcher]
}

#[catch(default)]
fn json_catcher(status: Status, _: &Request<'_>) -> Error {
    Error::coded(ErrorCode::for_status(status))
}

/// What an HTML route answers: the page, a redirect, or a JSON error.
#[derive(rocket::Responder)]
pub(crate) enum Screen {
    Page(rocket::response::content::RawHtml<String>),
    Redirect(Box<rocket::response::Redirect>),
    Failed(Error),
}

impl Screen {
    /// Sends a signed-out visitor to sign in, then back to `back` (a path under the mount).
    pub fn sign_in_first(passkeys: &Passkeys, back: &str) -> Screen {
        let mount = &passkeys.settings().mount;
        let back = format!("{mount}{back}");
        let to = format!(
            "{mount}/sign-in?next={}",
            rocket::http::RawStr::new(&back).percent_encode()
        );
        Screen::Redirect(Box::new(rocket::response::Redirect::to(to)))
    }

    /// A rendered template, or the render failure.
    pub fn render<T: serde::Serialize>(
        passkeys: &Passkeys,
        locale: &Locale,
        name: &str,
        data: &T,
    ) -> Screen {
        match passkeys.screens.render(name, locale, data) {
            Ok(html) => Screen::Page(rocket::response::content::RawHtml(html)),
            Err(message) => Screen::Failed(Error::internal().detail(message)),
        }
    }
}

/// A JSON request body: `application/json`, at most `body_limit`, sent within
/// `body_timeout`, parsed.
pub(crate) struct JsonBody<T>(pub T);

#[rocket::async_trait]
impl<'r, T: DeserializeOwned> FromData<'r> for JsonBody<T> {
    type Error = Error;

    async fn from_data(request: &'r Request<'_>, data: Data<'r>) -> data::Outcome<'r, Self> {
        let fail = |e: Error| {
            crate::measure::refused(e.code());
            data::Outcome::Error((e.code().status(), e))
        };
        let Some(passkeys) = request.rocket().state::<Passkeys>() else {
            return fail(Error::internal());
        };
        if !request.content_type().is_some_and(|ct| ct.is_json()) {
            return fail(
                Error::coded(ErrorCode::UnsupportedMediaType)
                    .detail("Send the body as JSON (Content-Type: application/json)."),
            );
        }
        let settings = &passkeys.settings();
        let limit = settings.body_limit;
        // A body trickled in byte by byte must not hold its connection for long.
        let read = data.open(limit).into_bytes();
        let bytes = match rocket::tokio::time::timeout(settings.body_timeout, read).await {
            Ok(Ok(bytes)) if bytes.is_complete() => bytes.into_inner(),
            Ok(Ok(_)) => {
                return fail(
                    Error::coded(ErrorCode::PayloadTooLarge)
                        .detail(format!("The body is larger than {limit}.")),
                )
            }
            Ok(Err(_)) => return fail(Error::invalid("The body could not be read.")),
            Err(_) => return fail(Error::coded(ErrorCode::RequestTimeout)),
        };
        match serde_json::from_slice(&bytes) {
            Ok(value) => data::Outcome::Success(JsonBody(value)),
            Err(e) => fail(Error::invalid(format!(
                "The body is not valid JSON here: {e}"
            ))),
        }
    }
}

/// A request guard for state-changing routes: the request came from one of the
/// configured origins (`passkeys.origins`), so no other site's form or script sent it.
///
/// Refuses (403 `forbidden`) a request whose `Origin` is not a configured origin, or
/// whose `Sec-Fetch-Site` says it came from another site. A request with neither header
/// is not from a browser page, so no cross-site form can have sent it. The crate's own
/// routes use it; use it on the app's own forms too (a password sign-in, a sign-up):
///
/// ```rust,no_run
/// # use rocket::post;
/// use rocket_passkeys::{Error, SameOrigin};
///
/// #[post("/login")]
/// fn login(same_origin: Result<SameOrigin, Error>) -> Result<&'static str, Error> {
///     same_origin?;
///     Ok("checked")
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct SameOrigin {
    pub(crate) client: Option<IpAddr>,
}

impl rocket::Sentinel for SameOrigin {
    fn abort(rocket: &rocket::Rocket<rocket::Ignite>) -> bool {
        crate::passkeys::missing_fairing(rocket)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SameOrigin {
    type Error = Error;

    async fn from_request(request: &'r Request<'_>) -> request::Outcome<Self, Error> {
        let fail = |_: &str| {
            let e = Error::say(ErrorCode::Forbidden, "error-other-site");
            crate::measure::refused(ErrorCode::Forbidden);
            request::Outcome::Error((Status::Forbidden, e))
        };
        let Some(passkeys) = request.rocket().state::<Passkeys>() else {
            return request::Outcome::Error((Status::InternalServerError, Error::internal()));
        };
        let settings = &passkeys.settings();
        if let Some(origin) = request.headers().get_one("Origin") {
            if !settings.is_our_origin(origin) {
                return fail("This request came from another site.");
            }
        }
        if let Some(site) = request.headers().get_one("Sec-Fetch-Site") {
            if !matches!(site, "same-origin" | "none") {
                return fail("This request came from another site.");
            }
        }
        match passkeys.limiter.client(request) {
            Ok(client) => request::Outcome::Success(SameOrigin { client }),
            Err(e) => request::Outcome::Error((e.code().status(), e)),
        }
    }
}
