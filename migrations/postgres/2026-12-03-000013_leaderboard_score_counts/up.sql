-- The members a leaderboard period ranks, counted per score, so a read sums a few rows
-- instead of counting the period's index entries: the size, and for a rank the members above.
-- A row counts the members whose score is in [score_from, score_from + grain): grain 1 rows
-- count one score, grain 1024 rows the block of 1,024 scores it starts (score_from is a
-- multiple of 1,024). A rank sums the blocks above the member's block, then the scores above
-- it inside its own block, so a read adds at most ~1,024 rows however the scores spread.
-- (src/db/models/leaderboards.rs reads them with the same width.)
--
-- As for open_points, each connection adds to its own rows (shard = its backend pid), so two
-- transactions never wait on one count nor lock two in opposite orders; the tick folds the
-- rows of closed connections into shard 0. A count that falls to 0 is left: it is bounded by
-- the scores members held, and a row at a score members pass through is soon used again.
-- `fidelio verify` recomputes them.
CREATE TABLE leaderboard_score_counts (
    leaderboard_id BIGINT NOT NULL REFERENCES game_elements (id),
    period_key TEXT NOT NULL,
    grain INTEGER NOT NULL,
    score_from BIGINT NOT NULL,
    shard INTEGER NOT NULL,
    members BIGINT NOT NULL,
    PRIMARY KEY (leaderboard_id, period_key, grain, score_from, shard)
);

INSERT INTO leaderboard_score_counts (leaderboard_id, period_key, grain, score_from, shard, members)
SELECT leaderboard_id, period_key, 1, score, 0, COUNT(*) FROM leaderboard_scores
GROUP BY leaderboard_id, period_key, score
UNION ALL
SELECT leaderboard_id, period_key, 1024, score & -1024, 0, COUNT(*) FROM leaderboard_scores
GROUP BY leaderboard_id, period_key, score & -1024;

-- New scores count once per statement (a bulk load ranks thousands in one), removed ones are
-- taken off likewise: `changed` is the statement's inserted or deleted rows.
CREATE FUNCTION fidelio_scores_counted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    direction BIGINT := CASE TG_OP WHEN 'INSERT' THEN 1 ELSE -1 END;
BEGIN
    INSERT INTO leaderboard_score_counts (leaderboard_id, period_key, grain, score_from, shard, members)
    SELECT leaderboard_id, period_key, 1, score, pg_backend_pid(), direction * COUNT(*) FROM changed
    GROUP BY leaderboard_id, period_key, score
    UNION ALL
    SELECT leaderboard_id, period_key, 1024, score & -1024, pg_backend_pid(), direction * COUNT(*) FROM changed
    GROUP BY leaderboard_id, period_key, score & -1024
    ON CONFLICT (leaderboard_id, period_key, grain, score_from, shard)
    DO UPDATE SET members = leaderboard_score_counts.members + EXCLUDED.members;
    RETURN NULL;
END
$$;
CREATE TRIGGER leaderboard_scores_inserted_counts AFTER INSERT ON leaderboard_scores
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION fidelio_scores_counted();
CREATE TRIGGER leaderboard_scores_deleted_counts AFTER DELETE ON leaderboard_scores
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION fidelio_scores_counted();

-- A score that moves (raised or lowered by an event) moves its member's count, once per row
-- (an update trigger naming columns cannot have a transition table). A score never moves to
-- another leaderboard or period. The block counts move only when the block changes.
CREATE FUNCTION fidelio_scores_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO leaderboard_score_counts (leaderboard_id, period_key, grain, score_from, shard, members)
    SELECT NEW.leaderboard_id, NEW.period_key, moved.grain, moved.score_from, pg_backend_pid(), moved.members
    FROM (VALUES (1, OLD.score, -1), (1, NEW.score, 1),
                 (1024, OLD.score & -1024, -1), (1024, NEW.score & -1024, 1))
         AS moved (grain, score_from, members)
    WHERE moved.grain = 1 OR (OLD.score & -1024) <> (NEW.score & -1024)
    ON CONFLICT (leaderboard_id, period_key, grain, score_from, shard)
    DO UPDATE SET members = leaderboard_score_counts.members + EXCLUDED.members;
    RETURN NULL;
END
$$;
CREATE TRIGGER leaderboard_scores_moved_counts AFTER UPDATE OF score ON leaderboard_scores
    FOR EACH ROW WHEN (OLD.score <> NEW.score) EXECUTE FUNCTION fidelio_scores_moved();
