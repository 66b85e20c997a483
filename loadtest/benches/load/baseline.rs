//! The baseline: a minimal hand-written axum + webauthn-rs 0.6.2 server speaking the same
//! HTTP contract as far as the load tool needs. Everything lives in memory (pending
//! ceremonies in a `Mutex<HashMap>` keyed by a cookie id, users, passkeys and sessions in
//! maps); no rate limit, no durable storage, no encrypted cookies. It runs in its own
//! process (`load --serve-baseline PORT`) so its CPU time can be read from /proc.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::header::{COOKIE, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyAuthentication, PasskeyRegistration,
    PublicKeyCredential, RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

const REGISTRATION: &str = "passkeys_registration";
const SIGN_IN: &str = "passkeys_sign_in";
const SESSION: &str = "passkeys_session";

enum Pending {
    Register {
        handle: Uuid,
        username: String,
        state: PasskeyRegistration,
    },
    Authenticate {
        handle: Uuid,
        state: PasskeyAuthentication,
    },
    Discoverable {
        state: DiscoverableAuthentication,
    },
}

#[derive(Default)]
struct Accounts {
    /// Lowercased username -> user handle.
    by_name: HashMap<String, Uuid>,
    passkeys: HashMap<Uuid, Vec<Passkey>>,
}

struct App {
    webauthn: Webauthn,
    origin: String,
    pending: Mutex<HashMap<[u8; 16], Pending>>,
    accounts: Mutex<Accounts>,
    /// SHA-256 of the session token -> user handle.
    sessions: Mutex<HashMap<[u8; 32], Uuid>>,
}

type Shared = State<Arc<App>>;

fn error(status: StatusCode, code: &str) -> Response {
    let body = json!({ "error": code, "message": code });
    (status, Json(body)).into_response()
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
}

fn decode<const N: usize>(value: &str) -> Option<[u8; N]> {
    URL_SAFE_NO_PAD.decode(value).ok()?.try_into().ok()
}

fn set_cookie(response: &mut Response, value: String) {
    let value = HeaderValue::from_str(&value).expect("cookie header");
    response.headers_mut().append(SET_COOKIE, value);
}

fn ceremony_cookie(name: &str, id: &[u8; 16]) -> String {
    format!(
        "{name}={}; Path=/passkeys; HttpOnly; SameSite=Strict; Max-Age=300",
        URL_SAFE_NO_PAD.encode(id)
    )
}

fn removal(name: &str) -> String {
    format!("{name}=; Path=/passkeys; Max-Age=0")
}

impl App {
    fn same_origin(&self, headers: &HeaderMap) -> bool {
        headers
            .get(ORIGIN)
            .is_none_or(|o| o.as_bytes() == self.origin.as_bytes())
    }

    fn remember(&self, pending: Pending) -> [u8; 16] {
        let id: [u8; 16] = rand::random();
        self.pending.lock().unwrap().insert(id, pending);
        id
    }

    fn take(&self, headers: &HeaderMap, name: &str) -> Option<Pending> {
        let id = decode::<16>(cookie(headers, name)?)?;
        self.pending.lock().unwrap().remove(&id)
    }

    /// A new session for `handle`, replacing the one the browser holds, and the answer.
    fn signed_in(&self, headers: &HeaderMap, handle: Uuid, ceremony: &str) -> Response {
        let token: [u8; 32] = rand::random();
        let hash: [u8; 32] = Sha256::digest(token).into();
        let old = cookie(headers, SESSION)
            .and_then(decode::<32>)
            .map(|t| -> [u8; 32] { Sha256::digest(t).into() });
        {
            let mut sessions = self.sessions.lock().unwrap();
            if let Some(old) = old {
                sessions.remove(&old);
            }
            sessions.insert(hash, handle);
        }
        let mut response = Json(json!({ "redirect": "/" })).into_response();
        set_cookie(&mut response, removal(ceremony));
        set_cookie(
            &mut response,
            format!(
                "{SESSION}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400",
                URL_SAFE_NO_PAD.encode(token)
            ),
        );
        response
    }
}

#[derive(Deserialize)]
struct RegisterStart {
    username: String,
    display_name: Option<String>,
}

async fn register_start(
    State(app): Shared,
    headers: HeaderMap,
    Json(body): Json<RegisterStart>,
) -> Response {
    if !app.same_origin(&headers) {
        return error(StatusCode::FORBIDDEN, "forbidden");
    }
    let username = body.username.trim().to_string();
    if username.is_empty() {
        return error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    if app
        .accounts
        .lock()
        .unwrap()
        .by_name
        .contains_key(&username.to_lowercase())
    {
        return error(StatusCode::CONFLICT, "username_taken");
    }
    let display_name = body.display_name.unwrap_or_else(|| username.clone());
    let handle = Uuid::new_v4();
    let Ok((mut options, state)) =
        app.webauthn
            .start_passkey_registration(handle, &username, &display_name, None)
    else {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "internal");
    };
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    let id = app.remember(Pending::Register {
        handle,
        username,
        state,
    });
    let mut response = Json(options).into_response();
    set_cookie(&mut response, ceremony_cookie(REGISTRATION, &id));
    response
}

async fn register_finish(
    State(app): Shared,
    headers: HeaderMap,
    Json(credential): Json<RegisterPublicKeyCredential>,
) -> Response {
    if !app.same_origin(&headers) {
        return error(StatusCode::FORBIDDEN, "forbidden");
    }
    let Some(Pending::Register {
        handle,
        username,
        state,
    }) = app.take(&headers, REGISTRATION)
    else {
        return error(StatusCode::BAD_REQUEST, "ceremony_not_found");
    };
    let Ok(passkey) = app
        .webauthn
        .finish_passkey_registration(&credential, &state)
    else {
        return error(StatusCode::BAD_REQUEST, "registration_failed");
    };
    {
        let mut accounts = app.accounts.lock().unwrap();
        let key = username.to_lowercase();
        if accounts.by_name.contains_key(&key) {
            return error(StatusCode::CONFLICT, "username_taken");
        }
        accounts.by_name.insert(key, handle);
        accounts.passkeys.insert(handle, vec![passkey]);
    }
    app.signed_in(&headers, handle, REGISTRATION)
}

#[derive(Deserialize)]
struct AuthenticateStart {
    username: Option<String>,
}

async fn authenticate_start(
    State(app): Shared,
    headers: HeaderMap,
    Json(body): Json<AuthenticateStart>,
) -> Response {
    if !app.same_origin(&headers) {
        return error(StatusCode::FORBIDDEN, "forbidden");
    }
    let (options, pending) = match body.username {
        None => match app.webauthn.start_discoverable_authentication() {
            Ok((options, state)) => (options, Pending::Discoverable { state }),
            Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        },
        Some(username) => {
            let found = {
                let accounts = app.accounts.lock().unwrap();
                accounts
                    .by_name
                    .get(&username.trim().to_lowercase())
                    .and_then(|h| Some((*h, accounts.passkeys.get(h)?.clone())))
            };
            let Some((handle, passkeys)) = found else {
                return error(StatusCode::UNAUTHORIZED, "authentication_failed");
            };
            match app.webauthn.start_passkey_authentication(&passkeys) {
                Ok((options, state)) => (options, Pending::Authenticate { handle, state }),
                Err(_) => return error(StatusCode::INTERNAL_SERVER_ERROR, "internal"),
            }
        }
    };
    let id = app.remember(pending);
    let mut response = Json(options).into_response();
    set_cookie(&mut response, ceremony_cookie(SIGN_IN, &id));
    response
}

async fn authenticate_finish(
    State(app): Shared,
    headers: HeaderMap,
    Json(credential): Json<PublicKeyCredential>,
) -> Response {
    let refused = || error(StatusCode::UNAUTHORIZED, "authentication_failed");
    if !app.same_origin(&headers) {
        return error(StatusCode::FORBIDDEN, "forbidden");
    }
    let (handle, result) = match app.take(&headers, SIGN_IN) {
        Some(Pending::Discoverable { state }) => {
            let Ok((handle, credential_id)) = app
                .webauthn
                .identify_discoverable_authentication(&credential)
            else {
                return refused();
            };
            // Looked up by user handle and credential id.
            let passkey = app
                .accounts
                .lock()
                .unwrap()
                .passkeys
                .get(&handle)
                .and_then(|keys| keys.iter().find(|k| k.cred_id()[..] == *credential_id))
                .cloned();
            let Some(passkey) = passkey else {
                return refused();
            };
            match app
                .webauthn
                .finish_discoverable_authentication_v2(&credential, state, &passkey)
            {
                Ok(result) => (handle, result),
                Err(_) => return refused(),
            }
        }
        Some(Pending::Authenticate { handle, state }) => {
            if let Some(user_handle) = credential.get_user_unique_id() {
                if user_handle != handle.as_bytes() {
                    return refused();
                }
            }
            match app
                .webauthn
                .finish_passkey_authentication(&credential, &state)
            {
                Ok(result) => (handle, result),
                Err(_) => return refused(),
            }
        }
        _ => return error(StatusCode::BAD_REQUEST, "ceremony_not_found"),
    };
    if !result.user_verified() {
        return refused();
    }
    {
        let mut accounts = app.accounts.lock().unwrap();
        let Some(keys) = accounts.passkeys.get_mut(&handle) else {
            return refused();
        };
        for key in keys.iter_mut() {
            key.update_credential(&result);
        }
    }
    app.signed_in(&headers, handle, SIGN_IN)
}

/// Serves the baseline on `127.0.0.1:port` until killed.
pub fn serve(port: u16) {
    let origin = format!("http://localhost:{port}");
    let url = Url::parse(&origin).expect("origin");
    let webauthn = WebauthnBuilder::new("localhost", &url)
        .expect("webauthn")
        .rp_name("localhost")
        .build()
        .expect("webauthn");
    let app = Arc::new(App {
        webauthn,
        origin,
        pending: Mutex::new(HashMap::new()),
        accounts: Mutex::new(Accounts::default()),
        sessions: Mutex::new(HashMap::new()),
    });
    let router = Router::new()
        .route("/passkeys/register/start", post(register_start))
        .route("/passkeys/register/finish", post(register_finish))
        .route("/passkeys/authenticate/start", post(authenticate_start))
        .route("/passkeys/authenticate/finish", post(authenticate_finish))
        .with_state(app);
    // Worker threads default to the CPUs this process may run on, as Rocket's do.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        use axum::serve::ListenerExt;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind the baseline port")
            // Rocket disables Nagle on its connections; so does the baseline.
            .tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
        axum::serve(listener, router).await.expect("serve");
    });
}
