//! # rocket_passkeys
//!
//! Passkey (WebAuthn) sign-up and sign-in for any Rocket 0.5 app, as one fairing.
//!
//! ## Quickstart
//!
//! 1. Add the crate (and Rocket with its `secrets` feature) to `Cargo.toml`.
//! 2. Optionally set the domain in `Rocket.toml` (it defaults to `localhost`):
//!
//!    ```toml
//!    [default.passkeys]
//!    rp_id = "example.com"
//!    origins = ["https://example.com"]
//!    ```
//!
//! 3. Attach the fairing and guard a route:
//!
//!    ```rust,no_run
//!    use rocket::{get, launch, routes};
//!    use rocket_passkeys::{PasskeyUser, Passkeys};
//!
//!    #[get("/")]
//!    fn home(user: PasskeyUser) -> String {
//!        format!("Hello, {}", user.display_name())
//!    }
//!
//!    #[launch]
//!    fn rocket() -> _ {
//!        rocket::build()
//!            .attach(Passkeys::fairing())
//!            .mount("/", routes![home])
//!    }
//!    ```
//!
//! 4. Send people to `/passkeys/sign-up` and `/passkeys/sign-in`.
//!
//! ## Configuration
//!
//! See [`Config`]: every key of `[default.passkeys]`, with its default. A bad value stops
//! the launch with one sentence naming the key. Storage is configured under
//! `[default.databases.passkeys]` (rocket_db_pools); with no `url`, an embedded SQLite
//! file `passkeys.sqlite` is used.
//!
//! ## Security model
//!
//! webauthn-rs verifies the cryptography. A started ceremony costs the server nothing:
//! its challenge, kind, expiry and binding travel with the browser in a private cookie
//! (AES-256-GCM under Rocket's `secret_key`), and a verified finish records the
//! ceremony's id in the transaction of what it writes, so it finishes once, across
//! restarts and instances. The crate loads a discoverable credential by user handle
//! *and* credential id, keeps credential ids unique across accounts with a unique index,
//! issues a new session token on every sign-in (only its SHA-256 is stored), accepts
//! state-changing requests only as JSON from its own origins, and rate-limits every
//! ceremony per client address.
//!
//! The webauthn-rs feature `danger-allow-state-serialisation` is enabled to rebuild
//! webauthn-rs's ceremony state at finish with the sealed challenge (the serialised state
//! itself never leaves the server); `danger-credential-internals` because the counter and
//! backup flags are stored in their own columns and applied to the stored passkey.

#![deny(missing_docs)]
#![deny(missing_debug_implementations)]
#![forbid(unsafe_code)]
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounts;
mod admin;
mod base;
mod clock;
mod config;
mod cookies;
mod device;
mod error;
mod events;
mod factor;
mod fairing;
mod guards;
mod i18n;
mod input;
mod limit;
mod measure;
mod passkeys;
mod providers;
mod routes;
mod screens;
mod service;
mod store;

pub use accounts::{AccountError, Accounts, NewAccount};
pub use admin::{Admin, PasskeyInfo, SessionInfo};
pub use clock::{Clock, ManualClock, SystemClock};
pub use config::{AndroidApp, Config, ConfigError, CounterPolicy, Hints, Interval, RateLimit};
pub use error::{Error, ErrorCode};
pub use events::{Event, Events, LogEvents};
pub use factor::Factor;
pub use fairing::PasskeysFairing;
pub use guards::{MultiFactor, PasskeyUser, RecentSignIn};
pub use i18n::Locale;
pub use passkeys::{AppUser, Passkeys};
pub use routes::SameOrigin;
pub use service::enrollment::EnrollmentStats;

/// Whether `path` is a place this crate would send people: a local path (one leading
/// `/`) made only of what a URI may carry unescaped, at most 1024 bytes. The same rule as
/// every `next` the crate accepts; for the app's own redirects.
pub fn is_local_path(path: &str) -> bool {
    input::local_path(path).is_some()
}
pub use store::pool::{PasskeysConnection, PasskeysDb, PasskeysPool};

/// The sqlx the crate's pools are built with (`PasskeysPool::sqlite`,
/// `PasskeysPool::postgres`), for an app that keeps its own tables in the same
/// database: name its types as `rocket_passkeys::sqlx::…` and they always match.
pub use sqlx;
