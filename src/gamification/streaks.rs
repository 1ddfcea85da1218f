//! Streaks as members see them (in `GET /v1/me`).

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::models::streaks as rows;
use crate::engine::period;
use crate::engine::streaks::{self as engine_streaks, CompiledStreak, StreakPeriod, StreakState};
use crate::error::AppResult;
use crate::programs::Program;

/// A member's streak.
#[derive(Debug, Serialize, ToSchema)]
pub struct StreakView {
    pub slug: String,
    pub name: String,
    pub period: StreakPeriod,
    /// Periods in a row with qualifying activity, up to this one or the one before (0 once a
    /// whole period passed without).
    pub current: i32,
    pub longest: i32,
    /// This period already counts: the streak is safe until the next one.
    pub this_period_done: bool,
    /// The first day (program time) of the last period with qualifying activity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_period: Option<NaiveDate>,
}

/// The member's standing in each of the program's active streaks (compiled in `streaks`), as
/// of `now`: one statement, none when the program has no streak.
pub fn member_view(
    conn: &mut DbConnection,
    program: &Program,
    streaks: &[CompiledStreak],
    member_id: i64,
    now: NaiveDateTime,
) -> AppResult<Vec<StreakView>> {
    if streaks.is_empty() {
        return Ok(Vec::new());
    }
    let rows = rows::of_member(conn, member_id)?;
    let today = period::local(program.time_zone, now).date();
    Ok(streaks
        .iter()
        .map(|streak| {
            let state = rows
                .iter()
                .find(|r| r.streak_id == streak.id)
                .map(|r| StreakState {
                    current: r.current_length,
                    longest: r.longest_length,
                    last: Some(r.last_period),
                })
                .unwrap_or_default();
            let period = streak.period;
            StreakView {
                slug: streak.slug.clone(),
                name: streak.name.clone(),
                period,
                current: engine_streaks::current_on(period, &state, today),
                longest: state.longest,
                this_period_done: state.last == Some(period.start(today)),
                last_period: state.last,
            }
        })
        .collect())
}
