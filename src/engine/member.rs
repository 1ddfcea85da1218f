//! What the engine knows of a member when it decides an event's outcome.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;

use super::period::Period;

/// The member's tier, as rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct TierState {
    pub name: String,
    /// Earning multiplier of the tier (x1.2 for Gold).
    pub multiplier: Decimal,
}

/// The member who referred this one.
#[derive(Debug, Clone, PartialEq)]
pub struct Referrer {
    pub id: i64,
    pub external_id: String,
    pub email: Option<String>,
    /// Closed referrers are not paid.
    pub active: bool,
}

/// How often, and for how many points, a rule has paid the member in one window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub count: i64,
    pub points: i64,
}

/// The member's state before the event.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberState {
    pub id: i64,
    pub email: Option<String>,
    pub enrolled_at: NaiveDateTime,
    pub birthday: Option<NaiveDate>,
    pub tier: Option<TierState>,
    pub lifetime_earned: i64,
    /// Events recorded before this one, by type name.
    pub event_counts: HashMap<String, i64>,
    pub referrer: Option<Referrer>,
    /// Usage of rules with limits, in the windows that contain the event: `(rule id, period)`.
    pub usage: HashMap<(i64, Period), Usage>,
}

impl MemberState {
    /// A member enrolled at `enrolled_at` with no history.
    pub fn new(id: i64, enrolled_at: NaiveDateTime) -> Self {
        MemberState {
            id,
            email: None,
            enrolled_at,
            birthday: None,
            tier: None,
            lifetime_earned: 0,
            event_counts: HashMap::new(),
            referrer: None,
            usage: HashMap::new(),
        }
    }

    pub fn usage(&self, rule_id: i64, period: Period) -> Usage {
        self.usage
            .get(&(rule_id, period))
            .copied()
            .unwrap_or_default()
    }

    /// Whether paying this member's referrer would be a self-referral.
    pub fn is_self_referral(&self, referrer: &Referrer) -> bool {
        let same_email = match (&self.email, &referrer.email) {
            (Some(mine), Some(theirs)) => mine.eq_ignore_ascii_case(theirs),
            _ => false,
        };
        referrer.id == self.id || same_email
    }
}
