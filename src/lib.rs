//! Fidelio: a gamified loyalty-program engine.

pub mod admins;
pub mod analytics;
pub mod api;
pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod engine;
pub mod error;
pub mod events;
pub mod gamification;
pub mod idempotency;
pub mod jobs;
pub mod json;
pub mod ledger;
pub mod members;
pub mod metrics;
pub mod programs;
pub mod rewards;
pub mod rules;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod tiers;
pub mod tools;
