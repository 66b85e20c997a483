-- rocket_passkeys schema, version 1 (PostgreSQL): the same model as SQLite's versions
-- 1 to 3, plus the pending ceremonies that several instances share.
CREATE TABLE IF NOT EXISTS passkey_meta (
    key   TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);

CREATE TABLE IF NOT EXISTS passkey_users (
    handle        BYTEA PRIMARY KEY CHECK (length(handle) = 16),
    user_id       TEXT NOT NULL UNIQUE,
    username      TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    other_sign_in BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX IF NOT EXISTS passkey_users_username ON passkey_users (lower(username));

CREATE TABLE IF NOT EXISTS passkey_credentials (
    credential_id   BYTEA PRIMARY KEY CHECK (length(credential_id) BETWEEN 1 AND 1023),
    user_handle     BYTEA NOT NULL REFERENCES passkey_users (handle) ON DELETE CASCADE,
    passkey         TEXT NOT NULL,
    name            TEXT NOT NULL,
    aaguid          BYTEA,
    transports      TEXT NOT NULL DEFAULT '[]',
    backup_eligible BOOLEAN NOT NULL,
    backup_state    BOOLEAN NOT NULL,
    counter         BIGINT NOT NULL DEFAULT 0,
    rp_id           TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    last_used_at    BIGINT,
    seq             BIGINT GENERATED ALWAYS AS IDENTITY
);
CREATE INDEX IF NOT EXISTS passkey_credentials_user ON passkey_credentials (user_handle);

CREATE TABLE IF NOT EXISTS passkey_sessions (
    token_hash    BYTEA PRIMARY KEY,
    user_handle   BYTEA NOT NULL REFERENCES passkey_users (handle) ON DELETE CASCADE,
    factors       BIGINT NOT NULL,
    user_verified BOOLEAN NOT NULL,
    credential_id BYTEA,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS passkey_sessions_user ON passkey_sessions (user_handle);
CREATE INDEX IF NOT EXISTS passkey_sessions_expiry ON passkey_sessions (expires_at);
CREATE INDEX IF NOT EXISTS passkey_sessions_credential ON passkey_sessions (credential_id);

CREATE TABLE IF NOT EXISTS passkey_enrollment (
    user_handle BYTEA PRIMARY KEY REFERENCES passkey_users (handle) ON DELETE CASCADE,
    prompted_at BIGINT,
    skipped_at  BIGINT,
    never       BOOLEAN NOT NULL DEFAULT FALSE,
    enrolled_at BIGINT
);

CREATE TABLE IF NOT EXISTS passkey_counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL DEFAULT 0
);

-- Pending ceremonies, shared by every instance: taken with DELETE ... RETURNING.
CREATE TABLE IF NOT EXISTS passkey_ceremonies (
    id         BYTEA PRIMARY KEY,
    state      TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS passkey_ceremonies_expiry ON passkey_ceremonies (expires_at);

CREATE TABLE IF NOT EXISTS passkey_schema (
    version INTEGER NOT NULL
);
