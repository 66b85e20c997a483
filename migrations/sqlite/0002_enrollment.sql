-- rocket_passkeys schema, version 2 (SQLite): progressive enrollment.

-- Per user: when the invitation was last shown, skipped, refused for good, or accepted.
CREATE TABLE IF NOT EXISTS passkey_enrollment (
    user_handle BLOB PRIMARY KEY NOT NULL REFERENCES passkey_users (handle) ON DELETE CASCADE,
    prompted_at INTEGER,
    skipped_at  INTEGER,
    never       INTEGER NOT NULL DEFAULT 0,
    enrolled_at INTEGER
);

-- Counters for operators: prompts shown, passkeys created from the prompt, skips, nevers.
CREATE TABLE IF NOT EXISTS passkey_counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL DEFAULT 0
);
