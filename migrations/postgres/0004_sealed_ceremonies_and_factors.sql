-- rocket_passkeys schema, version 4 (PostgreSQL): started ceremonies travel with the
-- browser.

-- Nothing is kept per started ceremony; each finished one is recorded here until it
-- expires, in the transaction of what its finish wrote, so that it finishes once on
-- whichever instance. Keyed by expiry first, so the sweep deletes an index range.
DROP TABLE IF EXISTS passkey_ceremonies;
CREATE TABLE IF NOT EXISTS passkey_finished_ceremonies (
    expires_at BIGINT NOT NULL,
    id         BYTEA NOT NULL,
    PRIMARY KEY (expires_at, id)
);

-- The sessions a deleted passkey opened are found among its account's (indexed by user):
-- no index by passkey for every sign-in to write.
DROP INDEX IF EXISTS passkey_sessions_credential;

-- The account's ways to sign in besides passkeys, as the app reports them (factor bits):
-- a session may add a passkey only when it holds all of them (or two factors).
ALTER TABLE passkey_users ADD COLUMN IF NOT EXISTS account_factors BIGINT NOT NULL DEFAULT 0;

-- Usernames are compared by a key the crate computes (compatibility forms and case
-- folded): unique, and filled for existing accounts at launch.
ALTER TABLE passkey_users ADD COLUMN IF NOT EXISTS username_key TEXT;
CREATE UNIQUE INDEX IF NOT EXISTS passkey_users_username_key ON passkey_users (username_key);
