//! Redeeming a reward: the points are debited, the stock taken and a voucher issued, in one
//! transaction; or nothing happens and the refusal says why.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::{LimitPeriod, Reward, code};
use crate::db::DbConnection;
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::db::models::rewards::{self as rows, NewRedemption, RedemptionRow, RewardRow};
use crate::db::models::stats::{self, Delta};
use crate::domain::Points;
use crate::engine::period;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::EntryKind;
use crate::ledger::posting::{self, Cause, Spend};
use crate::programs::Program;

/// How a voucher came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The member redeemed it (member token).
    Member,
    /// The storefront redeemed it for the member (API key).
    Storefront { api_key_id: i64 },
    /// A birthday gift.
    Birthday,
    /// An earning rule issued it.
    Rule,
    /// A completed challenge paid it.
    Challenge,
    /// Reaching a tier gave it.
    Tier,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Member => "member",
            Source::Storefront { .. } => "storefront",
            Source::Birthday => "birthday",
            Source::Rule => "rule",
            Source::Challenge => "challenge",
            Source::Tier => "tier",
        }
    }

    fn api_key_id(self) -> Option<i64> {
        match self {
            Source::Storefront { api_key_id } => Some(api_key_id),
            _ => None,
        }
    }
}

/// A voucher, as storefronts and members see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Voucher {
    /// The voucher's id, for `/v1/redemptions/{id}/use` and `/cancel`.
    pub id: String,
    /// What the storefront honours: `K7XQ-M2PD-9TBF`.
    pub code: String,
    /// The reward's slug.
    pub reward: String,
    pub reward_name: String,
    pub kind: String,
    /// Money off, or what a free item may be worth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<i32>,
    pub points_spent: i64,
    /// `issued`, `used`, `cancelled` or `expired`.
    pub status: String,
    /// `member`, `storefront`, `birthday`, `rule`, `challenge` or `tier`.
    pub source: String,
    pub issued_at: chrono::DateTime<chrono::Utc>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
}

impl Voucher {
    pub fn new(program: &Program, redemption: RedemptionRow, reward: &RewardRow) -> Voucher {
        Voucher {
            id: redemption.public_id,
            code: redemption.code,
            reward: reward.slug.clone(),
            reward_name: reward.name.clone(),
            kind: reward.kind.clone(),
            amount: reward
                .amount_minor
                .map(|a| program.currency.format_minor(a)),
            percent: reward.percent,
            points_spent: redemption.points_spent,
            status: redemption.status,
            source: redemption.source,
            issued_at: redemption.issued_at.and_utc(),
            expires_at: redemption.expires_at.map(|t| t.and_utc()),
            settled_at: redemption.settled_at.map(|t| t.and_utc()),
            order_id: redemption.order_id,
        }
    }
}

/// Redeems a reward for a member. Refused with 409 `reward-inactive`, `member-suspended`,
/// `member-closed`, `tier-required`, `limit-reached`, `negative-balance`,
/// `insufficient-points` or `out-of-stock`; nothing is written then.
pub fn redeem(
    tx: &mut DbConnection,
    program: &Program,
    member_id: i64,
    reward: &Reward,
    source: Source,
    now: NaiveDateTime,
) -> AppResult<Voucher> {
    if !reward.is_active_at(now) {
        return Err(AppError::conflict(
            ErrorCode::RewardInactive,
            format!("reward: `{}` cannot be redeemed now", reward.row.slug),
        ));
    }
    // The member's lock serialises its redemptions, so its limits hold under concurrency.
    let member = member_rows::lock(tx, member_id)?;
    member.status.check_may_spend("redeem")?;
    check_tier(program, &member, reward)?;
    check_limit(tx, program, &member, reward, now)?;
    let cost = reward.row.cost;
    if cost > 0 && member.points_debt > 0 {
        return Err(AppError::conflict(
            ErrorCode::NegativeBalance,
            format!(
                "the balance is negative ({}): rewards wait until it is positive again",
                -member.points_debt
            ),
        ));
    }
    if cost > member.points_available {
        return Err(AppError::conflict(
            ErrorCode::InsufficientPoints,
            format!(
                "`{}` costs {cost} points; the member has {} available",
                reward.row.slug, member.points_available
            ),
        ));
    }
    let terms = Terms {
        source,
        points_spent: cost,
        expires_at: None,
    };
    let redemption =
        issue_voucher(tx, program, &member, reward, &terms, now)?.ok_or_else(|| {
            AppError::conflict(
                ErrorCode::OutOfStock,
                format!("reward: `{}` is out of stock", reward.row.slug),
            )
        })?;
    if cost > 0 {
        let spend = Spend {
            kind: EntryKind::Redeem,
            points: Points(cost),
            cause: Cause {
                reason: Some(format!("reward {}", reward.row.slug)),
                api_key_id: source.api_key_id(),
                redemption_id: Some(redemption.id),
                ..Cause::default()
            },
        };
        let posted = posting::spend(tx, member.id, &spend, now)?;
        rows::set_entry(tx, redemption.id, posted.entry.id)?;
    }
    Ok(Voucher::new(program, redemption, &reward.row))
}

/// Gives a member a voucher of a reward for free (a birthday gift, a rule's or a challenge's
/// reward), valid until `expires_at` or for the reward's usual days. `None` when the reward
/// is inactive or out of stock.
fn gift(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    reward: &Reward,
    source: Source,
    expires_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> AppResult<Option<Voucher>> {
    if !reward.is_active_at(now) {
        return Ok(None);
    }
    let terms = Terms {
        source,
        points_spent: 0,
        expires_at,
    };
    let redemption = issue_voucher(tx, program, member, reward, &terms, now)?;
    Ok(redemption.map(|r| Voucher::new(program, r, &reward.row)))
}

/// What became of a gift named by its reward's slug.
pub enum Gift {
    Issued(Box<Voucher>),
    /// The reward is inactive or out of stock.
    Unavailable,
    /// No reward has this slug in the program.
    Missing,
}

/// [`gift`] of the reward named `slug`, which may have left the catalogue since a rule, a
/// level, a challenge or the birthday policy named it.
pub fn gift_named(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    slug: &str,
    source: Source,
    expires_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> AppResult<Gift> {
    let reward = match super::require(tx, program.id, slug) {
        Ok(reward) => reward,
        Err(AppError::NotFound(_)) => return Ok(Gift::Missing),
        Err(e) => return Err(e),
    };
    Ok(
        match gift(tx, program, member, &reward, source, expires_at, now)? {
            Some(voucher) => Gift::Issued(Box::new(voucher)),
            None => Gift::Unavailable,
        },
    )
}

/// How a voucher is issued: where from, what it costs, until when it is valid (by default the
/// reward's usual days).
struct Terms {
    source: Source,
    points_spent: i64,
    expires_at: Option<NaiveDateTime>,
}

/// Takes one from the stock and writes the voucher (its points are debited by the caller).
fn issue_voucher(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    reward: &Reward,
    terms: &Terms,
    now: NaiveDateTime,
) -> AppResult<Option<RedemptionRow>> {
    let Terms {
        source,
        points_spent,
        expires_at,
    } = *terms;
    if reward.row.stock.is_some() && !rows::take_from_stock(tx, reward.row.id)? {
        return Ok(None);
    }
    let public_id = uuid::Uuid::new_v4().to_string();
    let code = code::generate();
    let expires_at = expires_at.or_else(|| {
        reward
            .row
            .voucher_days
            .map(|days| now + Duration::days(i64::from(days)))
    });
    let new = NewRedemption {
        public_id: &public_id,
        code: &code,
        program_id: program.id,
        member_id: member.id,
        reward_id: reward.row.id,
        points_spent,
        status: "issued",
        source: source.as_str(),
        api_key_id: source.api_key_id(),
        issued_at: now,
        expires_at,
    };
    let redemption = rows::insert_redemption(tx, &new)?;
    stats::add(
        tx,
        program.id,
        now,
        &Delta {
            vouchers_issued: 1,
            ..Delta::default()
        },
    )?;
    Ok(Some(redemption))
}

fn check_tier(program: &Program, member: &MemberRow, reward: &Reward) -> AppResult<()> {
    let Some(required) = &reward.row.min_tier else {
        return Ok(());
    };
    let reached = program.tiers.as_ref().is_some_and(|policy| {
        let needed = policy.level(required).map(|(i, _)| i);
        needed.is_some_and(|needed| policy.index_of(member.tier.as_deref()) >= needed)
    });
    if reached {
        Ok(())
    } else {
        Err(AppError::conflict(
            ErrorCode::TierRequired,
            format!(
                "reward: `{}` is for {required} members and above",
                reward.row.slug
            ),
        ))
    }
}

fn check_limit(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    reward: &Reward,
    now: NaiveDateTime,
) -> AppResult<()> {
    let Some(limit) = reward.member_limit() else {
        return Ok(());
    };
    let since = window_start(program, limit.per, now);
    let held = rows::count_for_member(tx, reward.row.id, member.id, since)?;
    if held >= i64::from(limit.count) {
        return Err(AppError::conflict(
            ErrorCode::LimitReached,
            format!(
                "reward: at most {} `{}` per member per {}",
                limit.count,
                reward.row.slug,
                limit.per.as_str()
            ),
        ));
    }
    Ok(())
}

/// The start of the window a limit counts in, in program time; `None` for a lifetime.
fn window_start(program: &Program, per: LimitPeriod, now: NaiveDateTime) -> Option<NaiveDateTime> {
    let today = period::local(program.time_zone, now).date();
    let first = match per {
        LimitPeriod::Day => today,
        LimitPeriod::Week => {
            today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        }
        LimitPeriod::Month => NaiveDate::from_ymd_opt(today.year(), today.month(), 1)?,
        LimitPeriod::Year => NaiveDate::from_ymd_opt(today.year(), 1, 1)?,
        LimitPeriod::Lifetime => return None,
    };
    Some(period::start_of_day(program.time_zone, first))
}
