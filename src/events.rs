//! What happened, for the app: notifications, audit logs, risk scoring.
//!
//! Attach an [`Events`] implementation with `Passkeys::fairing().events(MyAudit)`. The
//! default logs every event at info (a suspected clone at warn). Events never carry
//! secrets: no cookies, tokens, challenges or keys.

/// An event of the passkey lifecycle. Ids are the app's user id and the credential id in
/// base64url.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A new account signed up with a passkey.
    SignedUp {
        /// The new account.
        user_id: String,
    },
    /// A passkey was added to an account (at sign-up too).
    PasskeyAdded {
        /// Its owner.
        user_id: String,
        /// The new passkey.
        credential_id: String,
        /// Its name, from the provider.
        name: String,
    },
    /// A passkey was renamed.
    PasskeyRenamed {
        /// Its owner.
        user_id: String,
        /// The passkey.
        credential_id: String,
        /// The new name.
        name: String,
    },
    /// A passkey was deleted.
    PasskeyRemoved {
        /// Its owner.
        user_id: String,
        /// The deleted passkey.
        credential_id: String,
    },
    /// A passkey signed its owner in.
    PasskeyUsed {
        /// Who signed in.
        user_id: String,
        /// With which passkey.
        credential_id: String,
    },
    /// A passkey sign-in was refused. `user_id` is known only when the credential is.
    SignInFailed {
        /// The account, when the refused credential belongs to one.
        user_id: Option<String>,
        /// Why, for the operator (never shown to the client).
        reason: String,
    },
    /// A passkey's signature counter did not go up: the key may have been copied.
    SuspectedClone {
        /// The owner.
        user_id: String,
        /// The passkey.
        credential_id: String,
        /// The counter stored from its last use.
        stored: u32,
        /// The counter it sent now.
        received: u32,
        /// Whether the sign-in was still allowed (`counter_policy`).
        allowed: bool,
    },
    /// Sessions of a user were ended before they expired: by the user on the manage
    /// screen or its JSON routes (`by` is `sign_out` or `user`), by the app's admin API
    /// (`admin`), or by a recovery (`recovery`). Sign-outs by the sign-out route are not
    /// reported here.
    SessionsEnded {
        /// Whose.
        user_id: String,
        /// How many.
        count: u64,
        /// `sign_out`, `user`, `admin` or `recovery`.
        by: &'static str,
    },
    /// An operator revoked a passkey through the admin API (also the account's last one,
    /// when asked to).
    PasskeyRevoked {
        /// Its owner.
        user_id: String,
        /// The revoked passkey.
        credential_id: String,
    },
    /// A recovery code signed its account in (every other session ended).
    RecoveryCodeUsed {
        /// The account.
        user_id: String,
        /// How many unused codes it has left.
        left: i64,
    },
    /// A recovery code was refused: a wrong or used code, an unknown name, an account
    /// without codes (emitted alike for all, so that its cost tells nothing).
    RecoveryFailed {
        /// The passkey-only account the username named, when it names one.
        user_id: Option<String>,
    },
    /// New recovery codes were made for an account (voiding the ones before).
    RecoveryCodesGenerated {
        /// The account.
        user_id: String,
    },
    /// The passkey invitation after another sign-in: shown, skipped, refused for good, or
    /// accepted.
    Enrollment {
        /// The user.
        user_id: String,
        /// `prompted`, `skipped`, `never` or `created`.
        what: &'static str,
    },
}

/// Receives [`Event`]s. Called inline after the change was stored: keep it quick, or hand
/// the event to a channel.
pub trait Events: Send + Sync + 'static {
    /// One event.
    fn event(&self, event: &Event);
}

/// The default: every event to the log, user-controlled text escaped.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogEvents;

impl Events for LogEvents {
    fn event(&self, event: &Event) {
        // Debug formatting escapes control characters, so names cannot forge log lines.
        match event {
            Event::SuspectedClone { .. }
            | Event::PasskeyRevoked { .. }
            | Event::RecoveryCodeUsed { .. }
            | Event::RecoveryFailed { .. } => log::warn!("passkeys event: {event:?}"),
            _ => log::info!("passkeys event: {event:?}"),
        }
    }
}
