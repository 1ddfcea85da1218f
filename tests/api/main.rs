//! The integration suite: every test starts the real service on its own fresh database.
//! SQLite by default; PostgreSQL when `FIDELIO_TEST_POSTGRES_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod analytics;
mod audit;
mod auth;
mod bench;
mod bounds;
mod concurrency;
mod contract;
mod demo;
mod demo_time;
mod errors;
mod events;
mod game_admin;
mod game_beauty;
mod game_coffee;
mod group_commit;
mod helpers;
mod hostile;
mod idempotency;
mod instances;
mod ledger;
mod limits;
mod logs;
mod members;
mod model;
mod operations;
mod rewards;
mod roles;
mod rules;
mod schema;
mod snapshots;
mod statements;
mod tiers;
mod worked_examples;
