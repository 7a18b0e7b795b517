-- +goose Up
CREATE TABLE slots (
    key        TEXT NOT NULL,
    slot       BIGINT NOT NULL,
    holder     TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (key, slot)
);

-- +goose Down
DROP TABLE slots;
