-- rocket_passkeys schema, version 6 (SQLite): started ceremonies travel with the browser.

-- Nothing is kept per started ceremony; each finished one is recorded here until it
-- expires, in the transaction of what its finish wrote, so that it finishes once. Keyed
-- by expiry first (a ceremony's expiry never changes), so the sweep deletes a range of
-- the one b-tree.
CREATE TABLE passkey_finished_ceremonies (
    expires_at INTEGER NOT NULL,
    id         BLOB NOT NULL,
    PRIMARY KEY (expires_at, id)
) WITHOUT ROWID;

-- Sessions are found by token, by user, and by expiry (the sweep); the sessions a deleted
-- passkey opened are found among its account's. An index by passkey would be one more
-- b-tree written by every sign-in's new session and every replaced one.
DROP INDEX IF EXISTS passkey_sessions_credential;

-- The account's ways to sign in besides passkeys, as the app reports them (factor bits:
-- 2 a password, 4 a one-time code, 8 an email link, 16 another identity provider): a
-- session may add a passkey only when it holds all of them (or two factors).
ALTER TABLE passkey_users ADD COLUMN account_factors INTEGER NOT NULL DEFAULT 0;

-- Usernames are compared by a key the crate computes (compatibility forms and case
-- folded, for every script, not just ASCII): unique, and filled for existing accounts
-- at launch.
ALTER TABLE passkey_users ADD COLUMN username_key TEXT;
CREATE UNIQUE INDEX passkey_users_username_key ON passkey_users (username_key);
