//! One member's tier standing followed, in memory, through the qualifying activity of one
//! event: the rules' points, then each bonus those points bring (a tier badge's bonus can reach
//! the next level in a points-earned program). Each step is what a separate write and re-read
//! of the measures would decide; here they are decided in a row before anything is written.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::engine::period;
use crate::engine::tiers::{self, Change, Measures, Metric, Standing, TierPolicy, Window};

/// A member's standing and measures at the instant its activity is counted.
#[derive(Debug, Clone, PartialEq)]
pub struct TierStart {
    pub standing: Standing,
    /// The measures before the event, taken at the event's instant.
    pub measures: Measures,
    /// The metric recorded after that instant (what counts towards a renewal once the level
    /// is reached or renewed at it).
    pub after: Decimal,
}

/// A new standing to write, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct TierMove {
    /// The level before.
    pub from: usize,
    pub standing: Standing,
    /// For the history row: `reached 512 Stars`, `hold renewed`.
    pub reason: String,
    pub at: NaiveDateTime,
}

/// The standing after one activity, as the event's outcome reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct TierStep {
    pub level: usize,
    pub changed: bool,
    pub previous: Option<usize>,
    pub held_until: Option<NaiveDateTime>,
}

/// Follows one member's standing through the activities counted at one instant.
#[derive(Debug, Clone)]
pub struct TierTrack<'p> {
    policy: &'p TierPolicy,
    tz: Tz,
    at: NaiveDateTime,
    /// Decimal places of money, for spend metrics.
    exponent: u32,
    /// How the metric is named in history reasons (`Stars`, `USD qualifying spend`).
    unit: String,
    start: TierStart,
    pub moves: Vec<TierMove>,
}

impl<'p> TierTrack<'p> {
    pub fn new(
        policy: &'p TierPolicy,
        tz: Tz,
        at: NaiveDateTime,
        exponent: u32,
        unit: String,
        start: TierStart,
    ) -> Self {
        TierTrack {
            policy,
            tz,
            at,
            exponent,
            unit,
            start,
            moves: Vec::new(),
        }
    }

    pub fn policy(&self) -> &'p TierPolicy {
        self.policy
    }

    pub fn standing(&self) -> &Standing {
        &self.start.standing
    }

    /// Whether points earned count towards tiers here.
    pub fn counts_points(&self) -> bool {
        matches!(self.policy.metric, Metric::PointsEarned)
    }

    /// Counts `amount` (points, or money in minor units; negative for a refund) and decides
    /// the upgrade, renewal or calendar-year shortening it brings.
    pub fn add(&mut self, amount: i64) -> TierStep {
        let value = match self.policy.metric {
            Metric::PointsEarned => Decimal::from(amount),
            Metric::QualifyingSpend { .. } => Decimal::new(amount, self.exponent),
        };
        let start = &mut self.start;
        if amount != 0 {
            start.measures.window += value;
            if self.at > start.standing.qualified_at {
                start.measures.since_qualified += value;
            }
        }
        let before = start.standing.clone();
        let decision = if amount > 0 {
            tiers::after_activity(self.policy, &before, &start.measures, self.tz, self.at)
        } else {
            after_reversal(self.policy, &before, &start.measures, self.tz, self.at)
                .map(|s| (s, Change::Renewal))
        };
        let Some((new, change)) = decision else {
            return TierStep {
                level: before.level,
                changed: false,
                previous: None,
                held_until: before.held_until,
            };
        };
        let reason = match change {
            Change::Upgrade => format!(
                "reached {} {}",
                start.measures.window.normalize(),
                self.unit
            ),
            _ => "hold renewed".to_owned(),
        };
        if new.qualified_at != before.qualified_at {
            start.measures.since_qualified = start.after;
        }
        start.standing = new.clone();
        self.moves.push(TierMove {
            from: before.level,
            standing: new.clone(),
            reason,
            at: self.at,
        });
        let changed = new.level != before.level;
        TierStep {
            level: new.level,
            changed,
            previous: changed.then_some(before.level),
            held_until: new.held_until,
        }
    }
}

/// After a refund in a calendar-year program: if this year's metric no longer reaches the
/// level it was reached with this year, the level is kept only until the year ends.
pub fn after_reversal(
    policy: &TierPolicy,
    standing: &Standing,
    measures: &Measures,
    tz: Tz,
    at: NaiveDateTime,
) -> Option<Standing> {
    if policy.window != Window::CalendarYear || standing.level == 0 {
        return None;
    }
    let year = period::local(tz, at).year();
    let reached_this_year = period::local(tz, standing.qualified_at).year() == year;
    let still_reached = measures.window >= policy.levels[standing.level].threshold;
    if !reached_this_year || still_reached {
        return None;
    }
    let year_end = NaiveDate::from_ymd_opt(year + 1, 1, 1).map(|d| period::start_of_day(tz, d))?;
    let held_until = standing.held_until.map_or(year_end, |h| h.min(year_end));
    Some(Standing {
        held_until: Some(held_until),
        ..standing.clone()
    })
}
