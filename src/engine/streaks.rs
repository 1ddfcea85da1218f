//! Streaks: consecutive days or weeks (program time) with qualifying activity. Maintained one
//! event at a time: an event in the period after the last one extends the streak, an event
//! after a gap starts a new one, another event in the same period changes nothing.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::activity::CompiledActivity;
use super::condition::Condition;
use crate::domain::Invalid;

/// The length of one step of a streak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StreakPeriod {
    Day,
    /// Monday to Sunday.
    Week,
}

impl StreakPeriod {
    /// The first day of the period that contains `date`.
    pub fn start(self, date: NaiveDate) -> NaiveDate {
        match self {
            StreakPeriod::Day => date,
            StreakPeriod::Week => {
                date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
            }
        }
    }

    fn length(self) -> Duration {
        match self {
            StreakPeriod::Day => Duration::days(1),
            StreakPeriod::Week => Duration::weeks(1),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StreakPeriod::Day => "day",
            StreakPeriod::Week => "week",
        }
    }
}

/// A streak as an admin defines it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StreakDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub period: StreakPeriod,
    /// The activity that keeps the streak going.
    pub event_type: String,
    /// All must hold (the conditions earning rules use).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Only events the earning rules gave points count.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rewarded_only: bool,
}

/// A streak ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledStreak {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub period: StreakPeriod,
    pub activity: CompiledActivity,
}

impl StreakDefinition {
    pub fn compile(&self, id: i64, slug: &str) -> Result<CompiledStreak, Invalid> {
        crate::domain::text("name", &self.name, 200)?;
        if let Some(description) = &self.description {
            crate::domain::text("description", description, 1000)?;
        }
        let activity =
            CompiledActivity::compile(&self.event_type, &self.conditions, self.rewarded_only, "")?;
        Ok(CompiledStreak {
            id,
            slug: slug.to_owned(),
            name: self.name.clone(),
            period: self.period,
            activity,
        })
    }
}

/// A member's streak.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreakState {
    /// Periods in a row up to `last`.
    pub current: i32,
    pub longest: i32,
    /// The first day of the last period with activity.
    pub last: Option<NaiveDate>,
}

/// The streak after activity on `date` (program time), or `None` if it does not change: the
/// period is already counted, or it is older than the last one (streaks follow the order
/// events arrive in; a late event does not fill an old gap).
pub fn advance(period: StreakPeriod, state: &StreakState, date: NaiveDate) -> Option<StreakState> {
    let this = period.start(date);
    let current = match state.last {
        Some(last) if this <= last => return None,
        Some(last) if this - last == period.length() => state.current + 1,
        _ => 1,
    };
    Some(StreakState {
        current,
        longest: state.longest.max(current),
        last: Some(this),
    })
}

/// The streak as it stands on `today`: still alive while the last active period is this one or
/// the one before (the member can still extend it), broken (0) after a whole period without.
pub fn current_on(period: StreakPeriod, state: &StreakState, today: NaiveDate) -> i32 {
    match state.last {
        Some(last) if period.start(today) - last <= period.length() => state.current,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn run(period: StreakPeriod, days: &[&str]) -> StreakState {
        days.iter().fold(StreakState::default(), |state, d| {
            advance(period, &state, day(d)).unwrap_or(state)
        })
    }

    #[test]
    fn consecutive_weeks_extend_the_streak_and_a_second_visit_in_a_week_changes_nothing() {
        // Mon 2026-11-02, Sun 2026-11-15 (week 2), Wed 2026-11-18, Mon 2026-11-23.
        let state = run(
            StreakPeriod::Week,
            &[
                "2026-11-02",
                "2026-11-04",
                "2026-11-15",
                "2026-11-18",
                "2026-11-23",
            ],
        );
        assert_eq!((state.current, state.longest), (4, 4));
        assert_eq!(state.last, Some(day("2026-11-23")));
        assert_eq!(advance(StreakPeriod::Week, &state, day("2026-11-29")), None);
    }

    #[test]
    fn a_gap_starts_again_at_one_and_keeps_the_longest() {
        let state = run(
            StreakPeriod::Day,
            &[
                "2026-11-01",
                "2026-11-02",
                "2026-11-03",
                "2026-11-05",
                "2026-11-06",
            ],
        );
        assert_eq!((state.current, state.longest), (2, 3));
    }

    #[test]
    fn a_late_event_before_the_last_period_changes_nothing() {
        let state = run(StreakPeriod::Day, &["2026-11-05"]);
        assert_eq!(advance(StreakPeriod::Day, &state, day("2026-11-04")), None);
    }

    #[test]
    fn a_streak_is_alive_through_the_next_period_and_broken_after() {
        let state = run(StreakPeriod::Week, &["2026-11-16", "2026-11-23"]);
        assert_eq!(current_on(StreakPeriod::Week, &state, day("2026-11-29")), 2);
        assert_eq!(current_on(StreakPeriod::Week, &state, day("2026-12-06")), 2);
        assert_eq!(current_on(StreakPeriod::Week, &state, day("2026-12-07")), 0);
        assert_eq!(
            current_on(
                StreakPeriod::Day,
                &StreakState::default(),
                day("2026-12-07")
            ),
            0
        );
    }
}
