DROP TABLE qualifying_months;
DROP INDEX qualifying_activity_member;
CREATE INDEX qualifying_activity_member ON qualifying_activity (member_id, occurred_at);
ALTER TABLE qualifying_activity DROP COLUMN month;
