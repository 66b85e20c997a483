//! Metrics, through the `metrics` facade: the app installs the exporter it wants
//! (Prometheus, StatsD, OpenTelemetry); without one, recording costs next to nothing.
//! Names follow Prometheus conventions (`_total` counters, `_seconds` histograms). The
//! README lists every metric with its labels.

use std::time::Duration;

use metrics::{counter, describe_counter, describe_histogram, histogram, Unit};

use crate::error::ErrorCode;
use crate::factor::Factor;

pub(crate) const STARTED: &str = "passkeys_ceremonies_started_total";
pub(crate) const FINISHED: &str = "passkeys_ceremonies_finished_total";
pub(crate) const FAILED: &str = "passkeys_ceremonies_failed_total";
pub(crate) const RATE_LIMITED: &str = "passkeys_requests_rate_limited_total";
pub(crate) const REFUSED: &str = "passkeys_requests_refused_total";
pub(crate) const SIGN_IN_SECONDS: &str = "passkeys_sign_in_duration_seconds";
pub(crate) const SESSIONS_OPENED: &str = "passkeys_sessions_opened_total";
pub(crate) const SESSIONS_ENDED: &str = "passkeys_sessions_ended_total";
pub(crate) const ENROLLMENT: &str = "passkeys_enrollment_total";
pub(crate) const RECOVERY: &str = "passkeys_recovery_attempts_total";

/// Describes every metric to the installed recorder (its `# HELP` lines).
pub(crate) fn describe() {
    describe_counter!(STARTED, "Passkey ceremonies started, by kind.");
    describe_counter!(FINISHED, "Passkey ceremonies finished, by kind.");
    describe_counter!(
        FAILED,
        "Passkey ceremonies that failed, by kind and error code."
    );
    describe_counter!(
        RATE_LIMITED,
        "Requests refused by the rate limits, by action."
    );
    describe_counter!(
        REFUSED,
        "Requests refused before any ceremony logic, by error code."
    );
    describe_histogram!(
        SIGN_IN_SECONDS,
        Unit::Seconds,
        "Time to verify and record a passkey sign-in (its finish), on the server."
    );
    describe_counter!(SESSIONS_OPENED, "Sessions opened, by how they signed in.");
    describe_counter!(SESSIONS_ENDED, "Sessions ended, by why.");
    describe_counter!(ENROLLMENT, "The passkey invitation, by step.");
    describe_counter!(RECOVERY, "Recovery code sign-ins, by outcome.");
}

/// A ceremony kind's label: `register` or `authenticate`.
pub(crate) fn started(kind: &'static str) {
    counter!(STARTED, "kind" => kind).increment(1);
}

/// A finished ceremony; a sign-in also records how long its finish took.
pub(crate) fn finished(kind: &'static str, took: Option<Duration>) {
    counter!(FINISHED, "kind" => kind).increment(1);
    if let Some(took) = took {
        histogram!(SIGN_IN_SECONDS).record(took.as_secs_f64());
    }
}

pub(crate) fn failed(kind: &'static str, code: ErrorCode) {
    counter!(FAILED, "kind" => kind, "reason" => code.as_str()).increment(1);
}

pub(crate) fn rate_limited(action: &'static str) {
    counter!(RATE_LIMITED, "action" => action).increment(1);
}

pub(crate) fn refused(code: ErrorCode) {
    counter!(REFUSED, "reason" => code.as_str()).increment(1);
}

/// A session opened with these factor bits: `method` is their names joined by `+`.
pub(crate) fn session_opened(factors: u32) {
    let method = Factor::from_bits(factors)
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join("+");
    counter!(SESSIONS_OPENED, "method" => method).increment(1);
}

/// `count` sessions ended: `sign_out`, `ended_by_user`, `ended_by_admin`, `recovery`,
/// `account_changed`, `passkey_deleted`, `expired`.
pub(crate) fn sessions_ended(reason: &'static str, count: u64) {
    if count > 0 {
        counter!(SESSIONS_ENDED, "reason" => reason).increment(count);
    }
}

/// `prompted`, `created`, `skipped`, `never`.
pub(crate) fn enrollment(step: &'static str) {
    counter!(ENROLLMENT, "step" => step).increment(1);
}

/// `used`, `failed`, `rate_limited`.
pub(crate) fn recovery(outcome: &'static str) {
    counter!(RECOVERY, "outcome" => outcome).increment(1);
}
