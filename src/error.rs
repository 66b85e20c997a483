//! The crate's one error type and its HTTP face.
//!
//! Every failure of a passkey route answers JSON `{"error": code, "message": text}`.
//! The codes are stable: the README lists them and none ever changes meaning. The message
//! is in the request's language ([`crate::Locale`]); `detail`, when present, says in
//! English what exactly was wrong with a request, for its developer.

use std::fmt;
use std::io::Cursor;
use std::sync::OnceLock;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};

use crate::i18n::{self, Arg, Locale};
use crate::passkeys::Passkeys;

/// A stable error code of the HTTP API, with the status it answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 400: the body is not valid JSON, lacks a field, or a field is malformed.
    InvalidRequest,
    /// 413: the body is larger than the configured `body_limit`.
    PayloadTooLarge,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 408: the body did not arrive within `body_timeout`.
    RequestTimeout,
    /// 400: no started ceremony matches this browser: never started, already finished,
    /// expired, started by another browser, or of the other kind.
    CeremonyNotFound,
    /// 400: the authenticator's registration response failed verification.
    RegistrationFailed,
    /// 409: this credential is already registered (to this or another account).
    CredentialExists,
    /// 409: sign-up with a username that is already taken.
    UsernameTaken,
    /// 401: the sign-in failed. One code for every cause, so that it reveals nothing.
    AuthenticationFailed,
    /// 401: the route needs a signed-in user.
    Unauthorized,
    /// 403: the route needs a recent sign-in; sign in again and retry.
    ReauthRequired,
    /// 403: adding a passkey needs a session that holds every factor the account has
    /// (its one-time code too), or a passkey sign-in.
    FactorRequired,
    /// 403: the request came from another site (Origin / Sec-Fetch-Site), or the action is
    /// not allowed (sign-up disabled).
    Forbidden,
    /// 404: no such route or resource.
    NotFound,
    /// 409: the request conflicts with the account's state.
    Conflict,
    /// 409: deleting this passkey would leave the account with no way to sign in.
    LastPasskey,
    /// 409: the account has the most passkeys it may have (`max_passkeys`).
    TooManyPasskeys,
    /// 401: the recovery failed: an unknown username, a wrong or used code, or an account
    /// without codes (one answer for all).
    RecoveryFailed,
    /// 429: too many requests from this client; see `Retry-After`.
    RateLimited,
    /// 503: storage is unavailable or the server is at capacity; retry later.
    Unavailable,
    /// 500: a bug. Never the answer to bad input.
    Internal,
}

impl ErrorCode {
    /// The code as it appears in the JSON body.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::CeremonyNotFound => "ceremony_not_found",
            ErrorCode::RegistrationFailed => "registration_failed",
            ErrorCode::CredentialExists => "credential_exists",
            ErrorCode::UsernameTaken => "username_taken",
            ErrorCode::AuthenticationFailed => "authentication_failed",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::ReauthRequired => "reauth_required",
            ErrorCode::FactorRequired => "factor_required",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::RecoveryFailed => "recovery_failed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::LastPasskey => "last_passkey",
            ErrorCode::TooManyPasskeys => "too_many_passkeys",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
            ErrorCode::Internal => "internal",
        }
    }

    /// The HTTP status this code answers with.
    pub fn status(self) -> Status {
        match self {
            ErrorCode::InvalidRequest
            | ErrorCode::CeremonyNotFound
            | ErrorCode::RegistrationFailed => Status::BadRequest,
            ErrorCode::PayloadTooLarge => Status::PayloadTooLarge,
            ErrorCode::UnsupportedMediaType => Status::UnsupportedMediaType,
            ErrorCode::RequestTimeout => Status::RequestTimeout,
            ErrorCode::CredentialExists
            | ErrorCode::UsernameTaken
            | ErrorCode::Conflict
            | ErrorCode::LastPasskey
            | ErrorCode::TooManyPasskeys => Status::Conflict,
            ErrorCode::AuthenticationFailed
            | ErrorCode::Unauthorized
            | ErrorCode::RecoveryFailed => Status::Unauthorized,
            ErrorCode::ReauthRequired | ErrorCode::FactorRequired | ErrorCode::Forbidden => {
                Status::Forbidden
            }
            ErrorCode::NotFound => Status::NotFound,
            ErrorCode::RateLimited => Status::TooManyRequests,
            ErrorCode::Unavailable => Status::ServiceUnavailable,
            ErrorCode::Internal => Status::InternalServerError,
        }
    }

    /// The code that a catcher answers for a bare status.
    pub(crate) fn for_status(status: Status) -> ErrorCode {
        match status.code {
            400 | 422 => ErrorCode::InvalidRequest,
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 | 405 => ErrorCode::NotFound,
            408 => ErrorCode::RequestTimeout,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::PayloadTooLarge,
            415 => ErrorCode::UnsupportedMediaType,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Unavailable,
            _ => ErrorCode::Internal,
        }
    }

    /// The catalog's message for this code, when nothing more precise is said.
    pub(crate) fn message_id(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "error-invalid-request",
            ErrorCode::PayloadTooLarge => "error-payload-too-large",
            ErrorCode::UnsupportedMediaType => "error-unsupported-media-type",
            ErrorCode::RequestTimeout => "error-request-timeout",
            ErrorCode::CeremonyNotFound => "error-ceremony-not-found",
            ErrorCode::RegistrationFailed => "error-registration-failed",
            ErrorCode::CredentialExists => "error-credential-exists",
            ErrorCode::UsernameTaken => "error-username-taken",
            ErrorCode::AuthenticationFailed => "error-authentication-failed",
            ErrorCode::Unauthorized => "error-unauthorized",
            ErrorCode::ReauthRequired => "error-reauth-required",
            ErrorCode::FactorRequired => "error-factor-required",
            ErrorCode::Forbidden => "error-forbidden",
            ErrorCode::NotFound => "error-not-found",
            ErrorCode::RecoveryFailed => "error-recovery-failed",
            ErrorCode::Conflict => "error-conflict",
            ErrorCode::LastPasskey => "error-last-passkey",
            ErrorCode::TooManyPasskeys => "error-too-many-passkeys",
            ErrorCode::RateLimited => "error-rate-limited",
            ErrorCode::Unavailable => "error-unavailable",
            ErrorCode::Internal => "error-internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An API failure: a stable code, a sentence for people, and for 429/503 a retry hint.
///
/// As a Rocket [`Responder`] it answers the code's status with the JSON body
/// `{"error": code, "message": text}`: the crate's own sentences in the request's
/// language, an app's ([`Error::new`]) as the app wrote it.
#[derive(Debug, Clone)]
pub struct Error {
    code: ErrorCode,
    /// The sentence in English: an app's own or a detail as given, else the catalog
    /// message's, formatted when first asked for (most answers never need it).
    message: OnceLock<String>,
    /// The catalog message the answer says instead, in the request's language.
    localized: Option<(&'static str, Vec<(&'static str, Arg)>)>,
    /// What exactly was wrong, for developers (English).
    detail: Option<String>,
    retry_after: Option<u64>,
    unknown_credential: bool,
}

impl Error {
    /// An error with this code and sentence (the app's own words, answered as they are).
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: OnceLock::from(message.into()),
            localized: None,
            detail: None,
            retry_after: None,
            unknown_credential: false,
        }
    }

    /// An error saying the catalog message `id`.
    pub(crate) fn say(code: ErrorCode, id: &'static str) -> Self {
        Error {
            message: OnceLock::new(),
            localized: Some((id, Vec::new())),
            ..Error::new(code, String::new())
        }
    }

    /// The same with an argument of its message.
    pub(crate) fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Self {
        if let Some((_, args)) = &mut self.localized {
            args.push((name, value.into()));
        }
        self
    }

    /// An error with its code's own message.
    pub(crate) fn coded(code: ErrorCode) -> Self {
        Error::say(code, code.message_id())
    }

    /// The same, with what exactly was wrong, for developers.
    pub(crate) fn detail(mut self, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        self.message = OnceLock::from(detail.clone());
        self.detail = Some(detail);
        self
    }

    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The sentence in English: what the answer says in English, or the detail of an
    /// invalid request.
    pub fn message(&self) -> &str {
        self.message.get_or_init(|| match &self.localized {
            Some((id, args)) => i18n::english(id, args),
            None => String::new(),
        })
    }

    pub(crate) fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// Marks a sign-in failure whose credential this site does not know, so the
    /// browser script can tell the passkey provider (WebAuthn Signal API).
    pub(crate) fn unknown_credential(mut self) -> Self {
        self.unknown_credential = true;
        self
    }

    /// An invalid request: its code's message for people, `detail` for its developer.
    pub(crate) fn invalid(detail: impl Into<String>) -> Self {
        Error::coded(ErrorCode::InvalidRequest).detail(detail)
    }

    pub(crate) fn ceremony_not_found() -> Self {
        Error::coded(ErrorCode::CeremonyNotFound)
    }

    pub(crate) fn authentication_failed() -> Self {
        Error::coded(ErrorCode::AuthenticationFailed)
    }

    pub(crate) fn reauth_required() -> Self {
        Error::coded(ErrorCode::ReauthRequired)
    }

    pub(crate) fn too_many_passkeys(max: usize) -> Self {
        Error::coded(ErrorCode::TooManyPasskeys).arg("max", max)
    }

    pub(crate) fn factor_required() -> Self {
        Error::coded(ErrorCode::FactorRequired)
    }

    pub(crate) fn unauthorized() -> Self {
        Error::coded(ErrorCode::Unauthorized)
    }

    pub(crate) fn unavailable() -> Self {
        Error::coded(ErrorCode::Unavailable).retry_after(2)
    }

    pub(crate) fn internal() -> Self {
        Error::coded(ErrorCode::Internal)
    }

    /// The JSON body, with the message in `locale` (English without one).
    pub(crate) fn to_json(&self, passkeys: Option<(&Passkeys, &Locale)>) -> String {
        let message = match (&self.localized, passkeys) {
            (Some((id, args)), Some((passkeys, locale))) => {
                passkeys.screens.catalog.message(locale.index, id, args)
            }
            _ => self.message().to_string(),
        };
        let mut body = serde_json::json!({
            "error": self.code.as_str(),
            "message": message,
        });
        if let Some(detail) = &self.detail {
            body["detail"] = serde_json::Value::String(detail.clone());
        }
        if self.unknown_credential {
            body["unknown_credential"] = serde_json::Value::Bool(true);
        }
        body.to_string()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message())
    }
}

impl std::error::Error for Error {}

impl<'r> Responder<'r, 'static> for Error {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let passkeys = request.rocket().state::<Passkeys>();
        let body = self.to_json(passkeys.map(|p| (p, Locale::of(request, p))));
        let mut response = Response::build();
        response
            .status(self.code.status())
            .header(ContentType::JSON)
            .header(Header::new("Cache-Control", "no-store"))
            .sized_body(body.len(), Cursor::new(body));
        if let Some(seconds) = self.retry_after {
            response.header(Header::new("Retry-After", seconds.to_string()));
        }
        response.ok()
    }
}

/// A storage failure. Never shown to clients beyond `unavailable`.
#[derive(Debug, Clone)]
pub(crate) enum StoreError {
    /// A unique constraint refused the write (credential id, username).
    Duplicate(&'static str),
    /// The database could not be reached or failed.
    Backend(String),
    /// The account changed since the ceremony started; the ceremony is void.
    Stale,
    /// The ceremony was finished before: a finish answers once.
    Replayed,
    /// A sign-in whose counter had to go up found it already raised to it or beyond.
    Regressed,
    /// The account has the most passkeys it may have.
    TooMany(usize),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Duplicate(what) => write!(f, "duplicate {what}"),
            StoreError::Backend(e) => write!(f, "storage failure: {e}"),
            StoreError::Stale => write!(f, "the account changed since the ceremony started"),
            StoreError::Replayed => write!(f, "the ceremony was finished before"),
            StoreError::Regressed => write!(f, "the signature counter did not go up"),
            StoreError::TooMany(max) => write!(f, "the account has {max} passkeys already"),
        }
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate("credential") => Error::coded(ErrorCode::CredentialExists),
            StoreError::Duplicate("username") => Error::coded(ErrorCode::UsernameTaken),
            StoreError::Duplicate(_) => Error::coded(ErrorCode::Conflict),
            StoreError::Stale => {
                log::info!("passkeys: registration refused: the account changed since its start");
                Error::ceremony_not_found()
            }
            StoreError::Replayed => {
                log::info!("passkeys: a finish refused: its ceremony was finished before");
                Error::ceremony_not_found()
            }
            StoreError::Regressed => Error::authentication_failed(),
            StoreError::TooMany(max) => Error::too_many_passkeys(max),
            StoreError::Backend(e) => {
                log::error!("passkeys storage failure: {e}");
                Error::unavailable()
            }
        }
    }
}
