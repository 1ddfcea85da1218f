-- Qualifying activity totalled by calendar month (UTC; `month` is its first instant), kept with
-- every activity: a tier measure adds the whole months of its span and reads single activities
-- only in the month its span starts in.
ALTER TABLE qualifying_activity ADD COLUMN month TIMESTAMP;
UPDATE qualifying_activity SET month = date_trunc('month', occurred_at);
ALTER TABLE qualifying_activity ALTER COLUMN month SET NOT NULL;
DROP INDEX qualifying_activity_member;
CREATE INDEX qualifying_activity_member ON qualifying_activity (member_id, month, occurred_at);

CREATE TABLE qualifying_months (
    member_id BIGINT NOT NULL REFERENCES members (id),
    month TIMESTAMP NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (member_id, month)
);
INSERT INTO qualifying_months (member_id, month, amount)
SELECT member_id, month, SUM(amount) FROM qualifying_activity GROUP BY member_id, month;
