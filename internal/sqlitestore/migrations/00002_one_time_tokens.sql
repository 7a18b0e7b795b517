-- +goose Up
CREATE TABLE one_time_tokens (
    hash           BLOB PRIMARY KEY,
    account_id     TEXT NOT NULL,
    user_id        TEXT NOT NULL,
    framework      TEXT NOT NULL,
    kind           TEXT NOT NULL,
    integration_id TEXT NOT NULL,
    connector_id   TEXT NOT NULL,
    expires_at     INTEGER NOT NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX one_time_tokens_expiry ON one_time_tokens (expires_at);

-- +goose Down
DROP TABLE one_time_tokens;
