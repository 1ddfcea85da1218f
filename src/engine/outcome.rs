//! What an event earns: the engine's decision, before anything is written.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::period::Period;

/// Which rule version produced something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RuleRef {
    #[serde(skip)]
    pub id: i64,
    /// The rule's slug.
    pub rule: String,
    pub version: i32,
}

/// One rule that fired, its points for the member, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Line {
    #[serde(flatten)]
    pub rule: RuleRef,
    pub name: String,
    pub points: i64,
    pub why: String,
}

/// Points for the member who referred the event's member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ReferrerAward {
    #[serde(skip)]
    pub member_id: i64,
    /// The referrer's external id.
    pub member: String,
    pub points: i64,
    #[serde(flatten)]
    pub rule: RuleRef,
}

/// A voucher a rule gives the member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardGrant {
    pub rule: RuleRef,
    /// The reward's slug.
    pub reward: String,
}

/// One more use of a limited rule in one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageIncrement {
    pub rule_id: i64,
    pub period: Period,
    pub key: String,
    pub points: i64,
}

/// What became of each rule for the event's type, for explanations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Considered {
    #[serde(flatten)]
    pub rule: RuleRef,
    /// `fired`, `inactive`, `conditions_not_met`, `limit_reached`, `not_referred`,
    /// `self_referral`, `excluded` or `outdone` (a better rule of its group fired).
    pub result: &'static str,
    pub detail: String,
}

/// The engine's decision for one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub lines: Vec<Line>,
    /// The member's points from all lines.
    pub points: i64,
    /// When the points become available: later than now when a rule holds them pending.
    pub available_at: NaiveDateTime,
    pub referrer_award: Option<ReferrerAward>,
    pub rewards: Vec<RewardGrant>,
    pub usage: Vec<UsageIncrement>,
    pub considered: Vec<Considered>,
}

/// How the awarded points split between available now and pending.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Awarded {
    pub available: i64,
    pub pending: i64,
    /// When the pending points become available.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_at: Option<DateTime<Utc>>,
}
