ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_owner_key;
DELETE FROM idempotency_keys WHERE owner <> '';
ALTER TABLE idempotency_keys
    ADD CONSTRAINT idempotency_keys_program_id_idempotency_key_key UNIQUE (program_id, idempotency_key);
ALTER TABLE idempotency_keys DROP COLUMN owner;
