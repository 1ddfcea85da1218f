//! What a rule does when it fires.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::event::ItemFilter;

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
        #[schema(value_type = String)]
        rate: Decimal,
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
    FixedPoints { points: i64 },
    /// Multiplies the points earned per amount (promotions such as Double Star Days).
    Multiplier {
        #[schema(value_type = String)]
        factor: Decimal,
    },
    /// Multiplies the points earned per amount by the member's tier multiplier.
    TierMultiplier,
    /// Pays a referred member and their referrer (never for a self-referral). Make it fire
    /// once with a lifetime limit of 1.
    ReferralBonus {
        referrer_points: i64,
        member_points: i64,
    },
    /// Holds the event's points pending for `days` after the event (a return window).
    Pending { days: u32 },
    /// Gives the member a voucher of the reward with this slug (free, from its stock).
    IssueReward { reward: String },
}

impl Effect {
    /// Checks an effect's values; the error names the offending key.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        match self {
            Effect::PointsPerAmount { rate, per, .. } => {
                if rate.is_sign_negative() {
                    return Err(("rate", "must be at least 0".into()));
                }
                if *per <= Decimal::ZERO {
                    return Err(("per", "must be more than 0".into()));
                }
            }
            Effect::FixedPoints { points } if *points <= 0 => {
                return Err(("points", "must be more than 0".into()));
            }
            Effect::Multiplier { factor }
                if *factor < Decimal::ONE || *factor > Decimal::from(100) =>
            {
                return Err(("factor", "must be between 1 and 100".into()));
            }
            Effect::ReferralBonus {
                referrer_points,
                member_points,
            } if *referrer_points < 0
                || *member_points < 0
                || referrer_points + member_points == 0 =>
            {
                return Err((
                    "referrer_points",
                    "give points at least 0 to each side, more than 0 in all".into(),
                ));
            }
            Effect::IssueReward { reward } if crate::domain::slug("reward", reward).is_err() => {
                return Err((
                    "reward",
                    "give the slug of a reward of the catalogue".into(),
                ));
            }
            Effect::Pending { days } if *days == 0 || *days > 366 => {
                return Err(("days", "must be between 1 and 366".into()));
            }
            _ => {}
        }
        Ok(())
    }
}
