//! Tier holds that have ended: each member falls to the level it still qualifies for.

use chrono::NaiveDateTime;

use super::TickReport;
use crate::db::models::members;
use crate::db::models::tiers::{self as tier_rows, StandingColumns};
use crate::db::{DbConn, write_tx};
use crate::engine::tiers::{self as engine, Change};
use crate::error::AppResult;
use crate::programs::Program;
use crate::tiers::{self, ChangeCause, ChangeNote};

const BATCH: i64 = 500;

pub fn end_holds(
    conn: &mut DbConn,
    program: &Program,
    now: NaiveDateTime,
    report: &mut TickReport,
) -> AppResult<()> {
    let Some(policy) = &program.tiers else {
        return Ok(());
    };
    loop {
        let due = tier_rows::holds_ended(conn, program.id, now, BATCH)?;
        if due.is_empty() {
            return Ok(());
        }
        for member_id in due {
            write_tx(conn, |tx| {
                let member = members::lock(tx, member_id)?;
                if member.tier_held_until.is_none_or(|until| until > now) {
                    return Ok(());
                }
                let before = tiers::standing(policy, &member);
                let measures = tiers::measures(tx, program, policy, &member, now)?;
                let Some((after, change)) =
                    engine::at_hold_end(policy, &before, &measures, program.time_zone, now)
                else {
                    // A level the ladder no longer holds, or the first level: nothing is held.
                    let columns = StandingColumns {
                        tier: member.tier.as_deref(),
                        tier_since: member.tier_since,
                        tier_held_until: None,
                        tier_qualified_at: member.tier_qualified_at,
                    };
                    tier_rows::set_standing(tx, member_id, &columns)?;
                    return Ok(());
                };
                let reason = match change {
                    Change::Downgrade => format!(
                        "hold ended; {} {} in the window",
                        measures.window.normalize(),
                        policy_unit(program)
                    ),
                    _ => "hold renewed".to_owned(),
                };
                let note = ChangeNote {
                    change: "downgrade",
                    reason: &reason,
                    cause: ChangeCause::default(),
                };
                tiers::write_standing(tx, program, &member, &after, &note, now)?;
                if change == Change::Downgrade {
                    report.tier_downgrades += 1;
                } else {
                    report.tier_renewals += 1;
                }
                Ok::<_, crate::error::AppError>(())
            })?;
        }
    }
}

fn policy_unit(program: &Program) -> String {
    match program.tiers.as_ref().map(|t| &t.metric) {
        Some(crate::engine::tiers::Metric::QualifyingSpend { .. }) => {
            format!("{} spent", program.currency.code)
        }
        _ => program.point_name.clone(),
    }
}
