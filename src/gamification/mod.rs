//! The game layer: badges, challenges, streaks and leaderboards, configured as data
//! (`elements`), compiled per program (`config`), maintained at event time in the event's
//! transaction (`events`), and read by members and admins (`badges`, `challenges`, `streaks`,
//! `leaderboards`). The decisions themselves are the pure `engine::game` and its parts, planned
//! for each event with the rest of its outcome by `engine::plan`.
//!
//! Choices the product brief left open:
//! - An event's `points_awarded` counts every point it earned the member: the earning rules'
//!   and the game layer's bonuses (badge levels, completed challenges). A refund reverses only
//!   the rules' share (`events.points_earned`): badges and challenge rewards, once earned, stay.
//! - Bonus points are an `earn` entry each (reason `badge ...` or `challenge ... completed
//!   (window)`), available when the event's own points are (pending through a return window
//!   with them) and expiring as points earned at the event's time do. In points-earned tier
//!   programs they count towards tiers, as the coffee program's "Stars earned (purchases and
//!   bonuses)" says.
//! - Badge counters count from the badge's creation; `POST .../badges/{slug}/grant` brings
//!   members' history in. Counters of badges a member holds every level of stop moving.
//! - A challenge's progress stops at completion; a window completes and pays once. Opt-in
//!   challenges are joined per window (a weekly Star Dash is joined each week, as Starbucks
//!   members activate each offer); events dated before the join never count.
//! - Streaks follow the order events arrive in: an event dated before the last counted period
//!   does not fill an old gap. A streak shows 0 once a whole period passed without activity.
//! - Leaderboards count from their creation. Ties go to whoever got there first: the member
//!   whose score was last raised by the earlier-recorded event. Refunds lower points-earned and
//!   spend scores in the period of the refunded purchase. Members see others as first name and
//!   initial, never an email or external id.
//! - What an element measures cannot change once created (create another instead), and an
//!   element another active one names cannot be disabled.
//! - Suspended members' events earn nothing here either; closed members keep what they had
//!   (their leaderboard rows show no name).

pub mod admin;
pub mod badges;
pub mod challenges;
pub mod config;
pub mod elements;
mod grants;
pub mod leaderboards;
pub mod member;
pub mod retro;
pub mod streaks;
pub mod vouchers;

pub use crate::engine::plan::BadgeEarned;
pub use config::GameCache;

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use self::vouchers::VoucherIssue;

/// A challenge an event counted for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeTouched {
    /// The challenge's slug.
    pub slug: String,
    pub name: String,
    /// The window the event counted in (`2026-W48`, `2026-11`, `fixed`).
    pub window: String,
    /// Progress after the event: a count, or money as a decimal string.
    #[schema(value_type = Object)]
    pub progress: Value,
    #[schema(value_type = Object)]
    pub goal: Value,
    pub completed: bool,
    /// What completing it paid, when this event completed it; absent otherwise (a window
    /// completed before pays nothing again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward_paid: Option<RewardPaid>,
}

/// The reward a completed challenge paid.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RewardPaid {
    pub points: i64,
    /// The badge granted (its slug), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub badge: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voucher: Option<VoucherIssue>,
}
