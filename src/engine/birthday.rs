//! Birthday rewards: once a year, on the member's birthday in program time.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::period;
use crate::domain::{Invalid, bounds};

/// Days after a birthday within which a missed run still grants its reward.
pub const GRACE_DAYS: i64 = 7;

/// How long a birthday reward can be used.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Validity {
    /// `days` days from the birthday; `by_tier` overrides it for some levels.
    Days {
        #[schema(minimum = 1, maximum = 3650)]
        days: u32,
        /// Days per level name, 1 to 3650 each.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        by_tier: BTreeMap<String, u32>,
    },
    /// Until the end of the birthday month.
    EndOfMonth,
}

/// A program's birthday reward.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BirthdayPolicy {
    /// The slug of the reward granted (a cost-0 reward of the catalogue).
    pub reward: String,
    pub validity: Validity,
}

impl BirthdayPolicy {
    pub fn check(&self) -> Result<(), Invalid> {
        crate::domain::slug("birthday.reward", &self.reward)?;
        if let Validity::Days { days, by_tier } = &self.validity {
            bounds::within(
                "birthday.validity.days",
                i64::from(*days),
                1,
                bounds::MAX_DAYS,
            )?;
            for (tier, days) in by_tier {
                let field = format!("birthday.validity.by_tier.{tier}");
                bounds::within(&field, i64::from(*days), 1, bounds::MAX_DAYS)?;
            }
        }
        Ok(())
    }

    /// When a reward granted for the birthday on `date` stops being valid (exclusive).
    pub fn valid_until(&self, tz: Tz, date: NaiveDate, tier: Option<&str>) -> NaiveDateTime {
        let end = match &self.validity {
            Validity::Days { days, by_tier } => {
                let days = tier.and_then(|t| by_tier.get(t)).copied().unwrap_or(*days);
                date + Duration::days(i64::from(days))
            }
            Validity::EndOfMonth => NaiveDate::from_ymd_opt(date.year(), date.month(), 1)
                .and_then(|first| first.checked_add_months(Months::new(1)))
                .unwrap_or(date + Duration::days(1)),
        };
        period::start_of_day(tz, end)
    }
}

/// This year's birthday of someone born on `birthday` (29 February is 28 February in common
/// years).
pub fn birthday_in(year: i32, birthday: NaiveDate) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, birthday.month(), birthday.day())
        .or_else(|| NaiveDate::from_ymd_opt(year, birthday.month(), birthday.day() - 1))
}

/// The birthdays (month * 100 + day) celebrated on `day`: its own, and in a common year's
/// 28 February also 29 February's.
pub fn celebrated_on(day: NaiveDate) -> Vec<i32> {
    let mut keys = vec![month_day(day)];
    if day.month() == 2 && day.day() == 28 && NaiveDate::from_ymd_opt(day.year(), 2, 29).is_none() {
        keys.push(229);
    }
    keys
}

pub fn month_day(date: NaiveDate) -> i32 {
    (date.month() * 100 + date.day()) as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn validity_depends_on_the_tier_or_ends_with_the_month() {
        let coffee = BirthdayPolicy {
            reward: "birthday-treat".into(),
            validity: Validity::Days {
                days: 1,
                by_tier: [("Gold".to_owned(), 7), ("Reserve".to_owned(), 30)].into(),
            },
        };
        let ny = chrono_tz::America::New_York;
        let day = date("2026-03-14");
        assert_eq!(
            coffee.valid_until(ny, day, Some("Green")),
            period::start_of_day(ny, date("2026-03-15"))
        );
        assert_eq!(
            coffee.valid_until(ny, day, Some("Gold")),
            period::start_of_day(ny, date("2026-03-21"))
        );
        let beauty = BirthdayPolicy {
            reward: "birthday-gift".into(),
            validity: Validity::EndOfMonth,
        };
        let la = chrono_tz::America::Los_Angeles;
        assert_eq!(
            beauty.valid_until(la, day, None),
            period::start_of_day(la, date("2026-04-01"))
        );
    }

    #[test]
    fn leap_day_birthdays_fall_on_28_february_in_common_years() {
        assert_eq!(
            birthday_in(2027, date("2000-02-29")),
            Some(date("2027-02-28"))
        );
        assert_eq!(celebrated_on(date("2027-02-28")), [228, 229]);
        assert_eq!(celebrated_on(date("2028-02-28")), [228]);
        assert_eq!(celebrated_on(date("2026-03-14")), [314]);
    }
}
