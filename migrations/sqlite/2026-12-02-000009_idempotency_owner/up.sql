-- A stored reply belongs to who asked (`key:ID`, `member:ID`, `admin:ID`): the same key sent by
-- another caller is another request. Replies stored before have no owner and are never replayed.
-- SQLite cannot change a table's UNIQUE constraint: the table is rebuilt.
CREATE TABLE idempotency_keys_owned (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    idempotency_key TEXT NOT NULL,
    -- What the request did, e.g. `points.redeem`.
    operation TEXT NOT NULL,
    -- SHA-256 of the method, path and normalised body of the first request.
    request_digest TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    -- The ledger entry the request wrote, when it moved points.
    entry_id BIGINT REFERENCES ledger_entries (id),
    created_at TIMESTAMP NOT NULL,
    owner TEXT NOT NULL DEFAULT '',
    UNIQUE (program_id, owner, idempotency_key)
);
INSERT INTO idempotency_keys_owned
    (id, program_id, idempotency_key, operation, request_digest, status_code, response_body,
     entry_id, created_at)
SELECT id, program_id, idempotency_key, operation, request_digest, status_code, response_body,
       entry_id, created_at
FROM idempotency_keys;
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_owned RENAME TO idempotency_keys;
