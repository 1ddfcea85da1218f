-- What the liability and engagement reports read, kept by triggers in the transaction that
-- changes what they count, so every writer (events, redemptions, jobs, the demo, imports)
-- keeps them and a report reads a few rows instead of every lot or member.
--
-- Each connection adds to its own rows (shard = its backend pid), so no two transactions ever
-- wait on one of these rows or lock two of them in opposite orders; the tick folds the rows of
-- connections that have closed into shard 0. `fidelio verify` recomputes both.

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
SELECT m.program_id, COALESCE(l.expires_at, TIMESTAMP '9999-12-31 00:00:00'), 0, SUM(l.remaining)
FROM lots l JOIN members m ON m.id = l.member_id
WHERE l.remaining > 0
GROUP BY 1, 2;

CREATE FUNCTION fidelio_add_open_points(lot_member BIGINT, lot_expires TIMESTAMP, delta BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO open_points (program_id, expires_at, shard, points)
    SELECT m.program_id, COALESCE(lot_expires, TIMESTAMP '9999-12-31 00:00:00'), pg_backend_pid(), delta
    FROM members m WHERE m.id = lot_member
    ON CONFLICT (program_id, expires_at, shard)
    DO UPDATE SET points = open_points.points + EXCLUDED.points;
$$;

-- Inserts are counted once per statement (a bulk load writes thousands of lots in one), moves
-- of a lot's points or expiry once per row.
CREATE FUNCTION fidelio_lots_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO open_points (program_id, expires_at, shard, points)
    SELECT m.program_id, COALESCE(l.expires_at, TIMESTAMP '9999-12-31 00:00:00'), pg_backend_pid(),
           CAST(SUM(l.remaining) AS BIGINT)
    FROM inserted l JOIN members m ON m.id = l.member_id
    WHERE l.remaining <> 0
    GROUP BY 1, 2
    ON CONFLICT (program_id, expires_at, shard)
    DO UPDATE SET points = open_points.points + EXCLUDED.points;
    RETURN NULL;
END
$$;
CREATE TRIGGER lots_inserted_open_points AFTER INSERT ON lots
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION fidelio_lots_inserted();

CREATE FUNCTION fidelio_lots_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.expires_at IS NOT DISTINCT FROM OLD.expires_at THEN
        IF NEW.remaining <> OLD.remaining THEN
            PERFORM fidelio_add_open_points(NEW.member_id, NEW.expires_at, NEW.remaining - OLD.remaining);
        END IF;
    ELSE
        -- A lot whose expiry moves (activity extends it) takes its points along.
        PERFORM fidelio_add_open_points(OLD.member_id, OLD.expires_at, -OLD.remaining);
        PERFORM fidelio_add_open_points(NEW.member_id, NEW.expires_at, NEW.remaining);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER lots_moved_open_points AFTER UPDATE OF remaining, expires_at ON lots
    FOR EACH ROW EXECUTE FUNCTION fidelio_lots_moved();

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
SELECT program_id, engagement, 0, COUNT(*) FROM members
WHERE status <> 'closed'
GROUP BY 1, 2;

CREATE FUNCTION fidelio_count_engagement(program BIGINT, rung TEXT, delta BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO engagement_counts (program_id, engagement, shard, members)
    VALUES (program, rung, pg_backend_pid(), delta)
    ON CONFLICT (program_id, engagement, shard)
    DO UPDATE SET members = engagement_counts.members + EXCLUDED.members;
$$;

-- New members, once per statement: counted on their rung, and their referrers made advocates.
CREATE FUNCTION fidelio_members_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO engagement_counts (program_id, engagement, shard, members)
    SELECT program_id, engagement, pg_backend_pid(), COUNT(*) FROM inserted
    WHERE status <> 'closed'
    GROUP BY 1, 2
    ON CONFLICT (program_id, engagement, shard)
    DO UPDATE SET members = engagement_counts.members + EXCLUDED.members;
    UPDATE members SET engagement = 'advocate'
    WHERE engagement <> 'advocate'
      AND id IN (SELECT referred_by FROM inserted WHERE referred_by IS NOT NULL);
    RETURN NULL;
END
$$;
CREATE TRIGGER members_inserted_engagement AFTER INSERT ON members
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION fidelio_members_inserted();

-- A member moving rung, closing or reopening moves its count; a referral linked later makes
-- the referrer an advocate.
CREATE FUNCTION fidelio_members_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'closed' AND (OLD.engagement <> NEW.engagement OR NEW.status = 'closed') THEN
        PERFORM fidelio_count_engagement(OLD.program_id, OLD.engagement, -1);
    END IF;
    IF NEW.status <> 'closed' AND (OLD.status = 'closed' OR OLD.engagement <> NEW.engagement) THEN
        PERFORM fidelio_count_engagement(NEW.program_id, NEW.engagement, 1);
    END IF;
    IF NEW.referred_by IS NOT NULL AND NEW.referred_by IS DISTINCT FROM OLD.referred_by THEN
        UPDATE members SET engagement = 'advocate'
        WHERE id = NEW.referred_by AND engagement <> 'advocate';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER members_changed_engagement AFTER UPDATE OF engagement, status, referred_by
    ON members FOR EACH ROW EXECUTE FUNCTION fidelio_members_changed();

-- A member's first purchase, first review or fifth review can lift it a rung: new counts once
-- per statement (the highest rung each member's new rows give), counts that grow once per row.
CREATE FUNCTION fidelio_event_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE members m SET engagement = CASE r.rank WHEN 3 THEN 'contributor' WHEN 2 THEN 'creator'
                                                  ELSE 'consumer' END
    FROM (SELECT member_id,
                 MAX(CASE WHEN event_type = 'review' AND events >= 5 THEN 3
                          WHEN event_type = 'review' AND events >= 1 THEN 2
                          WHEN event_type = 'purchase' AND events >= 1 THEN 1
                          ELSE 0 END) AS rank
          FROM inserted GROUP BY member_id) r
    WHERE m.id = r.member_id AND r.rank > 0
      AND r.rank > CASE m.engagement WHEN 'enrolled' THEN 0 WHEN 'consumer' THEN 1
                                     WHEN 'creator' THEN 2 WHEN 'contributor' THEN 3 ELSE 4 END;
    RETURN NULL;
END
$$;
CREATE TRIGGER member_event_counts_inserted_rung AFTER INSERT ON member_event_counts
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT
    EXECUTE FUNCTION fidelio_event_counts_inserted();

CREATE FUNCTION fidelio_event_counts_grew() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.event_type = 'purchase' AND OLD.events < 1 AND NEW.events >= 1 THEN
        UPDATE members SET engagement = 'consumer'
        WHERE id = NEW.member_id AND engagement = 'enrolled';
    ELSIF NEW.event_type = 'review' AND OLD.events < 5 AND NEW.events >= 5 THEN
        UPDATE members SET engagement = 'contributor'
        WHERE id = NEW.member_id AND engagement IN ('enrolled', 'consumer', 'creator');
    ELSIF NEW.event_type = 'review' AND OLD.events < 1 AND NEW.events >= 1 THEN
        UPDATE members SET engagement = 'creator'
        WHERE id = NEW.member_id AND engagement IN ('enrolled', 'consumer');
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER member_event_counts_grew_rung AFTER UPDATE OF events ON member_event_counts
    FOR EACH ROW EXECUTE FUNCTION fidelio_event_counts_grew();
