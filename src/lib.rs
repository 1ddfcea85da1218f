//! Fidelio: a gamified loyalty-program engine.

pub mod admins;
pub(crate) mod analytics;
pub(crate) mod api;
pub(crate) mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod engine;
pub mod error;
pub(crate) mod events;
pub(crate) mod gamification;
pub mod idempotency;
pub mod jobs;
pub(crate) mod json;
pub mod ledger;
pub mod members;
pub(crate) mod metrics;
pub mod programs;
pub(crate) mod rewards;
pub mod rules;
pub(crate) mod shutdown;
pub mod startup;
pub(crate) mod state;
pub(crate) mod telemetry;
pub(crate) mod tiers;
pub mod tools;
