DROP TABLE leaderboard_scores;
DROP TABLE member_streaks;
DROP TABLE challenge_progress;
DROP TABLE badge_progress;
DROP TABLE member_badges;
DROP TABLE game_elements;
