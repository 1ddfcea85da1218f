//! Time-based work: what `fidelio tick` runs, and `fidelio serve` runs on a schedule. Every
//! job is safe to run twice, or on several instances at once: each change happens in a
//! transaction that holds the member's lock and re-checks that it is still due. On
//! PostgreSQL a run also takes an advisory lock, so instances take turns instead of racing.

mod birthdays;
mod expiry;
pub mod pending;
mod schedule;
mod tiers;

pub use schedule::spawn as spawn_schedule;

use chrono::NaiveDateTime;
use diesel::sql_types::Bool;
use diesel::{QueryableByName, RunQueryDsl, sql_query};
use serde::Serialize;

use crate::db::models::analytics as report_rows;
use crate::db::models::programs as program_rows;
use crate::db::{DbConn, DbConnection};
use crate::error::AppResult;
use crate::programs::Program;

/// What one tick did.
#[derive(Debug, Default, Serialize)]
pub struct TickReport {
    /// Whether another instance was running the tick (this one then did nothing).
    pub skipped: bool,
    /// Members whose pending points became available, and how many points.
    pub released_members: i64,
    pub released_points: i64,
    /// Members whose points expired, and how many points.
    pub expired_members: i64,
    pub expired_points: i64,
    pub tier_downgrades: i64,
    pub tier_renewals: i64,
    pub birthday_grants: i64,
    /// Vouchers that expired unused.
    pub expired_vouchers: i64,
}

impl TickReport {
    fn count_expiry(&mut self, points: i64) {
        if points > 0 {
            self.expired_members += 1;
            self.expired_points += points;
        }
    }
}

/// Runs all time-based work due by `now`, without the cross-instance lock. Safe anyway; the
/// lock only saves duplicated effort.
pub fn tick(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<TickReport> {
    let mut report = TickReport::default();
    pending::release_due(conn, now, &mut report)?;
    report.expired_vouchers = crate::rewards::vouchers::expire_due(conn, now)?;
    let mut after = None;
    loop {
        let programs: Vec<Program> = program_rows::list(conn, None, after, 100)?
            .into_iter()
            .map(Program::try_from)
            .collect::<AppResult<_>>()?;
        let Some(last) = programs.last() else { break };
        after = Some(last.id);
        for program in &programs {
            tiers::end_holds(conn, program, now, &mut report)?;
            expiry::expire(conn, program, now, &mut report)?;
            birthdays::grant(conn, program, now, &mut report)?;
        }
    }
    report_rows::fold_closed_shards(conn)?;
    Ok(report)
}

/// An arbitrary constant: the PostgreSQL advisory lock held while one instance ticks.
const TICK_LOCK: i64 = 0x0F1D_E117;

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Runs `tick` unless another instance is running it (PostgreSQL); SQLite needs no lock.
pub fn tick_exclusive(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<TickReport> {
    let DbConnection::Postgresql(pg) = &mut **conn else {
        return tick(conn, now);
    };
    let locked = sql_query(format!(
        "SELECT pg_try_advisory_lock({TICK_LOCK}) AS locked"
    ))
    .get_result::<Locked>(pg)?;
    if !locked.locked {
        return Ok(TickReport {
            skipped: true,
            ..TickReport::default()
        });
    }
    let report = tick(conn, now);
    if let DbConnection::Postgresql(pg) = &mut **conn {
        sql_query(format!("SELECT pg_advisory_unlock({TICK_LOCK})")).execute(pg)?;
    }
    report
}
