-- A stored reply belongs to who asked (`key:ID`, `member:ID`, `admin:ID`): the same key sent by
-- another caller is another request. Replies stored before have no owner and are never replayed.
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_program_id_idempotency_key_key;
ALTER TABLE idempotency_keys
    ADD CONSTRAINT idempotency_keys_owner_key UNIQUE (program_id, owner, idempotency_key);
