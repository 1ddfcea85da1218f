//! What the game layer counts: events of one type that meet conditions (the same conditions
//! earning rules use), measured as a count or as money. Badges, challenges, streaks and
//! leaderboards are all built on it.

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde_json::Value;

use super::condition::{CompiledCondition, Condition, Facts};
use super::event::{EventType, ItemFilter};
use crate::domain::Invalid;
use crate::domain::bounds::{self, MAX_TOTAL};

/// An event as the game layer sees it: the facts conditions are checked against, whether the
/// earning rules paid for it, and the program's currency places.
pub struct Play<'a> {
    pub facts: Facts<'a>,
    /// The earning rules gave the event points (a "rewarded" review).
    pub rewarded: bool,
    /// Decimal places of the program's currency: money is counted in minor units.
    pub exponent: u32,
}

impl Play<'_> {
    /// When the event happened (UTC).
    pub fn occurred_at(&self) -> NaiveDateTime {
        self.facts.event.occurred_at
    }

    /// The event's merchandise the filter selects, in minor units (fractions of a minor unit,
    /// from an order discount spread over items, are dropped).
    pub fn spend(&self, items: &ItemFilter) -> i64 {
        let amount = self.facts.event.eligible_amount(items) * scale(self.exponent);
        i64::try_from(amount.floor()).unwrap_or(i64::MAX)
    }
}

fn scale(exponent: u32) -> Decimal {
    Decimal::from(10_i64.pow(exponent))
}

/// Which events count: a type, conditions that must all hold and, optionally, only events
/// the earning rules paid for.
#[derive(Debug, Clone)]
pub struct CompiledActivity {
    pub event_type: EventType,
    conditions: Vec<CompiledCondition>,
    rewarded_only: bool,
}

impl CompiledActivity {
    /// Checks and compiles; errors name `{prefix}event_type` or `{prefix}conditions[i].part`.
    pub fn compile(
        event_type: &str,
        conditions: &[Condition],
        rewarded_only: bool,
        prefix: &str,
    ) -> Result<Self, Invalid> {
        let event_type = EventType::parse(event_type).map_err(|e| {
            Invalid::new(
                format!("{prefix}event_type"),
                format!("{prefix}event_type: {e}"),
            )
        })?;
        if event_type == EventType::Refund {
            return Err(Invalid::new(
                format!("{prefix}event_type"),
                format!("{prefix}event_type: refunds are not activity the game layer counts"),
            ));
        }
        let conditions = conditions
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.compile().map_err(|(part, detail)| {
                    let field = format!("{prefix}conditions[{i}].{part}");
                    Invalid::new(field.clone(), format!("{field}: {detail}"))
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(CompiledActivity {
            event_type,
            conditions,
            rewarded_only,
        })
    }

    /// Whether the event counts.
    pub fn matches(&self, play: &Play<'_>) -> bool {
        play.facts.event.kind == self.event_type
            && (!self.rewarded_only || play.rewarded)
            && self.conditions.iter().all(|c| c.holds(&play.facts))
    }
}

/// How much a counted event adds.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// One per event.
    Count,
    /// The merchandise the filter selects, in minor units.
    Spend(ItemFilter),
}

impl Measure {
    pub fn of(&self, play: &Play<'_>) -> i64 {
        match self {
            Measure::Count => 1,
            Measure::Spend(items) => play.spend(items),
        }
    }

    /// Money for spend, a whole number otherwise.
    pub fn is_money(&self) -> bool {
        matches!(self, Measure::Spend(_))
    }

    /// A target or threshold as an admin writes it (`3`, `"75.00"`), in this measure's units:
    /// a count of 1 to [`bounds::MAX_COUNT`], or money above 0 and up to [`MAX_TOTAL`] major units.
    pub fn units(&self, value: &Value, field: &str, exponent: u32) -> Result<i64, Invalid> {
        let wrong = |expected: &str| Invalid::new(field, format!("{field}: {expected}"));
        let decimal = match value {
            Value::Number(n) => n.to_string().parse::<Decimal>().ok(),
            Value::String(s) => s.trim().parse::<Decimal>().ok(),
            _ => None,
        };
        match self {
            Measure::Count => decimal
                .filter(|d| d.fract().is_zero() && *d >= Decimal::ONE)
                .and_then(|d| i64::try_from(d).ok())
                .ok_or_else(|| wrong("give a whole number, at least 1"))
                .and_then(|n| bounds::count(field, n, 1)),
            Measure::Spend(_) => {
                let amount = decimal
                    .filter(|d| *d > Decimal::ZERO)
                    .ok_or_else(|| wrong("give an amount above 0, as a decimal string"))?;
                if amount > Decimal::from(MAX_TOTAL) {
                    return Err(wrong(&format!("must be at most {MAX_TOTAL}")));
                }
                // Bounded above, so scaling to minor units fits.
                let scaled = amount * scale(exponent);
                if !scaled.fract().is_zero() {
                    return Err(wrong(&format!("give at most {exponent} decimal places")));
                }
                i64::try_from(scaled).map_err(|_| wrong("the amount is too large"))
            }
        }
    }

    /// Units as members read them: a number, or money as a decimal string.
    pub fn display(&self, units: i64, exponent: u32) -> Value {
        match self {
            Measure::Count => Value::from(units),
            Measure::Spend(_) => {
                let mut amount = Decimal::new(units, exponent);
                amount.rescale(exponent);
                Value::from(amount.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests_support::{play_of, purchase};

    #[test]
    fn conditions_type_and_reward_decide_what_counts() {
        let cond: Condition = serde_json::from_value(
            serde_json::json!({"field": "amount", "op": "gte", "value": "10.00"}),
        )
        .unwrap();
        let activity =
            CompiledActivity::compile("purchase", std::slice::from_ref(&cond), false, "").unwrap();
        let big = purchase("12.00", &[]);
        let small = purchase("9.99", &[]);
        assert!(activity.matches(&play_of(&big, true)));
        assert!(!activity.matches(&play_of(&small, true)));
        let rewarded = CompiledActivity::compile("purchase", &[], true, "").unwrap();
        assert!(!rewarded.matches(&play_of(&big, false)));
        assert!(rewarded.matches(&play_of(&big, true)));
    }

    #[test]
    fn refunds_and_bad_conditions_are_refused_with_the_field() {
        let err = CompiledActivity::compile("refund", &[], false, "goal.").unwrap_err();
        assert!(err.to_string().starts_with("goal.event_type"), "{err}");
        let cond: Condition =
            serde_json::from_value(serde_json::json!({"field": "nope", "op": "eq", "value": 1}))
                .unwrap();
        let err = CompiledActivity::compile("purchase", &[cond], false, "goal.").unwrap_err();
        assert!(
            err.to_string().starts_with("goal.conditions[0].field"),
            "{err}"
        );
    }

    #[test]
    fn spend_counts_the_filtered_items_in_minor_units() {
        let event = purchase("80.00", &[("skincare", "50.00"), ("makeup", "30.00")]);
        let skincare = Measure::Spend(ItemFilter {
            categories: vec!["skincare".into()],
            ..ItemFilter::default()
        });
        assert_eq!(skincare.of(&play_of(&event, true)), 5000);
        assert_eq!(Measure::Count.of(&play_of(&event, true)), 1);
    }

    #[test]
    fn targets_are_whole_counts_or_money_with_the_currency_places() {
        let spend = Measure::Spend(ItemFilter::default());
        assert_eq!(spend.units(&Value::from("75.00"), "t", 2).unwrap(), 7500);
        assert_eq!(spend.units(&Value::from(75), "t", 2).unwrap(), 7500);
        assert!(spend.units(&Value::from("1.005"), "t", 2).is_err());
        assert!(spend.units(&Value::from("0"), "t", 2).is_err());
        assert_eq!(Measure::Count.units(&Value::from(3), "t", 2).unwrap(), 3);
        assert!(Measure::Count.units(&Value::from(2.5), "t", 2).is_err());
        assert!(Measure::Count.units(&Value::from(0), "t", 2).is_err());
        assert_eq!(spend.display(7500, 2), Value::from("75.00"));
        assert_eq!(Measure::Count.display(3, 2), Value::from(3));
    }
}
