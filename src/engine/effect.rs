//! What a rule does when it fires.

use std::fmt::Display;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::event::ItemFilter;
use crate::domain::bounds::{self, MAX_POINTS};

/// How a fractional number of points becomes whole.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Rounding {
    #[default]
    Floor,
    /// Half away from zero.
    Nearest,
    Ceil,
}

impl Rounding {
    pub fn apply(self, value: Decimal) -> i64 {
        let rounded = match self {
            Rounding::Floor => value.floor(),
            Rounding::Nearest => value
                .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero),
            Rounding::Ceil => value.ceil(),
        };
        i64::try_from(rounded).unwrap_or(i64::MAX)
    }
}

fn one() -> Decimal {
    Decimal::ONE
}

/// One effect of a rule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Effect {
    /// `rate` points for every `per` of the eligible amount (the merchandise, less shipping,
    /// counting only the items the filter selects).
    PointsPerAmount {
        /// A decimal string, 0 to 1000.
        #[schema(value_type = String)]
        rate: Decimal,
        /// A decimal string, 0.01 to 1000000000; default 1.
        #[serde(default = "one")]
        #[schema(value_type = String)]
        per: Decimal,
        #[serde(default, skip_serializing_if = "ItemFilter::is_everything")]
        items: ItemFilter,
        /// How the event's points are rounded (the first rule's choice counts). Default floor.
        #[serde(default)]
        rounding: Rounding,
    },
    /// A fixed number of points, not multiplied.
    FixedPoints {
        #[schema(minimum = 1, maximum = 1000000000)]
        points: i64,
    },
    /// Multiplies the points earned per amount (promotions such as Double Star Days).
    Multiplier {
        /// A decimal string, 1 to 100.
        #[schema(value_type = String)]
        factor: Decimal,
    },
    /// Multiplies the points earned per amount by the member's tier multiplier.
    TierMultiplier,
    /// Pays a referred member and their referrer (never for a self-referral). Make it fire
    /// once with a lifetime limit of 1.
    ReferralBonus {
        #[schema(minimum = 0, maximum = 1000000000)]
        referrer_points: i64,
        #[schema(minimum = 0, maximum = 1000000000)]
        member_points: i64,
    },
    /// Holds the event's points pending for `days` after the event (a return window).
    Pending {
        #[schema(minimum = 1, maximum = 366)]
        days: u32,
    },
    /// Gives the member a voucher of the reward with this slug (free, from its stock).
    IssueReward { reward: String },
}

impl Effect {
    /// Checks an effect's values against their bounds; the error names the offending key.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        let range = |key: &'static str, inside: bool, min: &dyn Display, max: &dyn Display| {
            if inside {
                Ok(())
            } else {
                Err((key, bounds::between(min, max)))
            }
        };
        match self {
            Effect::PointsPerAmount { rate, per, .. } => {
                let max_rate = Decimal::from(bounds::MAX_RATE);
                range(
                    "rate",
                    *rate >= Decimal::ZERO && *rate <= max_rate,
                    &0,
                    &max_rate,
                )?;
                let max_per = Decimal::from(bounds::MAX_MONEY);
                let per_inside = *per >= bounds::MIN_PER && *per <= max_per;
                range("per", per_inside, &bounds::MIN_PER, &max_per)?;
            }
            Effect::FixedPoints { points } => {
                range("points", (1..=MAX_POINTS).contains(points), &1, &MAX_POINTS)?;
            }
            Effect::Multiplier { factor } => {
                let max = Decimal::from(bounds::MAX_MULTIPLIER);
                let inside = *factor >= Decimal::ONE && *factor <= max;
                range("factor", inside, &1, &max)?;
            }
            Effect::ReferralBonus {
                referrer_points,
                member_points,
            } => {
                let each = 0..=MAX_POINTS;
                range(
                    "referrer_points",
                    each.contains(referrer_points),
                    &0,
                    &MAX_POINTS,
                )?;
                range(
                    "member_points",
                    each.contains(member_points),
                    &0,
                    &MAX_POINTS,
                )?;
                if referrer_points + member_points == 0 {
                    return Err((
                        "referrer_points",
                        "give points at least 0 to each side, more than 0 in all".into(),
                    ));
                }
            }
            Effect::IssueReward { reward } if crate::domain::slug("reward", reward).is_err() => {
                return Err((
                    "reward",
                    "give the slug of a reward of the catalogue".into(),
                ));
            }
            Effect::Pending { days } => range("days", (1..=366).contains(days), &1, &366)?,
            _ => {}
        }
        Ok(())
    }
}
