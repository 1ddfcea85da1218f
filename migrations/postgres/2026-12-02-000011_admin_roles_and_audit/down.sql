DROP TABLE audit_log;
DROP TABLE admin_programs;
ALTER TABLE admins DROP COLUMN role;
