# rocket_passkeys: every sentence the crate shows a person, in English.
#
# Each shipped locale has a file like this one, with the same message ids. An app adds
# a locale or replaces single messages with its own `<locales_dir>/<tag>.ftl`; a message
# missing there falls back to English.
#
# Variables: { $site } is the site's name (`rp_name`), { $name } a user's own words.

## The locale itself, as its speakers write it (the language menu shows it).
language-name = English

## Every screen
layout-language = Language
layout-noscript = Passkeys need JavaScript. Please turn it on for this site.
optional = (optional)

## Sign-in screen
sign-in-title = Sign in
sign-in-heading = Sign in to { $site }
sign-in-username = Username
sign-in-username-hint = You can leave this blank and pick your passkey.
sign-in-submit = Sign in with a passkey
sign-in-lost = Lost every device with your passkey?
sign-in-recover = Use a recovery code
sign-in-new = New here?
sign-in-sign-up = Create an account

## Sign-up screen
sign-up-title = Create your account
sign-up-lead = Your account on { $site } uses a passkey instead of a password.
sign-up-username = Username
sign-up-display-name = Display name
sign-up-display-name-hint = How you would like your name shown.
sign-up-submit = Create account with a passkey
sign-up-about-title = What is a passkey?
sign-up-about =
    A passkey lets you sign in without a password. You unlock it the same way you
    unlock your device: with its screen lock, your fingerprint or your face. Your
    password manager keeps it in sync across your devices, and it only works on this
    site, so nobody can trick you into giving it away.
sign-up-have-account = Already have an account?
sign-up-sign-in = Sign in

## The "create a passkey?" prompt
enroll-title = Create a passkey?
enroll-heading = Sign in faster with a passkey
enroll-lead = You can sign in to { $site } without typing your password.
enroll-here-heading = Create a passkey on this device?
enroll-here-lead =
    You signed in with a passkey from another device. With one on this device too,
    you can sign in to { $site } here without it.
enroll-about-title = What is a passkey?
enroll-about =
    A passkey is unlocked the same way you unlock your device: with its screen lock,
    your fingerprint or your face. Your password manager keeps it in sync across your
    devices. It only works on this site, so nobody can trick you into giving it away,
    and it counts as both steps of a two-step sign-in.
enroll-create = Create a passkey
enroll-skip = Not now
enroll-never = Don't ask again
enroll-later = You can create a passkey later from your account settings.

## Recovery screen
recover-title = Recover your account
recover-lead =
    Lost every device with your passkey? Sign in with one of the recovery codes you
    saved when you created your account. Each code works once.
recover-username = Username
recover-code = Recovery code
# { $example } is a made-up code, shown as is.
recover-code-hint = Like { $example }. Dashes and case do not matter.
recover-submit = Sign in with a recovery code
recover-after =
    Signing in with a code signs you out everywhere else. Then create a new passkey
    on this device.
recover-back = Back to sign-in

## Recovery codes, shown once
codes-title = Save your recovery codes
codes-lead =
    If you lose every device with your passkey, each of these codes signs you in once,
    so that you can create a new passkey. Keep them somewhere safe, such as your
    password manager or a printout. They are shown only now.
codes-saved = I have saved these codes

## Passkey management screen
manage-title = Your passkeys
# { $name } is the display name; { $username } follows it when it differs.
manage-signed-in-as = Signed in as { $name }
manage-signed-in-as-username = Signed in as { $name } ({ $username })
manage-recovered =
    You signed in with a recovery code and every other session has ended. Create a
    new passkey on this device now, and delete the passkeys you lost.
manage-passkeys = Passkeys
manage-name = Name
manage-synced = Synced across your devices
manage-device-only = On this device only
# The provider of a passkey whose provider is unknown.
manage-provider-unknown = Passkey
manage-created = Created { $date }
manage-last-used = Last used { $date }
manage-never-used = Never used
manage-rename = Rename
manage-delete = Delete
manage-none = You have no passkeys yet.
manage-add = Add a passkey
manage-factor-required =
    To add, rename or delete passkeys, finish signing in first (your account has
    another step, such as a code from an authenticator app).
manage-delete-note =
    Deleting a passkey here does not remove it from your device or password manager;
    browsers that support it are told to forget it.
manage-recovery-title = Recovery codes
# { $left } of { $total } codes are still unused.
manage-recovery-left =
    { $left ->
        [one] { $left } of { $total } codes unused. Each signs you in once if you lose every passkey.
       *[other] { $left } of { $total } codes unused. Each signs you in once if you lose every passkey.
    }
manage-recovery-new = Make new codes
manage-recovery-note = New codes replace the old ones, which stop working.

## Sessions, on the management screen
sessions-title = Where you're signed in
sessions-unknown-device = A device not seen since it signed in
# A session's device: { $browser } and { $os } are names such as Firefox and Linux.
session-device = { $browser } on { $os }
session-device-os = A browser on { $os }
session-device-unknown = Unknown device
sessions-this-device = This device
# { $method } is one of the session-method-* phrases below; { $date } when it signed in.
sessions-signed-in-with = Signed in with { $method } · { $date }
sessions-last-seen = Last seen { $date }
sessions-sign-out = Sign out
sessions-sign-out-device = Sign out this device
sessions-limited = To see and end your other sessions, finish signing in first.
sessions-sign-out-others = Sign out everywhere else
session-method-passkey-named = the passkey “{ $name }”
session-method-passkey = a passkey
session-method-password = a password
session-method-one-time-code = a one-time code
session-method-email-link = an email link
session-method-external = another account
session-method-recovery-code = a recovery code
session-method-other = another method
# Two or more methods, as in "a password and a one-time code".
session-method-and = { $first } and { $second }

## Notices after a form on the management screen failed
notice-reauth =
    To sign out other devices, sign in again first: your sign-in is more than a few
    minutes old.
notice-session-gone = That session has already ended.
notice-factor = Finish signing in first (your account has another step).

## Dates and times. { $year }, { $day } and { $month } (1 to 12) are numbers; { $hour } and
## { $minute } are two digits of text ("07", "05"), in UTC.
date-time =
    { $month ->
        [1] January
        [2] February
        [3] March
        [4] April
        [5] May
        [6] June
        [7] July
        [8] August
        [9] September
        [10] October
        [11] November
       *[12] December
    } { $day }, { $year }, { $hour }:{ $minute } UTC

## The browser script's messages
script-generic = Something went wrong. Please try again.
script-network = Could not reach the server. Check your connection and try again.
script-rate-limited = Too many attempts. Please wait a moment and try again.
script-cancelled = No passkey was used. If this device has none for this site, try another device or sign in another way.
script-already-registered = This device already has a passkey for this account.
script-security = Passkeys cannot be used at this address. Please check the site address.
script-constraint = This device cannot meet the passkey requirements, for example a screen lock.
script-not-supported = This device or browser cannot create the kind of passkey this site needs.
script-insecure-context = Passkeys need a secure (HTTPS) connection.
script-unsupported = This browser does not support passkeys. Please try another browser or update this one.
script-confirm-codes = Make new recovery codes? The ones you have now stop working.
# { $name } is the passkey's name.
script-confirm-delete = Delete the passkey “{ $name }”? You will no longer be able to sign in with it.
script-codes-alert = Save your recovery codes, shown only now:

## Error messages of the JSON API, by their stable error code
error-invalid-request = The request is not valid.
error-payload-too-large = The request is too large.
error-unsupported-media-type = Send the request as JSON.
error-request-timeout = The request took too long to arrive. Please try again.
error-ceremony-not-found = No passkey request is pending for this browser, or it expired. Please try again.
error-registration-failed = The passkey could not be created. Please try again.
error-credential-exists = This passkey is already registered.
error-username-taken = This username is taken. Please choose another.
error-authentication-failed = Signing in with this passkey did not work. Try again or use another passkey.
error-unauthorized = Please sign in first.
error-reauth-required = Please confirm it's you: sign in again, then retry.
error-factor-required = Finish signing in first (this account's second step, or a passkey), then add the passkey.
error-forbidden = This is not allowed here.
error-not-found = There is nothing here.
error-conflict = This conflicts with your account as it is now. Please reload and try again.
error-last-passkey = This is your only passkey and your only way to sign in. Add another passkey before deleting this one.
# { $max } is the most passkeys an account may have.
error-too-many-passkeys =
    { $max ->
        [one] This account has { $max } passkey, the most it may have. Delete it to add another.
       *[other] This account has { $max } passkeys, the most it may have. Delete one to add another.
    }
error-recovery-failed = That username and recovery code do not match an unused code.
error-rate-limited = Too many attempts. Please wait a moment and try again.
error-unavailable = The service is briefly unavailable. Please try again in a moment.
error-internal = Something went wrong on our side.
## More precise errors
error-other-site = This request came from another site.
error-sign-up-closed = Sign-up is closed on this site.
error-signed-in = You are signed in: sign out before creating another account.
error-username-missing = Choose a username.
# { $field } is `username`, `display_name` or `name` (a passkey's name).
error-name-too-long =
    { $field ->
        [username] The username
        [display_name] The display name
       *[name] The name
    } must be at most { $max } characters.
error-name-invisible =
    { $field ->
        [username] The username
        [display_name] The display name
       *[name] The name
    } must not contain control or invisible formatting characters.
error-passkey-not-found = You have no passkey with this id.
error-passkey-name-missing = Give the passkey a name of 1 to 64 characters.
error-session-not-found = You have no session with this id.
error-never-not-offered = "Don't ask again" is not offered on this site.
error-recovery-not-offered = Recovery codes are not offered for this account.
error-recovery-too-long = A username or recovery code is too long.
