-- What the liability and engagement reports read, kept by triggers in the transaction that
-- changes what they count, so every writer (events, redemptions, jobs, the demo, imports)
-- keeps them and a report reads a few rows instead of every lot or member. On SQLite one
-- writer commits at a time, so every row is shard 0 (PostgreSQL gives each connection its
-- own). `fidelio verify` recomputes both.

-- Points held in lots (pending included), per program, expiry instant and shard. Lots that
-- never expire are kept under 9999-12-31 00:00:00, as a key cannot be NULL.
CREATE TABLE open_points (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    expires_at TIMESTAMP NOT NULL,
    shard INTEGER NOT NULL,
    points BIGINT NOT NULL,
    PRIMARY KEY (program_id, expires_at, shard)
);

INSERT INTO open_points (program_id, expires_at, shard, points)
SELECT m.program_id, COALESCE(l.expires_at, '9999-12-31 00:00:00'), 0, SUM(l.remaining)
FROM lots l JOIN members m ON m.id = l.member_id
WHERE l.remaining > 0
GROUP BY m.program_id, COALESCE(l.expires_at, '9999-12-31 00:00:00');

CREATE TRIGGER lots_open_points_insert AFTER INSERT ON lots WHEN NEW.remaining <> 0
BEGIN
    INSERT INTO open_points (program_id, expires_at, shard, points)
    SELECT m.program_id, COALESCE(NEW.expires_at, '9999-12-31 00:00:00'), 0, NEW.remaining
    FROM members m WHERE m.id = NEW.member_id
    ON CONFLICT (program_id, expires_at, shard) DO UPDATE SET points = points + excluded.points;
END;

CREATE TRIGGER lots_open_points_remaining AFTER UPDATE OF remaining ON lots
WHEN NEW.remaining <> OLD.remaining AND NEW.expires_at IS OLD.expires_at
BEGIN
    INSERT INTO open_points (program_id, expires_at, shard, points)
    SELECT m.program_id, COALESCE(NEW.expires_at, '9999-12-31 00:00:00'), 0, NEW.remaining - OLD.remaining
    FROM members m WHERE m.id = NEW.member_id
    ON CONFLICT (program_id, expires_at, shard) DO UPDATE SET points = points + excluded.points;
END;

-- A lot whose expiry moves (activity extends it) takes its points along.
CREATE TRIGGER lots_open_points_expiry AFTER UPDATE OF expires_at ON lots
WHEN NEW.expires_at IS NOT OLD.expires_at
BEGIN
    INSERT INTO open_points (program_id, expires_at, shard, points)
    SELECT m.program_id, COALESCE(OLD.expires_at, '9999-12-31 00:00:00'), 0, -OLD.remaining
    FROM members m WHERE m.id = OLD.member_id
    ON CONFLICT (program_id, expires_at, shard) DO UPDATE SET points = points + excluded.points;
    INSERT INTO open_points (program_id, expires_at, shard, points)
    SELECT m.program_id, COALESCE(NEW.expires_at, '9999-12-31 00:00:00'), 0, NEW.remaining
    FROM members m WHERE m.id = NEW.member_id
    ON CONFLICT (program_id, expires_at, shard) DO UPDATE SET points = points + excluded.points;
END;

-- Each member's rung of the engagement ladder: advocate (referred a member), contributor
-- (5+ reviews), creator (1+ review), consumer (1+ purchase), else enrolled. Counts only grow
-- and a referral is never undone, so a rung only ever rises.
ALTER TABLE members ADD COLUMN engagement TEXT NOT NULL DEFAULT 'enrolled'
    CHECK (engagement IN ('enrolled', 'consumer', 'creator', 'contributor', 'advocate'));

UPDATE members SET engagement = CASE
    WHEN EXISTS (SELECT 1 FROM members r WHERE r.referred_by = members.id) THEN 'advocate'
    WHEN COALESCE((SELECT c.events FROM member_event_counts c WHERE c.member_id = members.id AND c.event_type = 'review'), 0) >= 5 THEN 'contributor'
    WHEN COALESCE((SELECT c.events FROM member_event_counts c WHERE c.member_id = members.id AND c.event_type = 'review'), 0) >= 1 THEN 'creator'
    WHEN COALESCE((SELECT c.events FROM member_event_counts c WHERE c.member_id = members.id AND c.event_type = 'purchase'), 0) >= 1 THEN 'consumer'
    ELSE 'enrolled' END;

-- Members not closed, per program, rung and shard.
CREATE TABLE engagement_counts (
    program_id BIGINT NOT NULL REFERENCES programs (id),
    engagement TEXT NOT NULL,
    shard INTEGER NOT NULL,
    members BIGINT NOT NULL,
    PRIMARY KEY (program_id, engagement, shard)
);

INSERT INTO engagement_counts (program_id, engagement, shard, members)
SELECT program_id, engagement, 0, COUNT(*) FROM members WHERE status <> 'closed'
GROUP BY program_id, engagement;

CREATE TRIGGER members_engagement_enrolled AFTER INSERT ON members WHEN NEW.status <> 'closed'
BEGIN
    INSERT INTO engagement_counts (program_id, engagement, shard, members)
    VALUES (NEW.program_id, NEW.engagement, 0, 1)
    ON CONFLICT (program_id, engagement, shard) DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER members_engagement_moved AFTER UPDATE OF engagement, status ON members
WHEN OLD.engagement <> NEW.engagement OR (OLD.status = 'closed') <> (NEW.status = 'closed')
BEGIN
    UPDATE engagement_counts SET members = members - 1
    WHERE OLD.status <> 'closed'
      AND program_id = OLD.program_id AND engagement = OLD.engagement AND shard = 0;
    INSERT INTO engagement_counts (program_id, engagement, shard, members)
    SELECT NEW.program_id, NEW.engagement, 0, 1 WHERE NEW.status <> 'closed'
    ON CONFLICT (program_id, engagement, shard) DO UPDATE SET members = members + 1;
END;

CREATE TRIGGER members_referrer_enrolled AFTER INSERT ON members WHEN NEW.referred_by IS NOT NULL
BEGIN
    UPDATE members SET engagement = 'advocate' WHERE id = NEW.referred_by AND engagement <> 'advocate';
END;

CREATE TRIGGER members_referrer_linked AFTER UPDATE OF referred_by ON members
WHEN NEW.referred_by IS NOT NULL AND NEW.referred_by IS NOT OLD.referred_by
BEGIN
    UPDATE members SET engagement = 'advocate' WHERE id = NEW.referred_by AND engagement <> 'advocate';
END;

-- A member's first purchase, first review or fifth review can lift it a rung.
CREATE TRIGGER member_event_counts_rung_insert AFTER INSERT ON member_event_counts
WHEN NEW.event_type IN ('purchase', 'review')
BEGIN
    UPDATE members SET engagement = 'consumer'
    WHERE id = NEW.member_id AND NEW.event_type = 'purchase' AND NEW.events >= 1 AND engagement = 'enrolled';
    UPDATE members SET engagement = 'creator'
    WHERE id = NEW.member_id AND NEW.event_type = 'review' AND NEW.events BETWEEN 1 AND 4
      AND engagement IN ('enrolled', 'consumer');
    UPDATE members SET engagement = 'contributor'
    WHERE id = NEW.member_id AND NEW.event_type = 'review' AND NEW.events >= 5
      AND engagement IN ('enrolled', 'consumer', 'creator');
END;

CREATE TRIGGER member_event_counts_rung_update AFTER UPDATE OF events ON member_event_counts
WHEN (NEW.event_type = 'purchase' AND OLD.events < 1 AND NEW.events >= 1)
  OR (NEW.event_type = 'review' AND ((OLD.events < 1 AND NEW.events >= 1) OR (OLD.events < 5 AND NEW.events >= 5)))
BEGIN
    UPDATE members SET engagement = 'consumer'
    WHERE id = NEW.member_id AND NEW.event_type = 'purchase' AND engagement = 'enrolled';
    UPDATE members SET engagement = 'creator'
    WHERE id = NEW.member_id AND NEW.event_type = 'review' AND NEW.events BETWEEN 1 AND 4
      AND engagement IN ('enrolled', 'consumer');
    UPDATE members SET engagement = 'contributor'
    WHERE id = NEW.member_id AND NEW.event_type = 'review' AND NEW.events >= 5
      AND engagement IN ('enrolled', 'consumer', 'creator');
END;
