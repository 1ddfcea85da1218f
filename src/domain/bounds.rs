//! The largest numbers Fidelio takes, in one place. Each is far above what a real program
//! uses, and low enough that nothing stored can overflow a product or a sum computed later:
//!
//! - a rule's points from an amount are at most `MAX_MONEY / MIN_PER x MAX_RATE` (10^14)
//!   before multipliers; the engine computes them in decimals (up to 7.9 * 10^28) with
//!   checked arithmetic and caps what an event's rules pay at [`MAX_POINTS`];
//! - every ledger entry moves at most [`MAX_POINTS`] (10^9), so a sum of entries (a balance,
//!   the analytics' points issued, the liability) leaves an `i64` only past 9.2 * 10^9 entries
//!   at the bound;
//! - every amount is at most [`MAX_MONEY`] major units, at most 10^12 minor units (three
//!   decimal places), so a sum of money (revenue, a member's spend) leaves an `i64` only past
//!   9.2 million purchases at the bound in one sum: 9.2 * 10^15 of money, beyond any program.
//!
//! Each check returns an [`Invalid`] naming the field, which the edge answers with a 422.

use std::fmt::Display;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::Invalid;

/// Points one ledger entry moves: an adjustment, a burn at checkout, a rule's fixed points,
/// a referral bonus, a badge's or challenge's bonus, a reward's cost; also what one event's
/// earning rules pay in all.
pub const MAX_POINTS: i64 = 1_000_000_000;

/// Money in one amount, in the currency's major units: an event's amount or shipping, an
/// item's unit price, a line (price x quantity), an event's items together, a reward's
/// amount, a program's monthly cost.
pub const MAX_MONEY: i64 = 1_000_000_000;

/// A total over many events, in points or major units: tier thresholds, badge and challenge
/// sums, a rule's points limit.
pub const MAX_TOTAL: i64 = 1_000_000_000_000;

/// A count: an item's quantity, a count limit, a count target or threshold, a streak length,
/// a reward's per-member limit.
pub const MAX_COUNT: i64 = 1_000_000;

/// A rule's priority, either way (rules are ordered by its negation).
pub const MAX_PRIORITY: i32 = 1_000_000;

/// Vouchers a reward has in stock.
pub const MAX_STOCK: i64 = 1_000_000_000;

/// A `points_per_amount` rule's `rate`: points per `per` of money.
pub const MAX_RATE: i64 = 1_000;

/// The smallest `per` of a `points_per_amount` rule (the largest is [`MAX_MONEY`]).
pub const MIN_PER: Decimal = Decimal::from_parts(1, 0, 0, false, 2);

/// Earning multipliers: a rule's `factor`, a tier's `multiplier`.
pub const MAX_MULTIPLIER: i64 = 100;

/// What one point may be worth, in major units.
pub const MAX_POINT_VALUE: i64 = 1_000;

/// Days a voucher or a birthday reward stays valid.
pub const MAX_DAYS: i64 = 3_650;

// What the module's comment promises of sums, checked when compiling: entries at the bound
// fill an i64 only after billions of them; money in minor units of a three-decimal currency
// after millions of events; totals fit in minor units.
const _: () = {
    assert!(i64::MAX / MAX_POINTS > 9_000_000_000);
    assert!(i64::MAX / (MAX_MONEY * 1000) > 9_000_000);
    assert!(MAX_TOTAL.checked_mul(1000).is_some());
};

/// The first and last years of a time or a day a client names: PostgreSQL's timestamps
/// begin in 4713 BC and chrono's arithmetic ends at year 262143, both far outside.
pub const YEARS: std::ops::RangeInclusive<i32> = 1..=9999;

/// An instant whose year lies in [`YEARS`].
pub fn instant(field: &str, value: DateTime<Utc>) -> Result<DateTime<Utc>, Invalid> {
    day(field, value.date_naive()).map(|_| value)
}

/// A day whose year lies in [`YEARS`].
pub fn day(field: &str, value: NaiveDate) -> Result<NaiveDate, Invalid> {
    if YEARS.contains(&value.year()) {
        Ok(value)
    } else {
        Err(Invalid::new(
            field,
            format!(
                "{field}: the year must be between {} and {}",
                YEARS.start(),
                YEARS.end()
            ),
        ))
    }
}

/// `value` if it lies in `min..=max`; otherwise why not, naming `field`.
pub fn within(field: &str, value: i64, min: i64, max: i64) -> Result<i64, Invalid> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(out_of_range(field, min, max))
    }
}

/// `value` if it lies in `min..=max` (`-0` is 0); otherwise why not, naming `field`.
pub fn decimal_within(
    field: &str,
    value: Decimal,
    min: Decimal,
    max: Decimal,
) -> Result<Decimal, Invalid> {
    if value >= min && value <= max {
        Ok(value)
    } else {
        Err(out_of_range(field, min.normalize(), max.normalize()))
    }
}

/// An amount of money: 0 to [`MAX_MONEY`] major units.
pub fn money(field: &str, value: Decimal) -> Result<Decimal, Invalid> {
    decimal_within(field, value, Decimal::ZERO, Decimal::from(MAX_MONEY))
}

/// Points of one entry: `min` to [`MAX_POINTS`].
pub fn points(field: &str, value: i64, min: i64) -> Result<i64, Invalid> {
    within(field, value, min, MAX_POINTS)
}

/// A count: `min` to [`MAX_COUNT`].
pub fn count(field: &str, value: i64, min: i64) -> Result<i64, Invalid> {
    within(field, value, min, MAX_COUNT)
}

fn out_of_range(field: &str, min: impl Display, max: impl Display) -> Invalid {
    Invalid::new(field, format!("{field}: {}", between(min, max)))
}

/// What a number out of its bounds is told: `must be between {min} and {max}`.
pub fn between(min: impl Display, max: impl Display) -> String {
    format!("must be between {min} and {max}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn numbers_inside_the_bounds_pass_and_others_name_the_field() {
        assert_eq!(points("points", MAX_POINTS, 1), Ok(MAX_POINTS));
        let err = points("points", MAX_POINTS + 1, 1).unwrap_err();
        assert_eq!(err.field, "points");
        assert_eq!(err.detail, "points: must be between 1 and 1000000000");
        assert!(points("points", 0, 1).is_err());
        assert!(count("items[2].quantity", MAX_COUNT + 1, 1).is_err());
        assert_eq!(money("amount", d("1000000000.00")), Ok(d("1000000000.00")));
        assert_eq!(
            money("items[2].unit_price", d("1000000000.01"))
                .unwrap_err()
                .field,
            "items[2].unit_price"
        );
        assert!(money("amount", d("-0.01")).is_err());
        assert!(money("amount", d("-0")).is_ok(), "-0 is 0");
        assert!(money("amount", d("0.0000000000000000000000000001")).is_ok());
        assert!(money("amount", Decimal::MAX).is_err());
    }

    #[test]
    fn times_and_days_lie_in_years_1_to_9999() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert!(instant("occurred_at", at("0001-01-01T00:00:00Z")).is_ok());
        assert!(instant("occurred_at", at("9999-12-31T23:59:59Z")).is_ok());
        let err = instant("occurred_at", at("-200000-01-01T00:00:00Z")).unwrap_err();
        assert_eq!(err.field, "occurred_at");
        assert!(day("from", NaiveDate::MIN).is_err());
        assert!(day("to", NaiveDate::from_ymd_opt(10000, 1, 1).unwrap()).is_err());
    }

    #[test]
    fn the_largest_points_per_amount_stays_inside_a_decimal_and_an_i64() {
        // The largest base of one rule: every unit of the largest amount at the largest rate
        // per the smallest `per`, then one multiplier of each kind.
        let base = Decimal::from(MAX_MONEY) / MIN_PER * Decimal::from(MAX_RATE);
        let multiplied = base * Decimal::from(MAX_MULTIPLIER) * Decimal::from(MAX_MULTIPLIER);
        assert!(multiplied < Decimal::from(i64::MAX));
    }
}
