//! Crashes and outages with real processes: the `fidelio serve` binary killed with SIGKILL
//! under load, stopped with SIGTERM with requests in flight, its PostgreSQL stopped under it,
//! its SQLite file refusing writes. After each, every acknowledged request is in the ledger
//! exactly once, every unanswered one at most once and exactly once after a retry with the
//! same key, and `fidelio verify` is clean.
//!
//! SQLite by default; PostgreSQL when `FIDELIO_TEST_POSTGRES_URL` is set (a throwaway
//! database per test, and for the outages a private cluster on a free port).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster;
mod database;
mod kill;
mod ledger;
mod load;
mod lost_connection;
mod outage;
mod readiness;
mod service;
mod settle;
mod shop;
mod sigterm;
