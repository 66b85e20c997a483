//! The domain: small services over one core (settings, store, clock, events). Routes and
//! guards translate HTTP into calls of these, and never reach the store themselves.
//!
//! - [`ceremonies`]: registration and sign-in, start and finish.
//! - [`recovery`]: recovery codes of passkey-only accounts.
//! - [`enrollment`]: the invitation to create a passkey, and its answers.
//! - [`management`]: who may change an account's passkeys; listing, renaming, deleting.
//! - [`admin`]: what an operator may do to any account.
//! - [`sessions`]: who is signed in and how; opening, listing, ending sessions.
//!
//! Each depends only on the ones listed after it, and on the core.

pub(crate) mod admin;
pub(crate) mod ceremonies;
pub(crate) mod enrollment;
pub(crate) mod management;
pub(crate) mod recovery;
pub(crate) mod sessions;
