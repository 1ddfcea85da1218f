DROP TABLE idempotency_keys;
DROP TABLE debts;
DROP TABLE lot_links;
DROP TABLE lots;
DROP TABLE ledger_entries;
DROP TABLE members;
DROP FUNCTION fidelio_refuse_change();
