DROP TRIGGER leaderboard_scores_moved_counts ON leaderboard_scores;
DROP FUNCTION fidelio_scores_moved();
DROP TRIGGER leaderboard_scores_deleted_counts ON leaderboard_scores;
DROP FUNCTION fidelio_scores_deleted();
DROP TRIGGER leaderboard_scores_inserted_counts ON leaderboard_scores;
DROP FUNCTION fidelio_scores_inserted();
DROP TABLE leaderboard_score_counts;
