//! The test kit of rocket_passkeys, and the home of its integration suites
//! (`testkit/tests/`).
//!
//! - [`app`]: a test app on a fresh database (SQLite, or PostgreSQL with
//!   `PASSKEYS_TEST_POSTGRES`), browsers with cookie jars and 1Password's `passkey`
//!   authenticator, and the app routes the suites call (a password sign-in, a second
//!   step, a password change, guarded routes).
//! - [`softkey`]: a hand-built P-256 authenticator that can be told to misbehave.
//! - [`webdriver`]: an example app as a child process, headless Chromium driven through
//!   chromedriver, and Chromium's virtual WebAuthn authenticator.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod app;
pub mod softkey;
pub mod webdriver;

pub use app::*;
