-- rocket_passkeys schema, version 3 (PostgreSQL): account changes.

-- Bumped whenever the account's ways to sign in change (a passkey added or deleted, or
-- the app reporting a password change): a passkey registration started before the
-- change can no longer finish.
ALTER TABLE passkey_users ADD COLUMN IF NOT EXISTS generation BIGINT NOT NULL DEFAULT 0;
