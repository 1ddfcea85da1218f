//! What a program costs the brand, for its return on investment.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::bounds;
use crate::error::AppError;

/// Set with `PATCH /v1/admin/programs/{program}` (`analytics`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyticsSettings {
    /// What running the program costs per month (staff, software, marketing), in the
    /// program's currency, as a decimal string, 0 to 1000000000 with at most 6 decimal places.
    /// Rewards are counted apart, at point value.
    #[schema(value_type = String)]
    pub program_cost_per_month: Decimal,
    /// The share of members' net revenue attributed to the program (the incremental revenue,
    /// as measured by a holdout test, say), between 0 and 1.
    #[schema(value_type = String)]
    pub attributed_revenue_share: Decimal,
}

impl AnalyticsSettings {
    pub fn check(&self) -> Result<(), AppError> {
        let cost = bounds::money(
            "analytics.program_cost_per_month",
            self.program_cost_per_month,
        )?;
        // A cost of a few millionths still divides the ROI inside a decimal.
        if cost.normalize().scale() > 6 {
            return Err(AppError::invalid(
                "analytics.program_cost_per_month",
                "analytics.program_cost_per_month: at most 6 decimal places",
            ));
        }
        if self.attributed_revenue_share < Decimal::ZERO
            || self.attributed_revenue_share > Decimal::ONE
        {
            return Err(AppError::invalid(
                "analytics.attributed_revenue_share",
                "analytics.attributed_revenue_share: must be between 0 and 1",
            ));
        }
        Ok(())
    }
}
