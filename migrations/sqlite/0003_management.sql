-- rocket_passkeys schema, version 3 (SQLite): passkey management.

-- Set when the app signed the user in by another method (a password): deleting their
-- last passkey then leaves them a way in.
ALTER TABLE passkey_users ADD COLUMN other_sign_in INTEGER NOT NULL DEFAULT 0;

CREATE INDEX IF NOT EXISTS passkey_sessions_credential ON passkey_sessions (credential_id);
