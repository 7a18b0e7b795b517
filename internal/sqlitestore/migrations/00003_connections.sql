-- +goose Up
CREATE TABLE connections (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    user_id            TEXT NOT NULL REFERENCES users (id),
    name               TEXT NOT NULL,
    offline            INTEGER NOT NULL,
    ping_function      TEXT NOT NULL,
    stack_id           TEXT NOT NULL,
    unencrypted        BLOB NOT NULL,
    encrypted          BLOB NOT NULL,
    unencrypted_fields BLOB NOT NULL,
    encrypted_fields   BLOB NOT NULL,
    concurrency_level  INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    last_modified      INTEGER NOT NULL
);
CREATE INDEX connections_account ON connections (account_id, created_at);
CREATE INDEX connections_stack ON connections (stack_id, user_id);

-- +goose Down
DROP TABLE connections;
