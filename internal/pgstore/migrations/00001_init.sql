-- +goose Up
CREATE TABLE accounts (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_modified BIGINT NOT NULL
);

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    email         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_modified BIGINT NOT NULL
);
CREATE INDEX users_account ON users (account_id);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    user_id       TEXT NOT NULL REFERENCES users (id),
    name          TEXT NOT NULL,
    description   TEXT NOT NULL,
    hash          BYTEA NOT NULL UNIQUE,
    sealed        BYTEA NOT NULL,
    revoked       BIGINT NOT NULL,
    auto_purge_at BIGINT,
    created_at    BIGINT NOT NULL,
    last_modified BIGINT NOT NULL
);
CREATE INDEX api_tokens_account ON api_tokens (account_id, created_at);

CREATE TABLE stacks (
    id                TEXT PRIMARY KEY,
    account_id        TEXT NOT NULL REFERENCES accounts (id),
    name              TEXT NOT NULL,
    type              TEXT NOT NULL,
    framework         TEXT NOT NULL,
    host_uri          TEXT NOT NULL,
    ip_ranges         TEXT NOT NULL,
    access_key_id     TEXT NOT NULL,
    secret_access_key BYTEA,
    aws_region        TEXT NOT NULL,
    function_name     TEXT NOT NULL,
    language          TEXT NOT NULL,
    endpoint_url      TEXT NOT NULL,
    system_token      BYTEA,
    previous_token    BYTEA,
    grace_until       BIGINT,
    created_at        BIGINT NOT NULL,
    last_modified     BIGINT NOT NULL
);
CREATE INDEX stacks_account ON stacks (account_id, created_at);

CREATE TABLE shares (
    id                  TEXT PRIMARY KEY,
    stack_id            TEXT NOT NULL REFERENCES stacks (id),
    account_id          TEXT NOT NULL REFERENCES accounts (id),
    owner_user_id       TEXT NOT NULL REFERENCES users (id),
    email               TEXT NOT NULL,
    shared_with_user_id TEXT REFERENCES users (id),
    accepted            BIGINT NOT NULL,
    dismissed           BIGINT NOT NULL,
    disabled            BIGINT NOT NULL,
    created_at          BIGINT NOT NULL,
    last_modified       BIGINT NOT NULL,
    UNIQUE (stack_id, email)
);
CREATE INDEX shares_account ON shares (account_id, created_at);
CREATE INDEX shares_invitee ON shares (shared_with_user_id, created_at);
CREATE INDEX shares_email ON shares (email);

CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY,
    tat BIGINT NOT NULL
);

-- +goose Down
DROP TABLE rate_limits;
DROP TABLE shares;
DROP TABLE stacks;
DROP TABLE api_tokens;
DROP TABLE users;
DROP TABLE accounts;
