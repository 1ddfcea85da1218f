DROP TRIGGER leaderboard_scores_moved_counts ON leaderboard_scores;
DROP FUNCTION fidelio_scores_moved();
DROP TRIGGER leaderboard_scores_deleted_counts ON leaderboard_scores;
DROP TRIGGER leaderboard_scores_inserted_counts ON leaderboard_scores;
DROP FUNCTION fidelio_scores_counted();
DROP TABLE leaderboard_score_counts;
