-- rocket_passkeys schema, version 1 (SQLite).
CREATE TABLE IF NOT EXISTS passkey_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value BLOB NOT NULL
);

-- A passkey account: a random user handle (what authenticators store) for an app user id.
CREATE TABLE IF NOT EXISTS passkey_users (
    handle       BLOB PRIMARY KEY NOT NULL CHECK (length(handle) = 16),
    user_id      TEXT NOT NULL UNIQUE,
    username     TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);

-- Credential ids are unique across all users (a unique index, never check-then-insert).
CREATE TABLE IF NOT EXISTS passkey_credentials (
    credential_id   BLOB PRIMARY KEY NOT NULL CHECK (length(credential_id) BETWEEN 1 AND 1023),
    user_handle     BLOB NOT NULL REFERENCES passkey_users (handle) ON DELETE CASCADE,
    passkey         TEXT NOT NULL,
    name            TEXT NOT NULL,
    aaguid          BLOB,
    transports      TEXT NOT NULL DEFAULT '[]',
    backup_eligible INTEGER NOT NULL,
    backup_state    INTEGER NOT NULL,
    counter         INTEGER NOT NULL DEFAULT 0,
    rp_id           TEXT NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
);
CREATE INDEX IF NOT EXISTS passkey_credentials_user ON passkey_credentials (user_handle);

-- Sessions: the cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE IF NOT EXISTS passkey_sessions (
    token_hash    BLOB PRIMARY KEY NOT NULL,
    user_handle   BLOB NOT NULL REFERENCES passkey_users (handle) ON DELETE CASCADE,
    factors       INTEGER NOT NULL,
    user_verified INTEGER NOT NULL,
    credential_id BLOB,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS passkey_sessions_user ON passkey_sessions (user_handle);
CREATE INDEX IF NOT EXISTS passkey_sessions_expiry ON passkey_sessions (expires_at);
