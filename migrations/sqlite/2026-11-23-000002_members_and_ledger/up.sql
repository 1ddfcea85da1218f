CREATE TABLE members (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    external_id TEXT NOT NULL,
    email TEXT,
    name TEXT,
    birthday DATE,
    referral_code TEXT NOT NULL,
    referred_by BIGINT REFERENCES members (id),
    status TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'closed')),
    -- Balances, kept in the same transaction as the ledger entries they sum.
    -- Available points are what released lots still hold; debt is what a reversal could not
    -- take from any lot (a refund of points already spent). Available as shown to people is
    -- points_available - points_debt, and both are never positive at once.
    points_available BIGINT NOT NULL DEFAULT 0 CHECK (points_available >= 0),
    points_pending BIGINT NOT NULL DEFAULT 0 CHECK (points_pending >= 0),
    points_debt BIGINT NOT NULL DEFAULT 0 CHECK (points_debt >= 0),
    lifetime_earned BIGINT NOT NULL DEFAULT 0,
    lifetime_redeemed BIGINT NOT NULL DEFAULT 0,
    enrolled_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    CHECK (points_debt = 0 OR points_available = 0),
    UNIQUE (program_id, external_id),
    UNIQUE (program_id, referral_code)
);
CREATE INDEX members_program_email ON members (program_id, email);

-- The points ledger: append-only (see the triggers below).
CREATE TABLE ledger_entries (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL CHECK (kind IN ('earn', 'redeem', 'expire', 'adjust', 'reverse')),
    points BIGINT NOT NULL CHECK (points <> 0),
    -- The member's balance (available + pending - debt) after this entry.
    balance_after BIGINT NOT NULL,
    reason TEXT,
    order_id TEXT,
    -- The entry this one reverses (a refund reverses an earn, a cancel reverses a redeem).
    reverses_entry_id BIGINT REFERENCES ledger_entries (id),
    api_key_id BIGINT REFERENCES api_keys (id),
    admin_id BIGINT REFERENCES admins (id),
    created_at TIMESTAMP NOT NULL,
    CHECK (kind NOT IN ('earn') OR points > 0),
    CHECK (kind NOT IN ('redeem', 'expire') OR points < 0)
);
CREATE INDEX ledger_entries_member ON ledger_entries (member_id, id);
CREATE INDEX ledger_entries_program ON ledger_entries (program_id, created_at);

-- Earned points, as lots: pending until released, spent oldest-expiry first.
CREATE TABLE lots (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    entry_id BIGINT NOT NULL REFERENCES ledger_entries (id),
    points BIGINT NOT NULL CHECK (points > 0),
    remaining BIGINT NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    available_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    -- True until the lot's points have moved from pending into the available balance.
    pending BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX lots_open ON lots (member_id, pending, expires_at, id) WHERE remaining > 0;
CREATE INDEX lots_entry ON lots (entry_id);

-- Which lots each entry took points from (negative) or gave points back to (positive).
CREATE TABLE lot_links (
    id INTEGER PRIMARY KEY,
    entry_id BIGINT NOT NULL REFERENCES ledger_entries (id),
    lot_id BIGINT NOT NULL REFERENCES lots (id),
    points BIGINT NOT NULL CHECK (points <> 0),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX lot_links_entry ON lot_links (entry_id);
CREATE INDEX lot_links_lot ON lot_links (lot_id);

-- What members owe: the part of a debit that no lot could cover (a refund of points already
-- spent). The next points a member receives fill it, linked to the debit's entry.
CREATE TABLE debts (
    entry_id BIGINT NOT NULL PRIMARY KEY REFERENCES ledger_entries (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    points BIGINT NOT NULL CHECK (points > 0),
    remaining BIGINT NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX debts_open ON debts (member_id, entry_id) WHERE remaining > 0;

-- Stripe-style idempotency: the first response to a key, replayed for every retry.
CREATE TABLE idempotency_keys (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    idempotency_key TEXT NOT NULL,
    -- What the request did, e.g. `points.redeem`.
    operation TEXT NOT NULL,
    -- SHA-256 of the method, path and normalised body of the first request.
    request_digest TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    -- The ledger entry the request wrote, when it moved points.
    entry_id BIGINT REFERENCES ledger_entries (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (program_id, idempotency_key)
);

CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: UPDATE refused'); END;
CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
BEGIN SELECT RAISE(ABORT, 'ledger_entries is append-only: DELETE refused'); END;
CREATE TRIGGER lot_links_no_update BEFORE UPDATE ON lot_links
BEGIN SELECT RAISE(ABORT, 'lot_links is append-only: UPDATE refused'); END;
CREATE TRIGGER lot_links_no_delete BEFORE DELETE ON lot_links
BEGIN SELECT RAISE(ABORT, 'lot_links is append-only: DELETE refused'); END;
