-- Program settings for events: enrol unknown members on their first event, and a counter
-- bumped on every configuration change so instances know when to reload their cached rules.
ALTER TABLE programs ADD COLUMN auto_enrol BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE programs ADD COLUMN config_version BIGINT NOT NULL DEFAULT 0;

-- Earning rules; every change is a new version, kept.
CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    slug TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (program_id, slug)
);

CREATE TABLE rule_versions (
    id INTEGER PRIMARY KEY,
    rule_id BIGINT NOT NULL REFERENCES rules (id),
    version INTEGER NOT NULL,
    -- The rule's definition as JSON (conditions, effects, priority, stacking, window, limits).
    definition TEXT NOT NULL,
    created_by BIGINT REFERENCES admins (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (rule_id, version)
);

-- Every event a storefront posted, with the outcome it was answered with.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    -- The storefront's id of the event: posting it again replays the outcome.
    external_id TEXT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id),
    type TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    received_at TIMESTAMP NOT NULL,
    -- SHA-256 of the normalised request: the same id with another body is refused.
    request_digest TEXT NOT NULL,
    payload TEXT NOT NULL,
    outcome TEXT NOT NULL,
    order_id TEXT,
    -- Purchases: what was paid (minor units) and earned, and what refunds took back so far.
    amount_minor BIGINT,
    points_earned BIGINT NOT NULL DEFAULT 0,
    refunded_minor BIGINT NOT NULL DEFAULT 0,
    points_reversed BIGINT NOT NULL DEFAULT 0,
    api_key_id BIGINT REFERENCES api_keys (id),
    UNIQUE (program_id, external_id)
);
CREATE INDEX events_member ON events (member_id, occurred_at);
CREATE INDEX events_order ON events (member_id, order_id) WHERE type = 'purchase';

-- How often, and for how many points, a limited rule paid a member in one window.
CREATE TABLE rule_usage (
    member_id BIGINT NOT NULL REFERENCES members (id),
    rule_id BIGINT NOT NULL REFERENCES rules (id),
    -- `2026-11-23`, `2026-W48`, `2026-11` or `lifetime`, in the program's time zone.
    period_key TEXT NOT NULL,
    uses BIGINT NOT NULL,
    points BIGINT NOT NULL,
    PRIMARY KEY (member_id, rule_id, period_key)
);

-- Lifetime counts and amounts of each member's events, by type.
CREATE TABLE member_event_counts (
    member_id BIGINT NOT NULL REFERENCES members (id),
    event_type TEXT NOT NULL,
    events BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    PRIMARY KEY (member_id, event_type)
);

ALTER TABLE ledger_entries ADD COLUMN event_id BIGINT REFERENCES events (id);
ALTER TABLE ledger_entries ADD COLUMN rule_id BIGINT REFERENCES rules (id);
ALTER TABLE ledger_entries ADD COLUMN rule_version INTEGER;
CREATE INDEX ledger_entries_event ON ledger_entries (event_id);
