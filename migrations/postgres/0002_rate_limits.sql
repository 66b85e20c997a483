-- rocket_passkeys schema, version 2 (PostgreSQL): request counts shared by instances
-- (`rate_limit.shared`), one row per client, kind and clock minute.
CREATE TABLE IF NOT EXISTS passkey_rate_limits (
    key          TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX IF NOT EXISTS passkey_rate_limits_window ON passkey_rate_limits (window_start);
