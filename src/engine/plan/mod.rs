//! The whole decision for one event, in one pure function: given the program's compiled
//! configuration, the event and what is loaded of the member (and of its referrer, when a
//! referral can pay), [`decide`] returns a [`Plan`]: every credit with its cause, the tier
//! moves, badges, challenge progress, streaks, leaderboard scores, vouchers to issue, the
//! analytics increments and the outcome the client will see. Nothing here reads or writes;
//! the use case loads the state up front and applies the plan in one transaction.
//!
//! The order of the plan's lists is the order of the writes: a member's credits are written in
//! the order given, so each entry's `balance_after` follows from the one before.

mod decide;
mod game;
mod planner;
#[cfg(test)]
mod tests;
mod tier_track;

pub use decide::decide;
pub use tier_track::{TierMove, TierStart, TierStep, TierTrack, after_reversal};

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::RuleSet;
use super::event::Event;
use super::expiry::ExpiryPolicy;
use super::game::{GameConfig, Grant, MemberGame};
use super::member::{MemberState, Referrer};
use super::outcome::{Line, ReferrerAward, RuleRef, UsageIncrement};
use super::refund::RefundablePurchase;
use super::streaks::StreakState;
use super::tiers::TierPolicy;

/// The program's compiled configuration an event is decided with.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    pub rules: &'a RuleSet,
    pub game: &'a GameConfig,
    pub tiers: Option<&'a TierPolicy>,
    pub expiry: ExpiryPolicy,
    pub time_zone: Tz,
    /// Decimal places of the program's currency.
    pub exponent: u32,
    /// What points are called (`Stars`), for tier history reasons.
    pub point_name: &'a str,
    /// The currency's code (`USD`).
    pub currency: &'a str,
}

/// Whose a write is: the event's member, or the member who referred it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    Member,
    Referrer,
}

/// What is known before the event of the (locked) member and, when the event can pay a
/// referral, of its (locked) referrer.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub external_id: String,
    /// The member as earning rules see it.
    pub state: MemberState,
    /// Suspended members' events are recorded and earn nothing.
    pub suspended: bool,
    /// Its game state, as far as the event can touch it.
    pub game: MemberGame,
    /// Its tier standing and measures at the event's instant (programs with tiers).
    pub tier: Option<TierStart>,
    pub referrer: Option<LoadedReferrer>,
    /// For `referral` events: the code given and the member it names.
    pub link: Option<ReferralLink>,
    /// For `refund` events: the refunded purchase.
    pub refund: Option<LoadedRefund>,
    /// The event's merchandise, in minor units.
    pub merchandise_minor: i64,
    /// A purchase's spend that counts towards tiers measured by spend, in minor units.
    pub qualifying_minor: Option<i64>,
    /// Month keys in program time, for the analytics: the event's, the one before, and the
    /// member's enrolment month.
    pub months: Months,
}

/// Month keys (`2026-11`) of an event, for the analytics' activity and cohorts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Months {
    pub month: String,
    pub previous: String,
    pub cohort: String,
    /// The member's last event was in this month: it is counted as active in it already.
    pub counted: bool,
}

/// The referrer, loaded because the event may pay it.
#[derive(Debug, Clone)]
pub struct LoadedReferrer {
    pub id: i64,
    pub external_id: String,
    /// Badge levels held and referral badge counters.
    pub game: MemberGame,
    /// Standing and measures now (a referral award counts when paid).
    pub tier: Option<TierStart>,
}

/// A `referral` event's code, and who it names.
#[derive(Debug, Clone)]
pub struct ReferralLink {
    pub code: Option<String>,
    /// The open member the code names, unless it is the member or shares its email.
    pub referrer: Option<Referrer>,
    /// The member has a referrer already.
    pub already: bool,
}

/// A refund's purchase, as recorded.
#[derive(Debug, Clone)]
pub struct LoadedRefund {
    pub order_id: String,
    /// The money this refund returns, in minor units.
    pub amount_minor: i64,
    pub purchase: Option<RefundedPurchase>,
}

/// The purchase a refund returns money of.
#[derive(Debug, Clone)]
pub struct RefundedPurchase {
    pub id: i64,
    pub before: RefundablePurchase,
    pub qualifying_minor: Option<i64>,
    pub occurred_at: NaiveDateTime,
    /// The purchase as posted (for spend leaderboards), if its stored body still reads.
    pub event: Option<Event>,
    /// The lots it earned, and the entry of the first.
    pub lots: Vec<i64>,
    pub first_entry: Option<i64>,
}

/// Points to add to a member as a new lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedCredit {
    pub who: Who,
    pub points: i64,
    pub reason: String,
    /// The rule version that paid them, if a rule did.
    pub rule: Option<RuleRef>,
    pub available_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

/// A refund's writes: the purchase's refunded totals and the points taken back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundPlan {
    pub purchase_id: i64,
    pub refunded_total: i64,
    pub reversed_total: i64,
    pub take_back: Option<TakeBackPlan>,
}

/// Points a refund takes back: from the purchase's own lots first, then from any released
/// lot; what no lot covers becomes a debt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakeBackPlan {
    pub points: i64,
    pub lots_first: Vec<i64>,
    pub reverses_entry: Option<i64>,
    pub order_id: String,
}

/// Challenge progress to store (windows completed before are left as they are).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeWrite {
    pub challenge_id: i64,
    pub window_key: String,
    pub progress: i64,
    /// The reward points, when this event completes the window.
    pub completed_with: Option<i64>,
}

/// Why a voucher is issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoucherCause {
    /// An earning rule gives it.
    Rule(RuleRef),
    /// The challenge at this index of the outcome's challenges completed.
    Challenge(usize),
    /// A level reached gives it; `reported` for the one the outcome shows.
    Tier { reported: bool },
}

/// A free voucher of a catalogue reward to issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedVoucher {
    pub who: Who,
    /// The reward's slug.
    pub reward: String,
    pub cause: VoucherCause,
}

/// A leaderboard score to raise (or, negative, to lower).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScoreChange {
    pub board_id: i64,
    pub period_key: String,
    pub who: Who,
    pub delta: i64,
}

/// What the event adds to the program's maintained totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub purchases: i64,
    pub purchase_minor: i64,
    pub refunds: i64,
    pub refund_minor: i64,
    pub reviews: i64,
    pub referrals_paid: i64,
}

/// A badge level an event (or an admin) granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct BadgeEarned {
    /// The badge's slug.
    pub slug: String,
    pub name: String,
    /// 1 for the first (or only) level.
    pub level: i32,
    /// The level's name (`bronze`), for badges with levels.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level_name: Option<String>,
    /// Bonus points paid with it.
    pub points: i64,
    /// The member who earned it, when not the event's member (a referrer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

/// A challenge the event counted for, as its outcome reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeReport {
    pub slug: String,
    pub name: String,
    pub window: String,
    pub progress: Value,
    pub goal: Value,
    pub completed: bool,
    /// What completing it paid: points, the badge's slug, the voucher's reward slug.
    pub paid: Option<(i64, Option<String>, Option<String>)>,
}

/// The member's level after the event, as its outcome reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierReport {
    pub name: String,
    pub changed: bool,
    pub previous: Option<String>,
    pub held_until: Option<NaiveDateTime>,
    /// The last day (program time) the level is held.
    pub held_through: Option<NaiveDate>,
}

/// The outcome the client will see, but for what only the writes can tell (vouchers' codes,
/// the balance after).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub points_awarded: i64,
    pub available: i64,
    pub pending: i64,
    pub available_at: Option<NaiveDateTime>,
    pub rules: Vec<Line>,
    pub referrer: Option<ReferrerAward>,
    /// A refund's reversal: points taken back, the order, money refunded so far (minor units).
    pub reversed: Option<(i64, String, i64)>,
    pub tier: Option<TierReport>,
    pub badges_earned: Vec<BadgeEarned>,
    pub challenges: Vec<ChallengeReport>,
    pub notes: Vec<String>,
}

/// Everything one event does, in the order it is written.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub totals: Totals,
    /// Link the member to this referrer.
    pub link_referrer: Option<i64>,
    pub refund: Option<RefundPlan>,
    pub credits: Vec<PlannedCredit>,
    pub usage: Vec<UsageIncrement>,
    pub streaks: Vec<(i64, StreakState)>,
    /// Badge counters' new values: `(whose, badge id, value)`.
    pub counters: Vec<(Who, i64, i64)>,
    pub challenges: Vec<ChallengeWrite>,
    pub badges: Vec<(Who, Grant)>,
    /// Qualifying activity to record: `(whose, amount in the metric's unit, when)`.
    pub qualifying: Vec<(Who, i64, NaiveDateTime)>,
    pub tier_moves: Vec<(Who, TierMove)>,
    pub vouchers: Vec<PlannedVoucher>,
    pub scores: Vec<ScoreChange>,
    /// The earning rules' points, stored with the event (what refunds take back).
    pub rule_points: i64,
    pub report: Report,
}
