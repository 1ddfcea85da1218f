//! Expiry: lots past their date, or whole balances after inactivity. Each writes one `expire`
//! entry per member for exactly what remained, under the member's lock, so a second run (or a
//! second instance) finds nothing left to expire.

use chrono::NaiveDateTime;

use super::TickReport;
use crate::db::models::jobs as job_rows;
use crate::db::models::ledger as ledger_rows;
use crate::db::models::members::{self, MemberRow};
use crate::db::{DbConn, DbConnection, write_tx};
use crate::domain::Points;
use crate::engine::expiry::ExpiryPolicy;
use crate::error::{AppError, AppResult};
use crate::ledger::EntryKind;
use crate::ledger::posting::{self, Cause, TakeBack};
use crate::programs::Program;
use crate::tiers;

const BATCH: i64 = 500;

/// Levels whose holders' points never expire: their names, and whether the first level is one.
fn protected_levels(program: &Program) -> (Vec<String>, bool) {
    let Some(policy) = &program.tiers else {
        return (Vec::new(), false);
    };
    let names = policy
        .levels
        .iter()
        .filter(|l| l.points_never_expire)
        .map(|l| l.name.clone())
        .collect();
    (names, policy.levels[0].points_never_expire)
}

fn is_protected(program: &Program, member: &MemberRow) -> bool {
    program.tiers.as_ref().is_some_and(|policy| {
        policy.levels[tiers::standing(policy, member).level].points_never_expire
    })
}

pub fn expire(
    conn: &mut DbConn,
    program: &Program,
    now: NaiveDateTime,
    report: &mut TickReport,
) -> AppResult<()> {
    let (protected, base_protected) = protected_levels(program);
    match program.expiry {
        ExpiryPolicy::Never => Ok(()),
        ExpiryPolicy::LotMonths { .. } => loop {
            let due = job_rows::members_with_expired_lots(
                conn,
                program.id,
                &protected,
                base_protected,
                now,
                BATCH,
            )?;
            if due.is_empty() {
                return Ok(());
            }
            for member_id in due {
                let expired = write_tx(conn, |tx| expire_lots(tx, program, member_id, now))?;
                report.count_expiry(expired);
            }
        },
        ExpiryPolicy::InactivityMonths { months } => {
            let Some(cutoff) = program.expiry.inactive_since(now) else {
                return Ok(());
            };
            loop {
                let due = job_rows::inactive_members(
                    conn,
                    program.id,
                    &protected,
                    base_protected,
                    cutoff,
                    BATCH,
                )?;
                if due.is_empty() {
                    return Ok(());
                }
                for member_id in due {
                    let expired = write_tx(conn, |tx| {
                        expire_balance(tx, program, member_id, cutoff, months, now)
                    })?;
                    report.count_expiry(expired);
                }
            }
        }
    }
}

/// Expires a member's lots past their date; returns the points expired.
fn expire_lots(
    tx: &mut DbConnection,
    program: &Program,
    member_id: i64,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let member = members::lock(tx, member_id)?;
    if is_protected(program, &member) {
        return Ok(0);
    }
    let lots = job_rows::expired_lots(tx, member_id, now)?;
    let points: i64 = lots.iter().map(|(_, remaining)| remaining).sum();
    take(
        tx,
        &member,
        points,
        lots.into_iter().map(|(id, _)| id).collect(),
        "points past their expiry date",
        now,
    )
}

/// Expires a member's whole released balance after inactivity; returns the points expired.
fn expire_balance(
    tx: &mut DbConnection,
    program: &Program,
    member_id: i64,
    cutoff: NaiveDateTime,
    months: u32,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let member = members::lock(tx, member_id)?;
    let inactive = member.last_activity_at.unwrap_or(member.enrolled_at) <= cutoff;
    if !inactive || is_protected(program, &member) {
        return Ok(0);
    }
    let lots: Vec<i64> = ledger_rows::spendable_lots(tx, member_id)?
        .into_iter()
        .map(|lot| lot.id)
        .collect();
    let reason = format!("no purchase or redemption for {months} months");
    take(tx, &member, member.points_available, lots, &reason, now)
}

fn take(
    tx: &mut DbConnection,
    member: &MemberRow,
    points: i64,
    lots: Vec<i64>,
    reason: &str,
    now: NaiveDateTime,
) -> AppResult<i64> {
    if points <= 0 {
        return Ok(0);
    }
    let take = TakeBack {
        kind: EntryKind::Expire,
        points: Points(points),
        lots_first: lots,
        only_given_lots: true,
        allow_debt: false,
        cause: Cause {
            reason: Some(reason.to_owned()),
            ..Cause::default()
        },
    };
    posting::take_back(tx, member, &take, now).map_err(|e| match e {
        AppError::Internal(cause) => {
            AppError::Internal(cause.context(format!("expiring member {}", member.id)))
        }
        other => other,
    })?;
    Ok(points)
}
