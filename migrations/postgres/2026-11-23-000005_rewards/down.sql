ALTER TABLE ledger_entries DROP COLUMN redemption_id;
ALTER TABLE birthday_grants DROP COLUMN redemption_id;
DROP TABLE redemptions;
DROP TABLE rewards;
