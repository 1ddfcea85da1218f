//! The integration suite: every test starts the real service on its own fresh database.
//! SQLite by default; PostgreSQL when `FIDELIO_TEST_POSTGRES_URL` is set.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod analytics;
mod auth;
mod bench;
mod concurrency;
mod demo;
mod demo_time;
mod errors;
mod events;
mod game_admin;
mod game_beauty;
mod game_coffee;
mod helpers;
mod ledger;
mod members;
mod model;
mod operations;
mod rewards;
mod rules;
mod schema;
mod snapshots;
mod statements;
mod tiers;
mod worked_examples;
