-- rocket_passkeys schema, version 5 (PostgreSQL): sessions people can see and end, and
-- recovery codes.

-- A session's public id (random, unrelated to its token), the device it was opened on,
-- and when it was last seen (written at most every few minutes).
ALTER TABLE passkey_sessions ADD COLUMN IF NOT EXISTS id BYTEA;
ALTER TABLE passkey_sessions ADD COLUMN IF NOT EXISTS device TEXT NOT NULL DEFAULT '';
ALTER TABLE passkey_sessions ADD COLUMN IF NOT EXISTS last_seen_at BIGINT;
UPDATE passkey_sessions
    SET id = decode(md5(random()::text || encode(token_hash, 'hex')), 'hex'),
        last_seen_at = created_at
    WHERE id IS NULL;

-- Single-use recovery codes of passkey-only accounts: only their SHA-256 (with the
-- account's handle) is kept, and a used code is deleted.
CREATE TABLE IF NOT EXISTS passkey_recovery_codes (
    user_handle BYTEA NOT NULL REFERENCES passkey_users (handle) ON DELETE CASCADE,
    code_hash   BYTEA NOT NULL CHECK (length(code_hash) = 32),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (user_handle, code_hash)
);
