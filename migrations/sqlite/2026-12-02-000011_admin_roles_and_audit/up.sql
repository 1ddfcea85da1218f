-- What an admin may do: an `owner` everything; a `manager` configures and adjusts the programs
-- named in admin_programs; an `analyst` reads them. Admins created before roles are owners
-- (SQLite needs the default to add the column; the service always names the role).
ALTER TABLE admins ADD COLUMN role TEXT NOT NULL DEFAULT 'owner'
    CHECK (role IN ('owner', 'manager', 'analyst'));

-- The programs a manager or analyst works in; an owner has none (it has them all).
CREATE TABLE admin_programs (
    admin_id BIGINT NOT NULL REFERENCES admins (id),
    program_id BIGINT NOT NULL REFERENCES programs (id),
    PRIMARY KEY (admin_id, program_id)
);
CREATE INDEX admin_programs_program ON admin_programs (program_id);

-- Who changed what: every change an admin or a storefront key makes to configuration, members
-- or points, written in the change's transaction. Append-only, like the ledger.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    program_id BIGINT REFERENCES programs (id),
    -- `admin:ID` or `key:ID`, and a readable label (the admin's email, the key's name).
    actor TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    -- e.g. `rule.update`, `member.close`, `points.adjust`.
    action TEXT NOT NULL,
    -- What was changed: a slug, an external id, a key or admin id.
    subject TEXT NOT NULL,
    -- JSON documents of the thing before and after; null where there is none. Never a secret.
    before TEXT,
    after TEXT,
    request_id TEXT NOT NULL
);
CREATE INDEX audit_log_program ON audit_log (program_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
