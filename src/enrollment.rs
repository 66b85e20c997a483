//! Progressive enrollment: when a user who signed in another way is invited to create
//! a passkey, and what they answered. State lives in the store, never in the browser,
//! so it holds across devices and app instances.

use webauthn_rs::prelude::Uuid;

use crate::config::Settings;
use crate::error::StoreError;
use crate::events::{Event, Events};
use crate::session::may_add_passkey;
use crate::store::{EnrollmentEvent, EnrollmentRecord, Store, UserRecord};

/// Whether the invitation is due: the feature is on, the user has no passkey, has not
/// said never, and their last "Not now" is at least `remind_after` old.
pub(crate) fn due(
    settings: &Settings,
    record: &EnrollmentRecord,
    has_passkey: bool,
    now: i64,
) -> bool {
    settings.progressive_enrollment
        && !has_passkey
        && !record.never
        && record
            .skipped_at
            .is_none_or(|skipped| now - skipped >= settings.remind_after)
}

/// Whether this user should see the invitation now, in a session holding
/// `session_factors`: it is due, and the session may add a passkey (else the prompt waits
/// until the sign-in is complete, such as after a one-time code). Reads the store twice.
pub(crate) async fn is_due(
    settings: &Settings,
    store: &dyn Store,
    user: &UserRecord,
    session_factors: u32,
    now: i64,
) -> Result<bool, StoreError> {
    if !settings.progressive_enrollment {
        return Ok(false);
    }
    let has_passkey = !store.credentials(user.handle).await?.is_empty();
    if !may_add_passkey(session_factors, false, user.factors, has_passkey) {
        return Ok(false);
    }
    let record = store.enrollment(user.handle).await?;
    Ok(due(settings, &record, has_passkey, now))
}

/// Records an event, counts it, and tells the app's events hook.
pub(crate) async fn record(
    store: &dyn Store,
    events: &dyn Events,
    user: (Uuid, &str),
    event: EnrollmentEvent,
    now: i64,
) -> Result<(), StoreError> {
    store.record_enrollment(user.0, event, now).await?;
    events.event(&Event::Enrollment {
        user_id: user.1.to_string(),
        what: event.name(),
    });
    Ok(())
}

/// After a passkey is added: if the user had been invited and had not yet enrolled, the
/// invitation worked.
pub(crate) async fn passkey_added(
    store: &dyn Store,
    events: &dyn Events,
    user: (Uuid, &str),
    now: i64,
) -> Result<(), StoreError> {
    let state = store.enrollment(user.0).await?;
    if state.prompted_at.is_some() && state.enrolled_at.is_none() {
        record(store, events, user, EnrollmentEvent::Enrolled, now).await?;
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::panic)]
mod tests {
    use super::*;
    use crate::config::Config;

    const DAY: i64 = 86_400;

    fn settings(on: bool) -> Settings {
        let config = Config {
            progressive_enrollment: on,
            ..Config::default()
        };
        match config.settings(8000) {
            Ok(settings) => settings,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_due_rule() {
        let on = settings(true);
        let now = 1_000 * DAY;
        let fresh = EnrollmentRecord::default();
        assert!(due(&on, &fresh, false, now), "never asked: due");
        assert!(!due(&settings(false), &fresh, false, now), "feature off");
        assert!(!due(&on, &fresh, true, now), "has a passkey");
        let never = EnrollmentRecord {
            never: true,
            ..fresh.clone()
        };
        assert!(!due(&on, &never, false, now), "said never");
        let skipped = |days_ago: i64| EnrollmentRecord {
            skipped_at: Some(now - days_ago * DAY),
            ..fresh.clone()
        };
        assert!(!due(&on, &skipped(0), false, now), "just skipped");
        assert!(!due(&on, &skipped(13), false, now), "13 days after a skip");
        assert!(
            !due(&on, &skipped(14), false, now - 1),
            "a second short of 14 days"
        );
        assert!(due(&on, &skipped(14), false, now), "14 days after a skip");
    }
}
