//! The product's decisions, pure: given an event, the member's state and the program's
//! configuration, what happens. No database, no HTTP: every rule is a fast unit test.
//! The game layer (badges, challenges, streaks, leaderboards) is decided here too: `game`
//! ties `activity`, `badges`, `challenges`, `streaks` and `leaderboards` together.
//! A configuration the engine cannot compile is refused with `domain::Invalid`, naming the
//! field; the HTTP edge turns it into a 422.

pub mod activity;
pub mod badges;
pub mod birthday;
pub mod challenges;
pub mod condition;
pub mod effect;
mod evaluate;
pub mod event;
pub mod expiry;
pub mod game;
pub mod input;
pub mod leaderboards;
pub mod member;
pub mod outcome;
pub mod period;
pub mod plan;
pub mod refund;
pub mod rule;
pub mod streaks;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_bounds;
#[cfg(test)]
mod tests_support;
pub mod tiers;
pub mod windows;

pub use evaluate::{RuleSet, evaluate};
