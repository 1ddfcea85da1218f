-- Maintained totals the analytics read instead of scanning the ledger: per program, UTC hour
-- (so any time zone's days and months can be summed from them) and shard (member id mod 8,
-- so concurrent writers rarely touch the same row).
CREATE TABLE stats_hourly (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    hour TIMESTAMP NOT NULL,
    shard INTEGER NOT NULL,
    enrolments BIGINT NOT NULL DEFAULT 0,
    purchases BIGINT NOT NULL DEFAULT 0,
    purchase_minor BIGINT NOT NULL DEFAULT 0,
    refunds BIGINT NOT NULL DEFAULT 0,
    refund_minor BIGINT NOT NULL DEFAULT 0,
    reviews BIGINT NOT NULL DEFAULT 0,
    referrals_paid BIGINT NOT NULL DEFAULT 0,
    points_issued BIGINT NOT NULL DEFAULT 0,
    points_redeemed BIGINT NOT NULL DEFAULT 0,
    points_expired BIGINT NOT NULL DEFAULT 0,
    points_reversed BIGINT NOT NULL DEFAULT 0,
    vouchers_issued BIGINT NOT NULL DEFAULT 0,
    vouchers_used BIGINT NOT NULL DEFAULT 0,
    tier_upgrades BIGINT NOT NULL DEFAULT 0,
    tier_downgrades BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (program_id, hour, shard)
);

-- The months (program time, `YYYY-MM`) in which each member posted an event.
CREATE TABLE member_months (
    member_id BIGINT NOT NULL REFERENCES members (id),
    month TEXT NOT NULL,
    PRIMARY KEY (member_id, month)
);

-- Per program, enrolment month and activity month: members active, and how many of them were
-- active the month before too; grown as member_months grows.
CREATE TABLE cohort_activity (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    cohort TEXT NOT NULL,
    month TEXT NOT NULL,
    shard INTEGER NOT NULL,
    active BIGINT NOT NULL,
    retained BIGINT NOT NULL,
    PRIMARY KEY (program_id, cohort, month, shard)
);

-- When the member last posted an event: the active-member counts read it by index.
ALTER TABLE members ADD COLUMN last_event_at TIMESTAMP;
CREATE INDEX members_last_event ON members (program_id, last_event_at);
CREATE INDEX members_tier ON members (program_id, tier);
CREATE INDEX members_referred ON members (program_id, referred_by) WHERE referred_by IS NOT NULL;

-- What the program costs, and the share of members' revenue attributed to it (for ROI).
ALTER TABLE programs ADD COLUMN analytics_settings TEXT;
