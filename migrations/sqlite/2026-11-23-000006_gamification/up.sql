-- The game layer: badges, challenges, streaks and leaderboards, configured as data, and what
-- each member has of them. Everything a member has is maintained at event time, in the
-- event's transaction.

-- A program's badges, challenges, streaks and leaderboards: a slug per kind and a JSON
-- definition (criterion, goal, window, metric, ...), active or disabled.
CREATE TABLE game_elements (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    kind TEXT NOT NULL CHECK (kind IN ('badge', 'challenge', 'streak', 'leaderboard')),
    slug TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    definition TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (program_id, kind, slug)
);

-- Badge levels members earned: once per level, with when, what earned it and the bonus paid.
CREATE TABLE member_badges (
    id INTEGER PRIMARY KEY,
    member_id BIGINT NOT NULL REFERENCES members (id),
    badge_id BIGINT NOT NULL REFERENCES game_elements (id),
    -- 1 for the first (or only) level.
    level INTEGER NOT NULL CHECK (level >= 1),
    points BIGINT NOT NULL DEFAULT 0,
    -- `event`, `retroactive` or `tier_change`.
    source TEXT NOT NULL,
    event_id BIGINT REFERENCES events (id),
    earned_at TIMESTAMP NOT NULL,
    UNIQUE (member_id, badge_id, level)
);
-- Serves a badge's holders and the analytics' members per level.
CREATE INDEX member_badges_badge ON member_badges (badge_id, level);

-- Progress of counting badges (events counted, or money in minor units).
CREATE TABLE badge_progress (
    member_id BIGINT NOT NULL REFERENCES members (id),
    badge_id BIGINT NOT NULL REFERENCES game_elements (id),
    progress BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (member_id, badge_id)
);

-- A member's progress in one window of a challenge (`2026-W48`, `2026-11`, `fixed`).
CREATE TABLE challenge_progress (
    member_id BIGINT NOT NULL REFERENCES members (id),
    challenge_id BIGINT NOT NULL REFERENCES game_elements (id),
    window_key TEXT NOT NULL,
    progress BIGINT NOT NULL,
    -- Opt-in challenges: when the member joined; only events from then on count.
    joined_at TIMESTAMP,
    completed_at TIMESTAMP,
    completed_event_id BIGINT REFERENCES events (id),
    reward_points BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (member_id, challenge_id, window_key)
);
CREATE INDEX challenge_progress_window ON challenge_progress (challenge_id, window_key);
-- Serves the analytics' completions per challenge.
CREATE INDEX challenge_progress_completed ON challenge_progress (challenge_id, completed_at)
    WHERE completed_at IS NOT NULL;

-- A member's current and longest streak; `last_period` is the first day of the last period
-- (day, or Monday of the week) with qualifying activity, in program time.
CREATE TABLE member_streaks (
    member_id BIGINT NOT NULL REFERENCES members (id),
    streak_id BIGINT NOT NULL REFERENCES game_elements (id),
    current_length INTEGER NOT NULL,
    longest_length INTEGER NOT NULL,
    last_period DATE NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (member_id, streak_id)
);

-- Leaderboard scores per period (`2026-W48`, `2026-11`, `lifetime`, ...). `reached_seq` is the
-- id of the event that last raised the score: of equal scores, the lower reached it first.
CREATE TABLE leaderboard_scores (
    leaderboard_id BIGINT NOT NULL REFERENCES game_elements (id),
    period_key TEXT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members (id),
    score BIGINT NOT NULL,
    reached_seq BIGINT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (leaderboard_id, period_key, member_id)
);
-- Serves the top N in order and a member's rank as a count over a range of it.
CREATE INDEX leaderboard_scores_ranking
    ON leaderboard_scores (leaderboard_id, period_key, score DESC, reached_seq, member_id);
