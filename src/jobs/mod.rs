//! Time-based work: what `fidelio tick` runs, and `fidelio serve` runs on a schedule. Every
//! job is safe to run twice, or on several instances at once: each change happens in a
//! transaction that holds the member's lock and re-checks that it is still due.

pub mod pending;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db::DbConn;
use crate::error::AppResult;

/// What one tick did.
#[derive(Debug, Default, Serialize)]
pub struct TickReport {
    /// Members whose pending points became available, and how many points.
    pub released_members: i64,
    pub released_points: i64,
}

/// Runs all time-based work due by `now`.
pub fn tick(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<TickReport> {
    let mut report = TickReport::default();
    pending::release_due(conn, now, &mut report)?;
    Ok(report)
}
