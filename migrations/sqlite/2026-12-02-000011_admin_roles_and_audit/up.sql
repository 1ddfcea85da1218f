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
