-- Qualifying activity totalled by calendar month (UTC; `month` is its first instant), kept with
-- every activity: a tier measure adds the whole months of its span and reads single activities
-- only in the month its span starts in. Instants are stored as text in the service's format
-- (`2026-12-01 00:00:00`).
ALTER TABLE qualifying_activity ADD COLUMN month TIMESTAMP NOT NULL DEFAULT '';
UPDATE qualifying_activity SET month = strftime('%Y-%m-01 00:00:00', occurred_at);
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
