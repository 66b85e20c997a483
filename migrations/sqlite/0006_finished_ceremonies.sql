-- rocket_passkeys schema, version 6 (SQLite): started ceremonies travel with the browser.

-- Nothing is kept per started ceremony; each finished one is recorded here until it
-- expires, in the transaction of what its finish wrote, so that it finishes once. Keyed
-- by expiry first (a ceremony's expiry never changes), so the sweep deletes a range of
-- the one b-tree. `batch` marks the rows a group of sign-ins claimed in its transaction.
CREATE TABLE passkey_finished_ceremonies (
    expires_at INTEGER NOT NULL,
    id         BLOB NOT NULL,
    batch      INTEGER,
    PRIMARY KEY (expires_at, id)
) WITHOUT ROWID;
