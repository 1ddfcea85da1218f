//! Windows of time in program time: a fixed span, or every day, week (Monday to Sunday) or
//! month, each with a key (`2026-11-23`, `2026-W48`, `2026-11`, `fixed`) and UTC bounds.
//! Challenges run in them and leaderboards add up scores over them.

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::period::{self, Period};

/// How often a recurring challenge starts again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    Day,
    /// Monday to Sunday.
    Week,
    Month,
}

impl Every {
    fn period(self) -> Period {
        match self {
            Every::Day => Period::Day,
            Every::Week => Period::Week,
            Every::Month => Period::Month,
        }
    }
}

/// A challenge's window, compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompiledWindow {
    Fixed {
        starts_at: NaiveDateTime,
        ends_at: NaiveDateTime,
    },
    Recurring(Every),
}

/// One window of a challenge: its key (`2026-W48`, `2026-11`, `fixed`) and UTC bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowRef {
    pub key: String,
    pub starts_at: NaiveDateTime,
    /// Exclusive.
    pub ends_at: NaiveDateTime,
}

impl CompiledWindow {
    /// The window that contains `at`, if any.
    pub fn at(&self, tz: Tz, at: NaiveDateTime) -> Option<WindowRef> {
        match *self {
            CompiledWindow::Fixed { starts_at, ends_at } => {
                (starts_at..ends_at).contains(&at).then(|| WindowRef {
                    key: "fixed".to_owned(),
                    starts_at,
                    ends_at,
                })
            }
            CompiledWindow::Recurring(every) => {
                let local = period::local(tz, at);
                let (first, next) = calendar_bounds(every, local.date())?;
                Some(WindowRef {
                    key: every.period().key(local),
                    starts_at: period::start_of_day(tz, first),
                    ends_at: period::start_of_day(tz, next),
                })
            }
        }
    }

    /// The window a member sees at `now`: the current one; for a fixed window not yet begun,
    /// the coming one; `None` once a fixed window has ended.
    pub fn current_or_next(&self, tz: Tz, now: NaiveDateTime) -> Option<WindowRef> {
        match *self {
            CompiledWindow::Fixed { starts_at, ends_at } if now < starts_at => Some(WindowRef {
                key: "fixed".to_owned(),
                starts_at,
                ends_at,
            }),
            _ => self.at(tz, now),
        }
    }
}

/// The first day of the day, week or month containing `date`, and the first day after it.
fn calendar_bounds(every: Every, date: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    match every {
        Every::Day => Some((date, date + Duration::days(1))),
        Every::Week => {
            let monday = date - Duration::days(i64::from(date.weekday().num_days_from_monday()));
            Some((monday, monday + Duration::weeks(1)))
        }
        Every::Month => {
            let first = date.with_day(1)?;
            Some((first, first.checked_add_months(Months::new(1))?))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests_support::{at, local_at};

    #[test]
    fn weekly_windows_turn_at_midnight_sunday_to_monday_in_the_program_time_zone() {
        let ny = chrono_tz::America::New_York;
        let window = CompiledWindow::Recurring(Every::Week);
        let sunday_night = window.at(ny, local_at(ny, "2026-11-29 23:59")).unwrap();
        let monday = window.at(ny, local_at(ny, "2026-11-30 00:00")).unwrap();
        assert_eq!(sunday_night.key, "2026-W48");
        assert_eq!(monday.key, "2026-W49");
        assert_eq!(sunday_night.ends_at, monday.starts_at);
        assert_eq!(monday.starts_at, at("2026-11-30 05:00"));
        assert_eq!(sunday_night.starts_at, at("2026-11-23 05:00"));
        // 03:00 UTC on Monday is still Sunday evening in New York.
        assert_eq!(
            window.at(ny, at("2026-11-30 03:00")).unwrap().key,
            "2026-W48"
        );
    }

    #[test]
    fn monthly_and_daily_windows_and_fixed_dates() {
        let month = CompiledWindow::Recurring(Every::Month)
            .at(chrono_tz::UTC, at("2026-12-31 23:00"))
            .unwrap();
        assert_eq!(month.key, "2026-12");
        assert_eq!(month.ends_at, at("2027-01-01 00:00"));
        let day = CompiledWindow::Recurring(Every::Day)
            .at(chrono_tz::UTC, at("2026-12-31 23:00"))
            .unwrap();
        assert_eq!(
            (day.key.as_str(), day.starts_at),
            ("2026-12-31", at("2026-12-31 00:00"))
        );
        let fixed = CompiledWindow::Fixed {
            starts_at: at("2026-12-01 00:00"),
            ends_at: at("2026-12-08 00:00"),
        };
        assert_eq!(fixed.at(chrono_tz::UTC, at("2026-12-08 00:00")), None);
        assert_eq!(
            fixed
                .at(chrono_tz::UTC, at("2026-12-07 23:59"))
                .unwrap()
                .key,
            "fixed"
        );
        assert!(
            fixed
                .current_or_next(chrono_tz::UTC, at("2026-11-01 00:00"))
                .is_some()
        );
        assert!(
            fixed
                .current_or_next(chrono_tz::UTC, at("2026-12-09 00:00"))
                .is_none()
        );
    }
}
