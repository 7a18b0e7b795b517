-- +goose Up
CREATE TABLE slots (
    key        TEXT NOT NULL,
    slot       INTEGER NOT NULL,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (key, slot)
);

-- +goose Down
DROP TABLE slots;
