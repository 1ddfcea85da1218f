//! Redeeming a reward, shared by the storefront's and the member's routes, and settling the
//! voucher at the storefront.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::{Audit, Audited};
use crate::db::models::rewards as reward_rows;
use crate::db::now_utc;
use crate::error::AppResult;
use crate::idempotency::{self, Done, Keyed, Reply};
use crate::ledger::posting::Cause;
use crate::members::BalanceChange;
use crate::programs;
use crate::rewards::{self, redeem::Source, vouchers};
use crate::state::AppState;

/// A reward to redeem.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedeemReward {
    /// The reward's slug.
    pub reward: String,
}

/// Redeems `reward` for the member, once per idempotency key; answers 201 with the voucher.
/// `audit` is `None` when the member redeems: the log records what admins and keys do.
pub async fn redeem(
    state: &web::Data<AppState>,
    program_id: i64,
    member_id: i64,
    input: RedeemReward,
    source: Source,
    keyed: Option<Keyed>,
    audit: Option<Audit>,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            idempotency::execute(conn, keyed.as_ref(), 201, |tx| {
                let program = programs::by_id(tx, program_id)?;
                let reward = rewards::require(tx, program_id, &input.reward)?;
                let change = BalanceChange::start(tx, member_id)?;
                let voucher =
                    rewards::redeem::redeem(tx, &program, member_id, &reward, source, now_utc())?;
                if let Some(audit) = &audit {
                    change.record(tx, audit, "reward.redeem", "voucher", voucher.state()?)?;
                }
                let entry_id = reward_rows::find_redemption(tx, program_id, &voucher.id)?
                    .and_then(|r| r.entry_id);
                Ok(Done {
                    body: voucher,
                    entry_id,
                })
            })
        })
        .await
}

/// Marks the program's voucher used, in the order it was honoured in, once per idempotency key.
pub async fn use_voucher(
    state: &web::Data<AppState>,
    program_id: i64,
    id: String,
    order_id: Option<String>,
    keyed: Option<Keyed>,
    audit: Audit,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            idempotency::execute(conn, keyed.as_ref(), 200, |tx| {
                let program = programs::by_id(tx, program_id)?;
                let found = vouchers::require(tx, program_id, &id)?;
                let before = vouchers::view(tx, &program, found)?;
                let voucher =
                    vouchers::use_voucher(tx, &program, &id, order_id.as_deref(), now_utc())?;
                let after = Some(&voucher);
                audit.changed(tx, Some(program_id), "voucher.use", Some(&before), after)?;
                Ok(Done {
                    body: voucher,
                    entry_id: None,
                })
            })
        })
        .await
}

/// Cancels the program's unused voucher (its points and stock come back), once per
/// idempotency key; recorded as a movement of the member's points.
pub async fn cancel(
    state: &web::Data<AppState>,
    program_id: i64,
    id: String,
    cause: Cause,
    keyed: Option<Keyed>,
    audit: Audit,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            idempotency::execute(conn, keyed.as_ref(), 200, |tx| {
                let program = programs::by_id(tx, program_id)?;
                let found = vouchers::require(tx, program_id, &id)?;
                let change = BalanceChange::start(tx, found.member_id)?;
                let voucher = vouchers::cancel(tx, &program, &id, &cause, now_utc())?;
                change.record(tx, &audit, "voucher.cancel", "voucher", voucher.state()?)?;
                Ok(Done {
                    body: voucher,
                    entry_id: None,
                })
            })
        })
        .await
}
