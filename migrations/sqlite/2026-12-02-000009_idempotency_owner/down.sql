CREATE TABLE idempotency_keys_shared (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    idempotency_key TEXT NOT NULL,
    operation TEXT NOT NULL,
    request_digest TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    entry_id BIGINT REFERENCES ledger_entries (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (program_id, idempotency_key)
);
INSERT INTO idempotency_keys_shared
SELECT id, program_id, idempotency_key, operation, request_digest, status_code, response_body,
       entry_id, created_at
FROM idempotency_keys WHERE owner = '';
DROP TABLE idempotency_keys;
ALTER TABLE idempotency_keys_shared RENAME TO idempotency_keys;
