//! Who the users are: the crate's own accounts, or the app's.

use std::fmt;

/// A new account asked for by a passkey sign-up.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// The username the person chose (unique, compared without case).
    pub username: &'a str,
    /// The name to greet them with.
    pub display_name: &'a str,
}

/// Why the app could not create an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// The username is taken in the app's own records.
    UsernameTaken,
    /// The app refused or failed; the message is logged, never shown.
    Failed(String),
}

impl fmt::Display for AccountError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccountError::UsernameTaken => f.write_str("username taken"),
            AccountError::Failed(why) => write!(f, "account creation failed: {why}"),
        }
    }
}

impl std::error::Error for AccountError {}

/// The app's users, for apps that own them.
///
/// Passkeys-only apps need none of this: the crate keeps its own accounts (the user id is
/// the random user handle). An app with its own users implements `create` to make an
/// account when someone signs up with a passkey, and returns that account's id.
#[rocket::async_trait]
pub trait Accounts: Send + Sync + 'static {
    /// Creates the app's account for a passkey sign-up and returns its user id.
    ///
    /// Called after the passkey was verified and before it is stored. If storing then
    /// fails (a race on the same credential or username), [`Accounts::remove`] is called
    /// with the id returned here, so no account is left without its passkey.
    async fn create(&self, account: &NewAccount<'_>) -> Result<String, AccountError>;

    /// Undoes [`Accounts::create`] when the passkey could not be stored.
    async fn remove(&self, user_id: &str) -> Result<(), AccountError> {
        let _ = user_id;
        Ok(())
    }
}
