//! The rewards catalogue: what members can spend points on, or receive as gifts.

pub mod admin;
mod code;
pub mod redeem;
pub mod vouchers;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::models::programs as program_rows;
use crate::db::models::rewards::{self as rows, RewardColumns, RewardRow};
use crate::db::{DbConnection, is_unique_violation};
use crate::domain::{self, bounds};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::programs::Program;

/// What a reward gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardKind {
    /// An item, worth at most `amount` if given.
    FreeItem,
    /// `amount` off.
    FixedDiscount,
    /// `percent` off.
    PercentageDiscount,
    Gift,
    Experience,
}

impl RewardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RewardKind::FreeItem => "free_item",
            RewardKind::FixedDiscount => "fixed_discount",
            RewardKind::PercentageDiscount => "percentage_discount",
            RewardKind::Gift => "gift",
            RewardKind::Experience => "experience",
        }
    }
}

/// Over which window a per-member limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LimitPeriod {
    Day,
    Week,
    Month,
    Year,
    Lifetime,
}

impl LimitPeriod {
    pub fn as_str(self) -> &'static str {
        match self {
            LimitPeriod::Day => "day",
            LimitPeriod::Week => "week",
            LimitPeriod::Month => "month",
            LimitPeriod::Year => "year",
            LimitPeriod::Lifetime => "lifetime",
        }
    }

    fn parse(s: &str) -> LimitPeriod {
        match s {
            "day" => LimitPeriod::Day,
            "week" => LimitPeriod::Week,
            "month" => LimitPeriod::Month,
            "year" => LimitPeriod::Year,
            _ => LimitPeriod::Lifetime,
        }
    }
}

/// At most `count` vouchers of a reward per member per `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberLimit {
    #[schema(minimum = 1, maximum = 1000000)]
    pub count: i32,
    pub per: LimitPeriod,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardStatus {
    #[default]
    Active,
    Disabled,
}

impl RewardStatus {
    /// The status as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            RewardStatus::Active => "active",
            RewardStatus::Disabled => "disabled",
        }
    }
}

/// A reward's definition, as an admin writes it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardDefinition {
    pub name: String,
    pub description: Option<String>,
    /// Points it costs; 0 for gifts.
    #[schema(minimum = 0, maximum = 1000000000)]
    pub cost: i64,
    pub kind: RewardKind,
    /// Money off (fixed discounts), or the most a free item may be worth, as a decimal string,
    /// 0 to 1000000000.
    #[schema(value_type = Option<String>)]
    pub amount: Option<Decimal>,
    /// Percent off (percentage discounts).
    #[schema(minimum = 1, maximum = 100)]
    pub percent: Option<i32>,
    /// The lowest tier that may redeem it.
    pub min_tier: Option<String>,
    /// Vouchers available; absent for unlimited.
    #[schema(minimum = 0, maximum = 1000000000)]
    pub stock: Option<i64>,
    pub per_member_limit: Option<MemberLimit>,
    pub active_from: Option<DateTime<Utc>>,
    pub active_until: Option<DateTime<Utc>>,
    /// Days a voucher can be used; absent for no expiry.
    #[schema(minimum = 1, maximum = 3650)]
    pub voucher_days: Option<i32>,
    /// Whether an unused voucher gives its points back when it expires. Default false.
    #[serde(default)]
    pub refund_on_expiry: bool,
    #[serde(default)]
    pub status: RewardStatus,
}

/// A reward with its slug.
#[derive(Debug, Clone)]
pub struct Reward {
    pub row: RewardRow,
}

impl RewardDefinition {
    /// Checks the definition against the program; errors name the field.
    pub(crate) fn columns(
        &self,
        program: &Program,
        now: NaiveDateTime,
    ) -> AppResult<RewardColumns> {
        let name = domain::text("name", &self.name, 200)?;
        let description = self
            .description
            .as_deref()
            .map(|d| domain::text("description", d, 2000))
            .transpose()?;
        bounds::points("cost", self.cost, 0)?;
        let amount_minor = self
            .amount
            .map(|a| {
                bounds::money("amount", a).and_then(|a| program.currency.to_minor("amount", a))
            })
            .transpose()?;
        match self.kind {
            RewardKind::FixedDiscount if amount_minor.is_none() => {
                return Err(AppError::invalid(
                    "amount",
                    "amount: a fixed discount says how much it takes off",
                ));
            }
            RewardKind::PercentageDiscount
                if !self.percent.is_some_and(|p| (1..=100).contains(&p)) =>
            {
                return Err(AppError::invalid(
                    "percent",
                    "percent: a percentage discount takes 1 to 100 percent off",
                ));
            }
            _ => {}
        }
        if let Some(tier) = &self.min_tier {
            let known = program
                .tiers
                .as_ref()
                .is_some_and(|t| t.level(tier).is_some());
            if !known {
                return Err(AppError::invalid(
                    "min_tier",
                    format!("min_tier: `{tier}` is not a tier of this program"),
                ));
            }
        }
        if let Some(stock) = self.stock {
            bounds::within("stock", stock, 0, bounds::MAX_STOCK)?;
        }
        if let Some(limit) = self.per_member_limit {
            bounds::count("per_member_limit.count", i64::from(limit.count), 1)?;
        }
        if let Some(from) = self.active_from {
            bounds::instant("active_from", from)?;
        }
        if let Some(until) = self.active_until {
            bounds::instant("active_until", until)?;
        }
        if let (Some(from), Some(until)) = (self.active_from, self.active_until)
            && from >= until
        {
            return Err(AppError::invalid(
                "active_until",
                "active_until: must be after active_from",
            ));
        }
        if let Some(days) = self.voucher_days {
            bounds::within("voucher_days", i64::from(days), 1, bounds::MAX_DAYS)?;
        }
        Ok(RewardColumns {
            name,
            description,
            cost: self.cost,
            kind: self.kind.as_str().to_owned(),
            amount_minor,
            percent: self.percent,
            min_tier: self.min_tier.clone(),
            stock: self.stock,
            per_member_limit: self.per_member_limit.map(|l| l.count),
            limit_period: self.per_member_limit.map(|l| l.per.as_str().to_owned()),
            active_from: self.active_from.map(|t| t.naive_utc()),
            active_until: self.active_until.map(|t| t.naive_utc()),
            voucher_days: self.voucher_days,
            refund_on_expiry: self.refund_on_expiry,
            status: self.status.as_str().to_owned(),
            updated_at: now,
        })
    }
}

impl Reward {
    /// The per-member limit, if any.
    pub fn member_limit(&self) -> Option<MemberLimit> {
        match (self.row.per_member_limit, self.row.limit_period.as_deref()) {
            (Some(count), Some(per)) => Some(MemberLimit {
                count,
                per: LimitPeriod::parse(per),
            }),
            _ => None,
        }
    }

    pub fn is_active_at(&self, at: NaiveDateTime) -> bool {
        self.row.status == RewardStatus::Active.as_str()
            && self.row.active_from.is_none_or(|from| at >= from)
            && self.row.active_until.is_none_or(|until| at < until)
    }
}

/// Creates a reward from `{slug, ...definition}`; 409 `reward-exists` if the slug is taken.
pub fn create(
    tx: &mut DbConnection,
    program: &Program,
    body: Value,
    now: NaiveDateTime,
) -> AppResult<Reward> {
    let (slug, rest) = crate::json::take_slug(body, "")?;
    let definition: RewardDefinition = crate::json::from_value(rest, "")?;
    let columns = definition.columns(program, now)?;
    let row = match rows::insert(tx, program.id, &slug, &columns, now) {
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::conflict(
                ErrorCode::RewardExists,
                format!("slug: a reward `{slug}` exists in this program"),
            ));
        }
        other => other?,
    };
    program_rows::bump_config_version(tx, program.id)?;
    Ok(Reward { row })
}

/// Replaces a reward's definition. Vouchers already issued keep what they were issued with.
pub fn update(
    tx: &mut DbConnection,
    program: &Program,
    slug: &str,
    definition: &RewardDefinition,
    now: NaiveDateTime,
) -> AppResult<Reward> {
    let current = require(tx, program.id, slug)?;
    let columns = definition.columns(program, now)?;
    let row = rows::update(tx, current.row.id, &columns)?;
    program_rows::bump_config_version(tx, program.id)?;
    Ok(Reward { row })
}

/// The program's reward with this slug, or 404.
pub fn require(conn: &mut DbConnection, program_id: i64, slug: &str) -> AppResult<Reward> {
    rows::find(conn, program_id, slug)?
        .map(|row| Reward { row })
        .ok_or_else(|| AppError::not_found(format!("reward: no reward `{slug}` in this program")))
}

pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    only_active: bool,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Reward>> {
    Ok(rows::list(conn, program_id, only_active, after, limit)?
        .into_iter()
        .map(|row| Reward { row })
        .collect())
}
