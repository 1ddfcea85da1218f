//! Tiers: which level a member holds, decided from a qualifying metric over a window.
//! Upgrades happen the moment an activity crosses a threshold; downgrades only when the hold
//! ends (`fidelio tick`), to the level the member still qualifies for.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::event::ItemFilter;
use super::period;
use crate::domain::{Invalid, bounds};

/// What tiers are earned with.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Metric {
    /// Points earned from events (purchases and bonuses), net of refunds; redeeming never
    /// lowers it.
    PointsEarned,
    /// Money spent on merchandise (the items the filter counts), net of refunds.
    QualifyingSpend {
        #[serde(default, skip_serializing_if = "ItemFilter::is_everything")]
        items: ItemFilter,
    },
}

/// Over which time the metric counts, and how long a reached level is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Window {
    /// The last `months` months. A level is held for `months` months from when it was reached,
    /// and renewed by reaching its threshold again within them.
    RollingMonths {
        #[schema(minimum = 1, maximum = 120)]
        months: u32,
    },
    /// The calendar year (program time). A level reached in year Y is held through 31
    /// December of Y+1; on 1 January a member falls to the level last year's metric supports.
    CalendarYear,
    /// Ever. Levels are never lost.
    Lifetime,
}

/// One level of the ladder.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Level {
    pub name: String,
    /// The metric needed (points, or money for spend), as a decimal string, 0 to
    /// 1000000000000. The first level's is 0.
    #[schema(value_type = String)]
    pub threshold: Decimal,
    /// Earning multiplier, applied by rules with a `tier_multiplier` effect: a decimal string,
    /// 1 to 100. Default 1.
    #[serde(default = "one")]
    #[schema(value_type = String)]
    pub multiplier: Decimal,
    /// What the level gives members, as shown to them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub benefits: Vec<String>,
    /// Points do not expire while the member holds this level.
    #[serde(default)]
    pub points_never_expire: bool,
    /// The slug of a reward given (as a free voucher) to each member who reaches this level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reward_on_reach: Option<String>,
}

fn one() -> Decimal {
    Decimal::ONE
}

impl Window {
    /// Whether decisions look at the activity since the level was reached, which renews a hold.
    pub fn renews_holds(&self) -> bool {
        matches!(self, Window::RollingMonths { .. })
    }

    /// Whether decisions look at last calendar year's activity.
    pub fn looks_at_last_year(&self) -> bool {
        matches!(self, Window::CalendarYear)
    }
}

/// A program's tier ladder.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierPolicy {
    pub metric: Metric,
    pub window: Window,
    /// Lowest first.
    pub levels: Vec<Level>,
}

impl TierPolicy {
    /// Checks the ladder; errors name the field.
    pub fn check(&self) -> Result<(), Invalid> {
        if self.levels.is_empty() {
            return Err(Invalid::new("levels", "levels: give at least one level"));
        }
        if !self.levels[0].threshold.is_zero() {
            return Err(Invalid::new(
                "levels[0].threshold",
                "levels[0].threshold: the first level starts at 0",
            ));
        }
        for (i, level) in self.levels.iter().enumerate() {
            crate::domain::text(&format!("levels[{i}].name"), &level.name, 60)?;
            if self.levels[..i].iter().any(|l| l.name == level.name) {
                return Err(Invalid::new(
                    format!("levels[{i}].name"),
                    format!("levels[{i}].name: `{}` is used twice", level.name),
                ));
            }
            bounds::decimal_within(
                &format!("levels[{i}].threshold"),
                level.threshold,
                Decimal::ZERO,
                Decimal::from(bounds::MAX_TOTAL),
            )?;
            if i > 0 && level.threshold <= self.levels[i - 1].threshold {
                return Err(Invalid::new(
                    format!("levels[{i}].threshold"),
                    format!("levels[{i}].threshold: must be above the level below"),
                ));
            }
            if let Some(reward) = &level.reward_on_reach {
                crate::domain::slug(&format!("levels[{i}].reward_on_reach"), reward)?;
            }
            bounds::decimal_within(
                &format!("levels[{i}].multiplier"),
                level.multiplier,
                Decimal::ONE,
                Decimal::from(bounds::MAX_MULTIPLIER),
            )?;
        }
        if let Window::RollingMonths { months } = self.window
            && !(1..=120).contains(&months)
        {
            return Err(Invalid::new(
                "window.months",
                "window.months: must be between 1 and 120",
            ));
        }
        Ok(())
    }

    pub fn level(&self, name: &str) -> Option<(usize, &Level)> {
        self.levels.iter().enumerate().find(|(_, l)| l.name == name)
    }

    /// The index of a stored level name: the first level if there is none, or if the ladder
    /// no longer has it.
    pub fn index_of(&self, name: Option<&str>) -> usize {
        name.and_then(|name| self.level(name)).map_or(0, |(i, _)| i)
    }

    /// The highest level whose threshold `value` reaches.
    pub fn level_for(&self, value: Decimal) -> usize {
        self.levels
            .iter()
            .rposition(|l| value >= l.threshold)
            .unwrap_or(0)
    }
}

/// A member's standing on the ladder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub level: usize,
    pub since: NaiveDateTime,
    /// When the hold ends (exclusive); `None` for the first level or lifetime windows.
    pub held_until: Option<NaiveDateTime>,
    /// When the level was last reached or renewed.
    pub qualified_at: NaiveDateTime,
}

/// The metric totals the decisions need, measured at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Measures {
    /// Over the window up to now: the last N months, this calendar year, or ever.
    pub window: Decimal,
    /// Since the level was last reached (rolling windows renew with it).
    pub since_qualified: Decimal,
    /// Over the previous calendar year (calendar windows fall back to it on 1 January).
    pub last_year: Decimal,
}

/// Why a standing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Upgrade,
    Renewal,
    Downgrade,
}

/// Where the hold of a level reached at `at` ends.
pub fn hold_end(window: Window, tz: Tz, at: NaiveDateTime) -> Option<NaiveDateTime> {
    match window {
        Window::RollingMonths { months } => at.checked_add_months(Months::new(months)),
        Window::CalendarYear => {
            let year = period::local(tz, at).year();
            NaiveDate::from_ymd_opt(year + 2, 1, 1).map(|d| period::start_of_day(tz, d))
        }
        Window::Lifetime => None,
    }
}

/// After qualifying activity at `at`: an upgrade, a renewal of the hold, or nothing.
pub fn after_activity(
    policy: &TierPolicy,
    standing: &Standing,
    measures: &Measures,
    tz: Tz,
    at: NaiveDateTime,
) -> Option<(Standing, Change)> {
    let reached = policy.level_for(measures.window);
    if reached > standing.level {
        let held_until = hold_end(policy.window, tz, at);
        return Some((
            Standing {
                level: reached,
                since: at,
                held_until,
                qualified_at: at,
            },
            Change::Upgrade,
        ));
    }
    if standing.level == 0 {
        return None;
    }
    let threshold = policy.levels[standing.level].threshold;
    let renews = match policy.window {
        Window::RollingMonths { .. } => measures.since_qualified >= threshold,
        Window::CalendarYear => measures.window >= threshold,
        Window::Lifetime => false,
    };
    let held_until = hold_end(policy.window, tz, at);
    (renews && held_until > standing.held_until).then(|| {
        (
            Standing {
                held_until,
                qualified_at: at,
                ..standing.clone()
            },
            Change::Renewal,
        )
    })
}

/// When the hold has ended by `now`: the level the member still qualifies for, or nothing.
pub fn at_hold_end(
    policy: &TierPolicy,
    standing: &Standing,
    measures: &Measures,
    tz: Tz,
    now: NaiveDateTime,
) -> Option<(Standing, Change)> {
    let ended = standing.held_until.is_some_and(|until| until <= now);
    if !ended || standing.level == 0 {
        return None;
    }
    let (level, qualified_at) = match policy.window {
        Window::CalendarYear => {
            let this_year = policy.level_for(measures.window);
            let last_year = policy.level_for(measures.last_year);
            let year_start = period::start_of_day(
                tz,
                NaiveDate::from_ymd_opt(period::local(tz, now).year(), 1, 1).unwrap_or_default(),
            );
            // Held through the end of the year after the one that supports it.
            if this_year >= last_year {
                (this_year, now)
            } else {
                (last_year, year_start - chrono::Duration::seconds(1))
            }
        }
        _ => (policy.level_for(measures.window), now),
    };
    let level = level.min(standing.level);
    let held_until = if level == 0 {
        None
    } else {
        hold_end(policy.window, tz, qualified_at)
    };
    let change = if level < standing.level {
        Change::Downgrade
    } else {
        Change::Renewal
    };
    let since = if level < standing.level {
        now
    } else {
        standing.since
    };
    Some((
        Standing {
            level,
            since,
            held_until,
            qualified_at,
        },
        change,
    ))
}

/// The next level and what is missing to reach it.
pub fn next_level<'p>(
    policy: &'p TierPolicy,
    standing: &Standing,
    measures: &Measures,
) -> Option<(&'p Level, Decimal)> {
    let next = policy.levels.get(standing.level + 1)?;
    Some((next, (next.threshold - measures.window).max(Decimal::ZERO)))
}

/// The instant a rolling window starts for a measure taken at `at`.
pub fn window_start(window: Window, tz: Tz, at: NaiveDateTime) -> Option<NaiveDateTime> {
    match window {
        Window::RollingMonths { months } => at.checked_sub_months(Months::new(months)),
        Window::CalendarYear => NaiveDate::from_ymd_opt(period::local(tz, at).year(), 1, 1)
            .map(|d| period::start_of_day(tz, d)),
        Window::Lifetime => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn level(name: &str, threshold: &str) -> Level {
        Level {
            name: name.into(),
            threshold: d(threshold),
            multiplier: Decimal::ONE,
            benefits: vec![],
            points_never_expire: false,
            reward_on_reach: None,
        }
    }

    fn coffee() -> TierPolicy {
        TierPolicy {
            metric: Metric::PointsEarned,
            window: Window::RollingMonths { months: 12 },
            levels: vec![
                level("Green", "0"),
                level("Gold", "500"),
                level("Reserve", "2500"),
            ],
        }
    }

    fn beauty() -> TierPolicy {
        TierPolicy {
            metric: Metric::QualifyingSpend {
                items: ItemFilter::default(),
            },
            window: Window::CalendarYear,
            levels: vec![
                level("Insider", "0"),
                level("VIB", "350"),
                level("Rouge", "1000"),
            ],
        }
    }

    fn base(at_: NaiveDateTime) -> Standing {
        Standing {
            level: 0,
            since: at_,
            held_until: None,
            qualified_at: at_,
        }
    }

    const NY: Tz = chrono_tz::America::New_York;
    const LA: Tz = chrono_tz::America::Los_Angeles;

    #[test]
    fn crossing_500_stars_makes_gold_at_once_for_12_months() {
        let now = at("2026-03-10 15:00");
        let measures = Measures {
            window: d("510"),
            ..Measures::default()
        };
        let (gold, change) =
            after_activity(&coffee(), &base(at("2026-01-01 00:00")), &measures, NY, now).unwrap();
        assert_eq!((gold.level, change), (1, Change::Upgrade));
        assert_eq!(gold.held_until, Some(at("2027-03-10 15:00")));
    }

    #[test]
    fn earning_the_threshold_again_renews_the_hold() {
        let gold = Standing {
            level: 1,
            since: at("2026-03-10 15:00"),
            held_until: Some(at("2027-03-10 15:00")),
            qualified_at: at("2026-03-10 15:00"),
        };
        let not_yet = Measures {
            window: d("900"),
            since_qualified: d("400"),
            ..Measures::default()
        };
        assert!(after_activity(&coffee(), &gold, &not_yet, NY, at("2026-09-01 12:00")).is_none());
        let again = Measures {
            window: d("1010"),
            since_qualified: d("500"),
            ..Measures::default()
        };
        let (renewed, change) =
            after_activity(&coffee(), &gold, &again, NY, at("2026-10-01 12:00")).unwrap();
        assert_eq!(change, Change::Renewal);
        assert_eq!(renewed.held_until, Some(at("2027-10-01 12:00")));
    }

    #[test]
    fn a_rolling_hold_ends_at_the_level_still_reached() {
        let reserve = Standing {
            level: 2,
            since: at("2025-05-01 00:00"),
            held_until: Some(at("2026-05-01 00:00")),
            qualified_at: at("2025-05-01 00:00"),
        };
        let measures = Measures {
            window: d("700"),
            ..Measures::default()
        };
        assert!(at_hold_end(&coffee(), &reserve, &measures, NY, at("2026-04-30 23:59")).is_none());
        let (gold, change) =
            at_hold_end(&coffee(), &reserve, &measures, NY, at("2026-05-01 00:00")).unwrap();
        assert_eq!((gold.level, change), (1, Change::Downgrade));
        assert_eq!(gold.held_until, Some(at("2027-05-01 00:00")));
    }

    #[test]
    fn vib_reached_in_2026_is_held_through_2027_and_lost_on_1_january_2028() {
        let measures = Measures {
            window: d("360.00"),
            ..Measures::default()
        };
        let reached = at("2026-06-01 19:00");
        let (vib, _) = after_activity(
            &beauty(),
            &base(at("2026-01-01 08:00")),
            &measures,
            LA,
            reached,
        )
        .unwrap();
        assert_eq!(vib.level, 1);
        let held_until = vib.held_until.unwrap();
        assert_eq!(
            held_until,
            at("2028-01-01 08:00"),
            "midnight of 1 January 2028 in Los Angeles"
        );
        assert!(
            at_hold_end(
                &beauty(),
                &vib,
                &Measures::default(),
                LA,
                at("2027-12-31 12:00")
            )
            .is_none()
        );
        let (insider, change) =
            at_hold_end(&beauty(), &vib, &Measures::default(), LA, held_until).unwrap();
        assert_eq!(
            (insider.level, change, insider.held_until),
            (0, Change::Downgrade, None)
        );
    }

    #[test]
    fn on_1_january_last_years_spend_keeps_the_level_through_the_year() {
        let vib = Standing {
            level: 1,
            since: at("2025-03-01 00:00"),
            held_until: Some(at("2027-01-01 08:00")),
            qualified_at: at("2025-03-01 00:00"),
        };
        let measures = Measures {
            window: d("0"),
            last_year: d("400"),
            ..Measures::default()
        };
        let (kept, change) =
            at_hold_end(&beauty(), &vib, &measures, LA, at("2027-01-01 08:00")).unwrap();
        assert_eq!((kept.level, change), (1, Change::Renewal));
        assert_eq!(kept.held_until, Some(at("2028-01-01 08:00")));
    }

    #[test]
    fn invalid_ladders_are_refused() {
        let mut policy = coffee();
        policy.levels[1].threshold = d("0");
        assert!(policy.check().is_err());
        let mut policy = coffee();
        policy.levels[0].threshold = d("5");
        assert!(policy.check().is_err());
        assert!(coffee().check().is_ok());
    }
}
