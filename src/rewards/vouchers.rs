//! A voucher's life after it is issued: used at the storefront, cancelled (points and stock
//! come back), or expired unused.

use chrono::NaiveDateTime;

use serde_json::Value;

use super::redeem::Voucher;
use crate::audit::{self, Audited};
use crate::db::models::members::{self as member_rows};
use crate::db::models::rewards::{self as rows, RedemptionRow};
use crate::db::models::stats::{self, Delta};
use crate::db::{DbConn, DbConnection, write_tx};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::ledger::posting::{self, Cause};
use crate::programs::Program;

const BATCH: i64 = 500;

/// The program's voucher with this id, or 404.
pub fn require(conn: &mut DbConnection, program_id: i64, id: &str) -> AppResult<RedemptionRow> {
    rows::find_redemption(conn, program_id, id)?
        .ok_or_else(|| AppError::not_found(format!("no voucher `{id}` in this program")))
}

/// The program's voucher with this code (any case, dashes optional), or 404.
pub fn by_code(conn: &mut DbConnection, program: &Program, code: &str) -> AppResult<Voucher> {
    let redemption = rows::find_by_code(conn, program.id, &super::code::normalise(code))?
        .ok_or_else(|| AppError::not_found("code: no voucher with this code"))?;
    view(conn, program, redemption)
}

pub fn view(
    conn: &mut DbConnection,
    program: &Program,
    redemption: RedemptionRow,
) -> AppResult<Voucher> {
    let reward = rows::by_id(conn, redemption.reward_id)?;
    Ok(Voucher::new(program, redemption, &reward))
}

/// Why a voucher can no longer be used or cancelled.
fn settled(redemption: &RedemptionRow) -> AppError {
    let (code, detail) = match redemption.status.as_str() {
        "used" => (ErrorCode::VoucherUsed, "the voucher was already used"),
        "cancelled" => (ErrorCode::VoucherCancelled, "the voucher was cancelled"),
        _ => (ErrorCode::VoucherExpired, "the voucher has expired"),
    };
    AppError::conflict(code, detail)
}

/// Marks a voucher used (the storefront honoured it); 409 if it was already used, cancelled
/// or has expired.
pub fn use_voucher(
    tx: &mut DbConnection,
    program: &Program,
    id: &str,
    order_id: Option<&str>,
    now: NaiveDateTime,
) -> AppResult<Voucher> {
    let redemption = require(tx, program.id, id)?;
    if redemption.status == "issued" && redemption.expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::conflict(
            ErrorCode::VoucherExpired,
            "the voucher has expired",
        ));
    }
    let used = rows::settle(tx, redemption.id, "used", order_id, now)?
        .ok_or_else(|| settled(&redemption))?;
    stats::add(
        tx,
        program.id,
        now,
        &Delta {
            vouchers_used: 1,
            ..Delta::default()
        },
    )?;
    view(tx, program, used)
}

/// Cancels an unused voucher: its points come back to the lots they came from (one `reverse`
/// entry) and its stock is restored, once.
pub fn cancel(
    tx: &mut DbConnection,
    program: &Program,
    id: &str,
    cause: &Cause,
    now: NaiveDateTime,
) -> AppResult<Voucher> {
    let found = require(tx, program.id, id)?;
    let member = member_rows::lock(tx, found.member_id)?;
    let cancelled = rows::settle(tx, found.id, "cancelled", found.order_id.as_deref(), now)?
        .ok_or_else(|| settled(&found))?;
    give_back(tx, &member, &cancelled, cause, now)?;
    rows::return_to_stock(tx, cancelled.reward_id)?;
    view(tx, program, cancelled)
}

fn give_back(
    tx: &mut DbConnection,
    member: &crate::db::models::members::MemberRow,
    redemption: &RedemptionRow,
    cause: &Cause,
    now: NaiveDateTime,
) -> AppResult<()> {
    if let Some(entry) = redemption.entry_id {
        let cause = Cause {
            redemption_id: Some(redemption.id),
            ..cause.clone()
        };
        let posted = posting::restore(tx, member, entry, &cause, now)?;
        rows::set_reverse_entry(tx, redemption.id, posted.entry.id)?;
    }
    Ok(())
}

/// Expires issued vouchers past their date: their stock comes back, and their points too
/// when the reward says so. Returns how many expired.
pub fn expire_due(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<i64> {
    let mut expired = 0;
    loop {
        let due = rows::expired_vouchers(conn, now, BATCH)?;
        if due.is_empty() {
            return Ok(expired);
        }
        for (id, member_id) in due {
            let done = write_tx(conn, |tx| {
                let member = member_rows::lock(tx, member_id)?;
                let Some(voucher) = rows::settle(tx, id, "expired", None, now)? else {
                    return Ok::<_, AppError>(false);
                };
                let reward = rows::by_id(tx, voucher.reward_id)?;
                if reward.refund_on_expiry {
                    let cause = Cause {
                        reason: Some(format!("voucher for {} expired unused", reward.slug)),
                        ..Cause::default()
                    };
                    give_back(tx, &member, &voucher, &cause, now)?;
                }
                rows::return_to_stock(tx, voucher.reward_id)?;
                Ok(true)
            })?;
            expired += i64::from(done);
        }
    }
}

/// A voucher as the audit log keeps it: never its code, which is what a till accepts.
impl Audited for Voucher {
    fn subject(&self) -> String {
        self.id.clone()
    }

    fn state(&self) -> AppResult<Value> {
        let mut state = audit::snapshot(self)?;
        if let Some(fields) = state.as_object_mut() {
            fields.remove("code");
        }
        Ok(state)
    }
}
