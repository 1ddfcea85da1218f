ALTER TABLE programs DROP COLUMN analytics_settings;
DROP INDEX members_referred;
DROP INDEX members_tier;
DROP INDEX members_last_event;
ALTER TABLE members DROP COLUMN last_event_at;
DROP TABLE cohort_activity;
DROP TABLE member_months;
DROP TABLE stats_hourly;
