-- The members a leaderboard period ranks, counted per score, so a read sums a few rows
-- instead of counting the period's index entries: the size, and for a rank the members above.
-- A row counts the members whose score is in [score_from, score_from + grain): grain 1 rows
-- count one score, grain 1024 rows the block of 1,024 scores it starts (score_from is a
-- multiple of 1,024). A rank sums the blocks above the member's block, then the scores above
-- it inside its own block, so a read adds at most ~1,024 rows however the scores spread.
-- (src/db/models/leaderboards.rs reads them with the same width.)
--
-- One writer commits at a time, so every row is shard 0 (PostgreSQL gives each connection its
-- own). A count that falls to 0 is left: it is bounded by the scores members held, and a row
-- at a score members pass through is soon used again. `fidelio verify` recomputes them.
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

CREATE TRIGGER leaderboard_scores_counts_insert AFTER INSERT ON leaderboard_scores
BEGIN
    INSERT INTO leaderboard_score_counts (leaderboard_id, period_key, grain, score_from, shard, members)
    VALUES (NEW.leaderboard_id, NEW.period_key, 1, NEW.score, 0, 1),
           (NEW.leaderboard_id, NEW.period_key, 1024, NEW.score & -1024, 0, 1)
    ON CONFLICT (leaderboard_id, period_key, grain, score_from, shard)
    DO UPDATE SET members = members + excluded.members;
END;

CREATE TRIGGER leaderboard_scores_counts_delete AFTER DELETE ON leaderboard_scores
BEGIN
    INSERT INTO leaderboard_score_counts (leaderboard_id, period_key, grain, score_from, shard, members)
    VALUES (OLD.leaderboard_id, OLD.period_key, 1, OLD.score, 0, -1),
           (OLD.leaderboard_id, OLD.period_key, 1024, OLD.score & -1024, 0, -1)
    ON CONFLICT (leaderboard_id, period_key, grain, score_from, shard)
    DO UPDATE SET members = members + excluded.members;
END;

-- A score that moves (raised or lowered by an event) moves its member's count. A score never
-- moves to another leaderboard or period. The block counts move only when the block changes.
CREATE TRIGGER leaderboard_scores_counts_update AFTER UPDATE OF score ON leaderboard_scores
WHEN NEW.score <> OLD.score
BEGIN
    INSERT INTO leaderboard_score_counts (leaderboard_id, period_key, grain, score_from, shard, members)
    SELECT NEW.leaderboard_id, NEW.period_key, moved.grain, moved.score_from, 0, moved.members
    FROM (SELECT 1 AS grain, OLD.score AS score_from, -1 AS members
          UNION ALL SELECT 1, NEW.score, 1
          UNION ALL SELECT 1024, OLD.score & -1024, -1
          UNION ALL SELECT 1024, NEW.score & -1024, 1) moved
    WHERE moved.grain = 1 OR (OLD.score & -1024) <> (NEW.score & -1024)
    ON CONFLICT (leaderboard_id, period_key, grain, score_from, shard)
    DO UPDATE SET members = members + excluded.members;
END;
