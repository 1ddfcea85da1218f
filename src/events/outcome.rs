//! The answer to a posted event; stored with it and replayed verbatim on a re-post.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::engine::outcome::{Awarded, Line, ReferrerAward};
use crate::gamification::{BadgeEarned, ChallengeTouched};
use crate::ledger::Balance;
use crate::rewards::redeem::Voucher;
use crate::tiers::TierOutcome;

/// Which event this is the outcome of.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventRef {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
}

/// What a refund took back.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reversed {
    /// Points taken back from the member (the balance may go negative).
    pub points: i64,
    pub order_id: String,
    /// Money refunded of the order so far, this refund included.
    pub refunded_total: String,
}

/// The outcome of an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventOutcome {
    pub event: EventRef,
    /// The member's external id.
    pub member: String,
    /// Points the event earned the member: the earning rules' and the game layer's bonuses
    /// (badge levels, completed challenges); negative for a refund's reversal.
    pub points_awarded: i64,
    pub awarded: Awarded,
    /// One line per rule that fired: its points and why.
    pub rules: Vec<Line>,
    /// Vouchers the event's rules gave the member.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rewards_issued: Vec<Voucher>,
    /// Points paid to the member's referrer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<ReferrerAward>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reversed: Option<Reversed>,
    pub balance: Balance,
    /// The member's tier after the event, and whether the event changed it (programs with
    /// tiers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<TierOutcome>,
    /// Badge levels the event earned (the member's; a referrer's name the referrer).
    pub badges_earned: Vec<BadgeEarned>,
    /// The challenges the event counted for: progress, goal, and the reward if it completed one.
    pub challenges: Vec<ChallengeTouched>,
    /// Anything else worth knowing (a suspended member earns nothing, a refund of an unknown
    /// order reverses nothing, ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
