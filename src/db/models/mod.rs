//! Row structs paired with their queries, one file per table. Query functions take
//! `&mut DbConnection` and return `QueryResult`; transactions belong to the callers.

pub mod admins;
pub mod analytics;
pub mod api_keys;
pub mod audit;
pub mod badges;
pub mod challenges;
pub mod counters;
pub mod event_state;
pub mod events;
pub mod game_elements;
pub mod history;
pub mod idempotency_keys;
pub mod jobs;
pub mod leaderboards;
pub mod ledger;
pub mod members;
pub mod programs;
pub mod rewards;
pub mod rules;
pub mod settings;
pub mod stats;
pub mod streaks;
pub mod tiers;
