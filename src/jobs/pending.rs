//! Pending points (a return window, say) become available when their lots are due.

use chrono::NaiveDateTime;

use super::TickReport;
use crate::db::models::ledger as ledger_rows;
use crate::db::models::members::{self, Balances};
use crate::db::{DbConn, write_tx};
use crate::error::AppResult;
use crate::ledger::posting;

const BATCH: i64 = 500;

/// Releases every lot due by `now`, member by member; released points first pay off debt.
pub fn release_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    report: &mut TickReport,
) -> AppResult<()> {
    loop {
        let due = ledger_rows::members_with_due_lots(conn, now, BATCH)?;
        if due.is_empty() {
            return Ok(());
        }
        for member_id in due {
            let released = write_tx(conn, |tx| {
                let member = members::lock(tx, member_id)?;
                let released = ledger_rows::release_due_lots(tx, member_id, now)?;
                if released == 0 {
                    return Ok::<_, crate::error::AppError>(0);
                }
                let settled =
                    posting::settle_debts(tx, member_id, released.min(member.points_debt), now)?;
                let balances = Balances {
                    points_available: member.points_available + released - settled,
                    points_pending: member.points_pending - released,
                    points_debt: member.points_debt - settled,
                    lifetime_earned: member.lifetime_earned,
                    lifetime_redeemed: member.lifetime_redeemed,
                    updated_at: now,
                    last_event_at: None,
                    last_activity_at: None,
                };
                members::set_balances(tx, member_id, &balances)?;
                Ok(released)
            })?;
            if released > 0 {
                report.released_members += 1;
                report.released_points += released;
            }
        }
    }
}
