-- rocket_passkeys schema, version 5 (SQLite): sessions keyed by their token hash.

-- Every sign-in writes a session and ends the one it replaces, so each b-tree of this
-- table is a page written per sign-in. Sessions are found by token hash: the table
-- becomes the token-hash b-tree itself (WITHOUT ROWID: one b-tree instead of a table and
-- its primary-key index). The indexes by expiry, passkey and user are rebuilt.
CREATE TABLE passkey_sessions_new (
    token_hash    BLOB PRIMARY KEY NOT NULL,
    user_handle   BLOB NOT NULL REFERENCES passkey_users (handle) ON DELETE CASCADE,
    factors       INTEGER NOT NULL,
    user_verified INTEGER NOT NULL,
    credential_id BLOB,
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO passkey_sessions_new (token_hash, user_handle, factors, user_verified,
    credential_id, created_at, expires_at)
    SELECT token_hash, user_handle, factors, user_verified, credential_id, created_at,
        expires_at FROM passkey_sessions;
DROP TABLE passkey_sessions;
ALTER TABLE passkey_sessions_new RENAME TO passkey_sessions;
CREATE INDEX passkey_sessions_expiry ON passkey_sessions (expires_at);
CREATE INDEX passkey_sessions_credential ON passkey_sessions (credential_id);
CREATE INDEX passkey_sessions_user ON passkey_sessions (user_handle);
