-- rocket_passkeys schema, version 4 (SQLite): account changes.

-- Bumped whenever the account's ways to sign in change (a passkey added or deleted, or
-- the app reporting a password change): a passkey registration started before the
-- change can no longer finish.
ALTER TABLE passkey_users ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
