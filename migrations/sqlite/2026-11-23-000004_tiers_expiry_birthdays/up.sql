-- Program policies, as JSON: the tier ladder, how points expire, the birthday reward.
ALTER TABLE programs ADD COLUMN tier_policy TEXT;
ALTER TABLE programs ADD COLUMN expiry_policy TEXT;
ALTER TABLE programs ADD COLUMN birthday_policy TEXT;

-- The member's level (NULL: the ladder's first), when it was reached, until when it is held,
-- and when it was last reached or renewed.
ALTER TABLE members ADD COLUMN tier TEXT;
ALTER TABLE members ADD COLUMN tier_since TIMESTAMP;
ALTER TABLE members ADD COLUMN tier_held_until TIMESTAMP;
ALTER TABLE members ADD COLUMN tier_qualified_at TIMESTAMP;
-- Last purchase or redemption: inactivity expiry counts from it.
ALTER TABLE members ADD COLUMN last_activity_at TIMESTAMP;
-- Birthday as month * 100 + day, so the daily birthday run finds members by index.
ALTER TABLE members ADD COLUMN birthday_md INTEGER;
CREATE INDEX members_tier_hold ON members (tier_held_until) WHERE tier_held_until IS NOT NULL;
CREATE INDEX members_activity ON members (program_id, last_activity_at);
CREATE INDEX members_birthday ON members (program_id, birthday_md) WHERE birthday_md IS NOT NULL;

-- What counts towards tiers, dated: points earned or money spent (minor units); refunds are
-- negative.
CREATE TABLE qualifying_activity (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    occurred_at TIMESTAMP NOT NULL,
    amount BIGINT NOT NULL,
    event_id BIGINT REFERENCES events (id)
);
CREATE INDEX qualifying_activity_member ON qualifying_activity (member_id, occurred_at);

-- Every change of a member's level, with its cause.
CREATE TABLE tier_changes (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    from_tier TEXT,
    to_tier TEXT NOT NULL,
    change TEXT NOT NULL CHECK (change IN ('upgrade', 'downgrade', 'manual')),
    reason TEXT NOT NULL,
    held_until TIMESTAMP,
    event_id BIGINT REFERENCES events (id),
    admin_id BIGINT REFERENCES admins (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX tier_changes_member ON tier_changes (member_id, id);

-- Birthday rewards granted, at most one per member and year.
CREATE TABLE birthday_grants (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    year INTEGER NOT NULL,
    reward TEXT NOT NULL,
    valid_until TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (member_id, year)
);

-- Purchases: the part of the merchandise that counts towards tiers (minor units).
ALTER TABLE events ADD COLUMN qualifying_minor BIGINT;

CREATE INDEX lots_expiring ON lots (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
