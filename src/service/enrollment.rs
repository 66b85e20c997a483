//! Progressive enrollment: when a user who signed in another way is invited to create
//! a passkey, and what they answered. State lives in the store, never in the browser,
//! so it holds across devices and app instances. The invitation is counted as prompted
//! where the app's own sign-in sends the user to it, never on a page view.

use std::sync::Arc;

use webauthn_rs::prelude::Uuid;

use crate::base::Core;
use crate::config::Settings;
use crate::error::{Error, ErrorCode};
use crate::events::Event;
use crate::factor::may_add_passkey;
use crate::input::Next;
use crate::service::management::Management;
use crate::store::{EnrollmentEvent, EnrollmentRecord, SessionRecord, UserRecord};

/// How progressive enrollment is doing, for operators.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EnrollmentStats {
    /// How often a sign-in sent a user to the invitation.
    pub prompted: u64,
    /// Passkeys created by users who had been shown the invitation.
    pub created: u64,
    /// "Not now" answers.
    pub skipped: u64,
    /// "Don't ask again" answers.
    pub never: u64,
}

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

/// Whether the offer of a passkey on this device is due after a sign-in with a passkey
/// of another device: the same rules as the invitation, whatever passkeys the account
/// has elsewhere.
pub(crate) fn due_here(settings: &Settings, record: &EnrollmentRecord, now: i64) -> bool {
    due(settings, record, false, now)
}

/// Where a sign-in goes, and whether the page there should try an automatic upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Landing {
    pub to: String,
    pub upgrade: bool,
}

#[derive(Debug)]
pub(crate) struct Enrollment {
    core: Arc<Core>,
    management: Arc<Management>,
}

impl Enrollment {
    pub fn new(core: Arc<Core>, management: Arc<Management>) -> Self {
        Enrollment { core, management }
    }

    /// Whether `user`, in a session holding `session_factors` (a sign-in by the app),
    /// should see the invitation now: it is due, and the session may add a passkey (else
    /// the prompt waits until the sign-in is complete, such as after a one-time code).
    async fn is_due(&self, user: &UserRecord, session_factors: u32) -> Result<bool, Error> {
        let settings = self.core.settings();
        if !settings.progressive_enrollment {
            return Ok(false);
        }
        let has_passkey = !self.management.list(user.handle).await?.is_empty();
        if !may_add_passkey(session_factors, false, user.factors, has_passkey) {
            return Ok(false);
        }
        let record = self.core.store().enrollment(user.handle).await?;
        Ok(due(settings, &record, has_passkey, self.core.now()))
    }

    /// Where an app sign-in goes next: the invitation when it is due (counted as
    /// prompted here), else `next`. With `auto_upgrade`, a due invitation goes to `next`
    /// too, marked for the page's script to try an automatic upgrade first (and to show
    /// the invitation where the browser cannot).
    pub async fn after_sign_in(
        &self,
        user: &UserRecord,
        session_factors: u32,
        next: Next,
    ) -> Result<Landing, Error> {
        if !self.is_due(user, session_factors).await? {
            return Ok(Landing {
                to: next.into_string(),
                upgrade: false,
            });
        }
        self.record((user.handle, &user.user_id), EnrollmentEvent::Prompted)
            .await?;
        if self.core.settings().auto_upgrade {
            return Ok(Landing {
                to: next.into_string(),
                upgrade: true,
            });
        }
        Ok(Landing {
            to: format!("{}/enroll{}", self.core.settings().mount, next.query()),
            upgrade: false,
        })
    }

    /// Whether this session may make a conditional registration (an automatic upgrade):
    /// `auto_upgrade` is on, the session signed in another way than a passkey, and the
    /// invitation is due for it (so not after "Don't ask again", nor for an account that
    /// has a passkey). The one registration that may lack user presence is offered no
    /// more widely than the invitation it replaces.
    pub async fn upgrade_due(&self, session: &SessionRecord) -> Result<bool, Error> {
        let passkey_session = session.factors & crate::factor::Factor::Passkey.bit() != 0;
        if !self.core.settings().auto_upgrade || passkey_session {
            return Ok(false);
        }
        self.is_due(&session.user, session.factors).await
    }

    /// Where a passkey sign-in from another device (a phone) goes: the offer to create a
    /// passkey on this device when it is due (counted as prompted), else `next`. A
    /// failure to read or count is logged, and the sign-in goes on to `next`.
    pub async fn after_cross_device_sign_in(&self, user: (Uuid, &str), next: String) -> String {
        let settings = self.core.settings();
        let offer = async {
            let record = self.core.store().enrollment(user.0).await?;
            if !due_here(settings, &record, self.core.now()) {
                return Ok::<_, Error>(None);
            }
            self.record(user, EnrollmentEvent::Prompted).await?;
            let query = Next::lenient(Some(&next), &settings.after_sign_in).query();
            Ok(Some(format!("{}/enroll/here{query}", settings.mount)))
        };
        match offer.await {
            Ok(Some(to)) => to,
            Ok(None) => next,
            Err(e) => {
                log::warn!(
                    "passkeys: could not offer a passkey on this device: {}",
                    e.message()
                );
                next
            }
        }
    }

    /// Whether the prompt page shows itself to this session: it may add a passkey and
    /// has none. The page changes nothing.
    pub async fn shows_prompt(&self, session: &SessionRecord) -> Result<bool, Error> {
        let has_passkey = !self.management.list(session.user.handle).await?.is_empty();
        let may = may_add_passkey(
            session.factors,
            session.user_verified,
            session.user.factors,
            has_passkey,
        );
        Ok(may && !has_passkey)
    }

    /// "Not now" or "Don't ask again", from a session that may change the account's
    /// passkeys.
    pub async fn answer(
        &self,
        session: &SessionRecord,
        event: EnrollmentEvent,
    ) -> Result<(), Error> {
        self.management.may_change(session).await?;
        if event == EnrollmentEvent::Never && !self.core.settings().allow_never_prompt {
            return Err(Error::say(ErrorCode::Forbidden, "error-never-not-offered"));
        }
        self.record((session.user.handle, &session.user.user_id), event)
            .await
    }

    /// After a passkey is added: if the user had been invited and had not yet enrolled,
    /// the invitation worked. Counting is secondary: a failure is logged, not answered.
    pub async fn passkey_added(&self, user: (Uuid, &str)) {
        let counted = async {
            let state = self.core.store().enrollment(user.0).await?;
            if state.prompted_at.is_some() && state.enrolled_at.is_none() {
                self.record(user, EnrollmentEvent::Enrolled).await?;
            }
            Ok::<_, Error>(())
        };
        if let Err(e) = counted.await {
            log::warn!("passkeys: could not count an enrollment: {}", e.message());
        }
    }

    /// Records an event, counts it, and tells the app's events hook.
    async fn record(&self, user: (Uuid, &str), event: EnrollmentEvent) -> Result<(), Error> {
        self.core
            .store()
            .record_enrollment(user.0, event, self.core.now())
            .await?;
        crate::measure::enrollment(event.name());
        self.core.event(Event::Enrollment {
            user_id: user.1.to_string(),
            what: event.name(),
        });
        Ok(())
    }

    /// The counters, across instances.
    pub async fn stats(&self) -> Result<EnrollmentStats, Error> {
        let mut stats = EnrollmentStats::default();
        for (name, value) in self.core.store().counters().await? {
            let value = value.max(0) as u64;
            match name.as_str() {
                n if n == EnrollmentEvent::Prompted.counter() => stats.prompted = value,
                n if n == EnrollmentEvent::Enrolled.counter() => stats.created = value,
                n if n == EnrollmentEvent::Skipped.counter() => stats.skipped = value,
                n if n == EnrollmentEvent::Never.counter() => stats.never = value,
                _ => {}
            }
        }
        Ok(stats)
    }
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
