-- rocket_passkeys schema, version 7 (SQLite): sessions people can see and end, and
-- recovery codes.

-- A session's public id (random, unrelated to its token: the id is shown and sent in
-- URLs, the token never is), the device it was opened on (a label read from the
-- User-Agent, such as "Firefox on Linux"), and when it was last seen (written at most
-- every few minutes). Sessions from before get an id and no device.
ALTER TABLE passkey_sessions ADD COLUMN id BLOB;
ALTER TABLE passkey_sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
ALTER TABLE passkey_sessions ADD COLUMN last_seen_at INTEGER;
UPDATE passkey_sessions SET id = randomblob(16), last_seen_at = created_at;

-- Single-use recovery codes of passkey-only accounts: only their SHA-256 (with the
-- account's handle) is kept, and a used code is deleted.
CREATE TABLE passkey_recovery_codes (
    user_handle BLOB NOT NULL REFERENCES passkey_users (handle) ON DELETE CASCADE,
    code_hash   BLOB NOT NULL CHECK (length(code_hash) = 32),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (user_handle, code_hash)
) WITHOUT ROWID;
