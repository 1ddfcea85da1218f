-- Requests per second a storefront key may send; NULL: no limit.
ALTER TABLE api_keys ADD COLUMN rate_limit INTEGER CHECK (rate_limit BETWEEN 1 AND 100000);
