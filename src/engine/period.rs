//! Days, weeks and months as a person in the program's time zone counts them.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A window for limits and counters.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    Day,
    /// Monday to Sunday.
    Week,
    Month,
    Lifetime,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Lifetime => "lifetime",
        }
    }

    /// The key of the window that contains `local` (a local date and time):
    /// `2026-11-23`, `2026-W48`, `2026-11` or `lifetime`.
    pub fn key(self, local: NaiveDateTime) -> String {
        let date = local.date();
        match self {
            Period::Day => date.format("%Y-%m-%d").to_string(),
            Period::Week => {
                let week = date.iso_week();
                format!("{}-W{:02}", week.year(), week.week())
            }
            Period::Month => date.format("%Y-%m").to_string(),
            Period::Lifetime => "lifetime".to_owned(),
        }
    }
}

/// A UTC time as local time in `tz`.
pub fn local(tz: Tz, utc: NaiveDateTime) -> NaiveDateTime {
    tz.from_utc_datetime(&utc).naive_local()
}

/// The UTC instant of local midnight at the start of `date` in `tz`. On a day whose midnight
/// does not exist (a daylight-saving jump at 00:00), the first instant of the day that does.
pub fn start_of_day(tz: Tz, date: NaiveDate) -> NaiveDateTime {
    let mut minute = date.and_time(chrono::NaiveTime::MIN);
    for _ in 0..180 {
        if let Some(instant) = tz.from_local_datetime(&minute).earliest() {
            return instant.naive_utc();
        }
        minute += chrono::Duration::minutes(1);
    }
    date.and_time(chrono::NaiveTime::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn a_late_evening_in_new_york_is_still_that_day_there() {
        let utc = at("2026-03-04 03:30");
        let ny = local(chrono_tz::America::New_York, utc);
        assert_eq!(Period::Day.key(ny), "2026-03-03");
        assert_eq!(Period::Day.key(utc), "2026-03-04");
    }

    #[test]
    fn weeks_run_monday_to_sunday() {
        assert_eq!(Period::Week.key(at("2026-11-22 23:59")), "2026-W47");
        assert_eq!(Period::Week.key(at("2026-11-23 00:00")), "2026-W48");
        assert_eq!(Period::Month.key(at("2026-11-30 12:00")), "2026-11");
    }

    #[test]
    fn local_midnight_follows_daylight_saving() {
        let ny = chrono_tz::America::New_York;
        let summer = NaiveDate::from_ymd_opt(2026, 7, 1).unwrap();
        assert_eq!(start_of_day(ny, summer), at("2026-07-01 04:00"));
        let winter = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        assert_eq!(start_of_day(ny, winter), at("2026-01-01 05:00"));
    }
}
