-- +goose Up
CREATE TABLE connections (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    user_id            TEXT NOT NULL REFERENCES users (id),
    name               TEXT NOT NULL,
    offline            BIGINT NOT NULL,
    ping_function      TEXT NOT NULL,
    stack_id           TEXT NOT NULL,
    unencrypted        BYTEA NOT NULL,
    encrypted          BYTEA NOT NULL,
    unencrypted_fields BYTEA NOT NULL,
    encrypted_fields   BYTEA NOT NULL,
    concurrency_level  BIGINT NOT NULL,
    created_at         BIGINT NOT NULL,
    last_modified      BIGINT NOT NULL
);
CREATE INDEX connections_account ON connections (account_id, created_at);
CREATE INDEX connections_stack ON connections (stack_id, user_id);

-- +goose Down
DROP TABLE connections;
