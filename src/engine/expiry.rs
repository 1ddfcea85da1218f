//! When points expire: never; each lot on the first day of the Nth month after the month it
//! was earned in; or the whole balance after N months without a purchase or redemption.
//! Levels flagged `points_never_expire` protect their holders from either.

use chrono::{Datelike, Months, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::period;
use crate::domain::Invalid;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExpiryPolicy {
    #[default]
    Never,
    /// Each lot expires at 00:00 (program time) on the first day of the `months`-th month
    /// after the month it was earned in: earned 2025-12-15 with 7 months, gone 2026-07-01.
    LotMonths {
        #[schema(minimum = 1, maximum = 120)]
        months: u32,
    },
    /// The whole balance expires after `months` months with no purchase and no redemption.
    InactivityMonths {
        #[schema(minimum = 1, maximum = 120)]
        months: u32,
    },
}

impl ExpiryPolicy {
    pub fn check(&self) -> Result<(), Invalid> {
        match self {
            ExpiryPolicy::LotMonths { months } | ExpiryPolicy::InactivityMonths { months }
                if !(1..=120).contains(months) =>
            {
                Err(Invalid::new(
                    "expiry.months",
                    "expiry.months: must be between 1 and 120",
                ))
            }
            _ => Ok(()),
        }
    }

    /// When a lot earned at `earned_at` expires, if lots expire one by one.
    pub fn lot_expiry(&self, tz: Tz, earned_at: NaiveDateTime) -> Option<NaiveDateTime> {
        let ExpiryPolicy::LotMonths { months } = self else {
            return None;
        };
        let local = period::local(tz, earned_at).date();
        let first = NaiveDate::from_ymd_opt(local.year(), local.month(), 1)?
            .checked_add_months(Months::new(*months))?;
        Some(period::start_of_day(tz, first))
    }

    /// The last activity before which a balance has lapsed by `now`, if balances lapse.
    pub fn inactive_since(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        let ExpiryPolicy::InactivityMonths { months } = self else {
            return None;
        };
        now.checked_sub_months(Months::new(*months))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn stars_earned_mid_december_expire_on_1_july_at_midnight_in_new_york() {
        let policy = ExpiryPolicy::LotMonths { months: 7 };
        let expiry = policy
            .lot_expiry(chrono_tz::America::New_York, at("2025-12-15 18:00"))
            .unwrap();
        assert_eq!(expiry, at("2026-07-01 04:00"), "00:00 EDT is 04:00 UTC");
    }

    #[test]
    fn the_earning_month_is_counted_in_program_time() {
        let policy = ExpiryPolicy::LotMonths { months: 7 };
        let new_years_eve_in_ny = at("2026-01-01 03:00");
        assert_eq!(
            policy
                .lot_expiry(chrono_tz::America::New_York, new_years_eve_in_ny)
                .unwrap(),
            at("2026-07-01 04:00")
        );
    }

    #[test]
    fn balances_lapse_after_months_of_inactivity() {
        let policy = ExpiryPolicy::InactivityMonths { months: 18 };
        assert_eq!(
            policy.inactive_since(at("2027-12-01 00:00")),
            Some(at("2026-06-01 00:00"))
        );
        assert_eq!(
            ExpiryPolicy::Never.lot_expiry(chrono_tz::UTC, at("2026-01-01 00:00")),
            None
        );
    }
}
