//! Moving points by hand: a storefront burning points at checkout, or an adjustment by a
//! storefront or an admin. Each runs inside the caller's (idempotent) transaction.

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::models::members::MemberRow;
use crate::domain::bounds::{self, MAX_POINTS};
use crate::domain::{self, Points};
use crate::error::{AppError, AppResult};
use crate::ledger::EntryKind;
use crate::ledger::posting::{self, Cause, Credit, Posted, Spend};
use crate::programs::Program;

/// Points burnt at checkout.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemPoints {
    /// How many points to take.
    #[schema(minimum = 1, maximum = 1000000000)]
    pub points: i64,
    /// The storefront's order the points paid for.
    pub order_id: Option<String>,
    pub reason: Option<String>,
}

/// A correction of a member's points.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustPoints {
    /// Points to add (positive) or take (negative); not 0.
    #[schema(minimum = -1000000000, maximum = 1000000000)]
    pub points: i64,
    /// Why; kept in the ledger.
    pub reason: String,
}

/// Who moves the points.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    ApiKey(i64),
    Admin(i64),
}

impl Actor {
    fn cause(self, reason: Option<String>, order_id: Option<String>) -> Cause {
        let (api_key_id, admin_id) = match self {
            Actor::ApiKey(id) => (Some(id), None),
            Actor::Admin(id) => (None, Some(id)),
        };
        Cause {
            reason,
            order_id,
            api_key_id,
            admin_id,
            ..Cause::default()
        }
    }
}

/// Burns points at checkout from the locked `member`: 409 `insufficient-points` (or
/// `negative-balance`) when the released points do not cover them.
pub fn redeem(
    tx: &mut DbConnection,
    member: &MemberRow,
    input: &RedeemPoints,
    actor: Actor,
    now: NaiveDateTime,
) -> AppResult<Posted> {
    bounds::points("points", input.points, 1)?;
    let order_id = input
        .order_id
        .as_deref()
        .map(|o| domain::text("order_id", o, 128))
        .transpose()?;
    let reason = input
        .reason
        .as_deref()
        .map(|r| domain::text("reason", r, 500))
        .transpose()?;
    member.status.check_may_spend("spend points")?;
    let spend = Spend {
        kind: EntryKind::Redeem,
        points: Points(input.points),
        cause: actor.cause(reason, order_id),
    };
    posting::spend(tx, member.id, &spend, now)
}

/// Adds or takes points by hand, to or from the locked `member` of `program`. Taking is
/// refused like a redemption when the released points do not cover it. Added points are
/// available at once and expire as the program's lots do.
pub fn adjust(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    input: &AdjustPoints,
    actor: Actor,
    now: NaiveDateTime,
) -> AppResult<Posted> {
    bounds::within("points", input.points, -MAX_POINTS, MAX_POINTS)?;
    if input.points == 0 {
        return Err(AppError::invalid("points", "points: must not be 0"));
    }
    let reason = domain::text("reason", &input.reason, 500)?;
    member.status.check_open()?;
    let cause = actor.cause(Some(reason), None);
    if input.points < 0 {
        let spend = Spend {
            kind: EntryKind::Adjust,
            points: Points(-input.points),
            cause,
        };
        return posting::spend(tx, member.id, &spend, now);
    }
    let credit = Credit {
        kind: EntryKind::Adjust,
        points: Points(input.points),
        available_at: now,
        expires_at: program.expiry.lot_expiry(program.time_zone, now),
        cause,
    };
    posting::credit(tx, member, &credit, now)
}
