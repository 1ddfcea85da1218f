//! The product's decisions, pure: given an event, the member's state and the program's
//! configuration, what happens. No database, no HTTP: every rule is a fast unit test.

pub mod birthday;
pub mod condition;
pub mod effect;
mod evaluate;
pub mod event;
pub mod expiry;
pub mod member;
pub mod outcome;
pub mod period;
pub mod refund;
pub mod rule;
#[cfg(test)]
mod tests;
pub mod tiers;

pub use evaluate::{RuleSet, evaluate};
