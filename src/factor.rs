//! The factors a session holds, and the rules that follow from them: what counts as two
//! factors, and which sessions may change an account's passkeys.

/// How a session was opened. Stored as bits, so one session can hold several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Factor {
    /// A passkey. With user verification (always required by this crate) it is also
    /// something the user is or knows, so it counts as two factors.
    Passkey,
    /// A password the app checked.
    Password,
    /// A one-time code (TOTP, SMS, email code) the app checked.
    OneTimeCode,
    /// A link sent to the user's email that the app checked.
    EmailLink,
    /// A sign-in through another identity provider (OAuth, OpenID Connect, SAML).
    External,
    /// A single-use recovery code of a passkey-only account (`recovery_codes`): one
    /// factor, enough to create a new passkey and nothing more.
    RecoveryCode,
}

impl Factor {
    pub(crate) const ALL: [Factor; 6] = [
        Factor::Passkey,
        Factor::Password,
        Factor::OneTimeCode,
        Factor::EmailLink,
        Factor::External,
        Factor::RecoveryCode,
    ];

    /// Its name in JSON, events and metrics: `passkey`, `password`, `one_time_code`,
    /// `email_link`, `external`, `recovery_code`.
    pub fn name(self) -> &'static str {
        match self {
            Factor::Passkey => "passkey",
            Factor::Password => "password",
            Factor::OneTimeCode => "one_time_code",
            Factor::EmailLink => "email_link",
            Factor::External => "external",
            Factor::RecoveryCode => "recovery_code",
        }
    }

    pub(crate) fn bit(self) -> u32 {
        match self {
            Factor::Passkey => 1,
            Factor::Password => 2,
            Factor::OneTimeCode => 4,
            Factor::EmailLink => 8,
            Factor::External => 16,
            Factor::RecoveryCode => 32,
        }
    }

    pub(crate) fn bits(factors: &[Factor]) -> u32 {
        factors.iter().fold(0, |bits, f| bits | f.bit())
    }

    pub(crate) fn from_bits(bits: u32) -> Vec<Factor> {
        Factor::ALL
            .into_iter()
            .filter(|f| bits & f.bit() != 0)
            .collect()
    }
}

/// Whether a session holds two factors: a passkey with user verification (something
/// the user has, unlocked by something they are or know), or two different factors.
pub(crate) fn is_multi_factor(session_factors: u32, user_verified: bool) -> bool {
    let passkey = session_factors & Factor::Passkey.bit() != 0;
    (passkey && user_verified) || session_factors.count_ones() >= 2
}

/// Whether a session may add a passkey to its account. A passkey signs in with two
/// factors, so binding one needs a session at that level (NIST SP 800-63B, binding an
/// additional authenticator: authenticated at the assurance level it will grant), or
/// at least every factor the account has: `account_factors` as the app reported them,
/// and a passkey when it has one. A password-only account without passkeys may add one
/// after its password; an account with a one-time code or a passkey needs that too.
pub(crate) fn may_add_passkey(
    session_factors: u32,
    user_verified: bool,
    account_factors: u32,
    has_passkeys: bool,
) -> bool {
    // A recovery code is how a passkey-only account gets a new passkey.
    let recovering = session_factors & Factor::RecoveryCode.bit() != 0 && account_factors == 0;
    recovering
        || may_change_account(
            session_factors,
            user_verified,
            account_factors,
            has_passkeys,
        )
}

/// Whether a session may change what protects its account beyond adding a passkey:
/// rename or delete a passkey, answer the invitation, make new recovery codes, see and
/// end its other sessions. The rule of [`may_add_passkey`] without the recovery code: a
/// session opened by one (stolen) code may add a passkey, and then sign in with it to do
/// the rest, but cannot delete the owner's passkeys or codes with the code alone.
pub(crate) fn may_change_account(
    session_factors: u32,
    user_verified: bool,
    account_factors: u32,
    has_passkeys: bool,
) -> bool {
    if is_multi_factor(session_factors, user_verified) {
        return true;
    }
    let passkey = if has_passkeys {
        Factor::Passkey.bit()
    } else {
        0
    };
    let required = account_factors | passkey;
    session_factors != 0 && required & !session_factors == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_add_a_passkey() {
        let bits = |f: &[Factor]| Factor::bits(f);
        let password = bits(&[Factor::Password]);
        let totp = bits(&[Factor::Password, Factor::OneTimeCode]);
        let passkey = bits(&[Factor::Passkey]);
        // (session, verified, account, has passkeys) -> may add
        for (session, verified, account, has, may) in [
            (password, false, password, false, true),
            (password, false, 0, false, true),
            (password, false, totp, false, false),
            (password, false, password, true, false),
            (totp, false, totp, true, true),
            (passkey, true, totp, true, true),
            (passkey, false, 0, true, true),
            (bits(&[Factor::EmailLink]), false, password, false, false),
            (0, false, 0, false, false),
            (bits(&[Factor::RecoveryCode]), false, 0, true, true),
            (bits(&[Factor::RecoveryCode]), false, password, true, false),
            (bits(&[Factor::RecoveryCode]), false, totp, false, false),
        ] {
            let recovering = session & Factor::RecoveryCode.bit() != 0;
            assert_eq!(
                may_change_account(session, verified, account, has),
                may && !recovering,
                "changes: {:?} verified={verified}",
                Factor::from_bits(session)
            );
            assert_eq!(
                may_add_passkey(session, verified, account, has),
                may,
                "{:?} verified={verified} account={:?} passkeys={has}",
                Factor::from_bits(session),
                Factor::from_bits(account)
            );
        }
    }
}
