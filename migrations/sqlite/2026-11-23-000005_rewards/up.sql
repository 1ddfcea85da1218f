-- The rewards catalogue.
CREATE TABLE rewards (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    -- Points it costs; 0 for gifts (birthday rewards).
    cost BIGINT NOT NULL CHECK (cost >= 0),
    kind TEXT NOT NULL CHECK (kind IN ('free_item', 'fixed_discount', 'percentage_discount', 'gift', 'experience')),
    -- Money off, or the most a free item may be worth (minor units).
    amount_minor BIGINT CHECK (amount_minor >= 0),
    -- Percent off, for percentage discounts.
    percent INTEGER CHECK (percent BETWEEN 1 AND 100),
    -- The lowest level that may redeem it (NULL: anyone).
    min_tier TEXT,
    -- Vouchers left; NULL for unlimited.
    stock BIGINT CHECK (stock >= 0),
    -- At most this many per member per period (NULL: no limit).
    per_member_limit INTEGER CHECK (per_member_limit >= 1),
    limit_period TEXT CHECK (limit_period IN ('day', 'week', 'month', 'year', 'lifetime')),
    active_from TIMESTAMP,
    active_until TIMESTAMP,
    -- Days a voucher can be used (NULL: no expiry).
    voucher_days INTEGER CHECK (voucher_days >= 1),
    -- Whether an expired, unused voucher gives its points back.
    refund_on_expiry BOOLEAN NOT NULL DEFAULT FALSE,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (program_id, slug)
);

-- Vouchers: what members redeemed, and their lifecycle.
CREATE TABLE redemptions (
    id INTEGER PRIMARY KEY,
    -- Public identifier (UUID), and the code the storefront honours.
    public_id TEXT NOT NULL UNIQUE,
    code TEXT NOT NULL UNIQUE,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    reward_id BIGINT NOT NULL REFERENCES rewards (id),
    points_spent BIGINT NOT NULL CHECK (points_spent >= 0),
    -- The redeem entry that paid for it, and the reverse entry that gave the points back.
    entry_id BIGINT REFERENCES ledger_entries (id),
    reverse_entry_id BIGINT REFERENCES ledger_entries (id),
    status TEXT NOT NULL CHECK (status IN ('issued', 'used', 'cancelled', 'expired')),
    -- How it came: `member`, `storefront`, `birthday`, `rule`, `challenge`.
    source TEXT NOT NULL,
    order_id TEXT,
    api_key_id BIGINT REFERENCES api_keys (id),
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    settled_at TIMESTAMP
);
CREATE INDEX redemptions_member ON redemptions (member_id, id);
CREATE INDEX redemptions_reward_member ON redemptions (reward_id, member_id, issued_at);
CREATE INDEX redemptions_expiring ON redemptions (expires_at) WHERE status = 'issued';

ALTER TABLE birthday_grants ADD COLUMN redemption_id BIGINT REFERENCES redemptions (id);
ALTER TABLE ledger_entries ADD COLUMN redemption_id BIGINT REFERENCES redemptions (id);
