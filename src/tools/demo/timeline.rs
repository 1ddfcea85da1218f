//! The demo's clock. Both programs' days run in date order, each date followed by one tick
//! after the last program's day has ended, and a last tick at `now`: simulated time only moves
//! forward, and the data is what the service would hold at `now`.

use chrono::{NaiveDate, NaiveDateTime};
use indicatif::ProgressBar;

use super::simulate::Simulation;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::jobs;

/// The simulated dates from the earliest first day to the latest last day (program time).
pub fn dates(simulations: &[Simulation<'_>]) -> Vec<NaiveDate> {
    let first = simulations.iter().filter_map(|s| s.first_day()).min();
    let last = simulations.iter().filter_map(|s| s.last_day()).max();
    match (first, last) {
        (Some(first), Some(last)) => first.iter_days().take_while(|d| *d <= last).collect(),
        _ => Vec::new(),
    }
}

/// Runs every simulation's days in order, ticking after each date, then ticks at `now`.
pub fn run(
    conn: &mut DbConn,
    simulations: &mut [Simulation<'_>],
    now: NaiveDateTime,
    progress: &ProgressBar,
) -> AppResult<()> {
    for date in dates(simulations) {
        let mut ended = None;
        for simulation in simulations.iter_mut().filter(|s| s.covers(date)) {
            simulation.day(conn, date)?;
            ended = ended.max(Some(simulation.day_ends(date)));
        }
        if let Some(at) = ended {
            jobs::tick(conn, at)?;
        }
        progress.inc(1);
    }
    jobs::tick(conn, now)?;
    Ok(())
}
