//! Reading a leaderboard: the top N of a period, and a member's rank and neighbours. The top
//! and the neighbours are ranges of the scores' ranking index; the size and a rank sum the
//! members counted per score and block of scores (and count the member's ties), so a read
//! costs about the same at 100 members or 100,000.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::models::leaderboards::{self as rows, Standing};
use crate::engine::activity::Measure;
use crate::engine::event::ItemFilter;
use crate::engine::game::GameConfig;
use crate::engine::leaderboards::{CompiledLeaderboard, CompiledPeriod, LeaderboardMetric};
use crate::engine::windows::{CompiledWindow, WindowRef};
use crate::error::{AppError, AppResult};
use crate::programs::Program;

/// How many members above and below a member's own rank are shown.
pub const NEIGHBOURS: i64 = 2;

/// Who reads a leaderboard: a member sees others by a short display name and itself marked;
/// an admin sees external ids, and any member's standing it asks for.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    Member(i64),
    Admin(Option<i64>),
}

/// One row of a leaderboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct Entry {
    pub rank: i64,
    /// Members see a short name (`Ana P.`); admins the external id.
    pub member: String,
    /// Points or a count (a number), or money (a decimal string).
    #[schema(value_type = Object)]
    pub score: Value,
    /// This row is the reading member.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub you: bool,
}

/// A member's own place.
#[derive(Debug, Serialize, ToSchema)]
pub struct OwnStanding {
    /// `null` until the member scores in this period.
    pub rank: Option<i64>,
    #[schema(value_type = Object)]
    pub score: Value,
    /// Up to two members ranked just above and two just below, in rank order, the member
    /// included.
    pub neighbours: Vec<Entry>,
}

/// The period a leaderboard shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodView {
    /// `2026-W48`, `2026-11`, `lifetime`, `fixed`, ...
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<DateTime<Utc>>,
}

/// A leaderboard in one period.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardView {
    pub slug: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub metric: LeaderboardMetric,
    pub period: PeriodView,
    /// Members ranked in this period.
    pub members: i64,
    pub top: Vec<Entry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub me: Option<OwnStanding>,
}

/// The leaderboard `slug` in its current period, or in the period `key` (`2026-W47`).
pub fn read(
    conn: &mut DbConnection,
    program: &Program,
    config: &GameConfig,
    slug: &str,
    key: Option<&str>,
    reader: Reader,
    now: NaiveDateTime,
) -> AppResult<LeaderboardView> {
    let not_found =
        || AppError::not_found(format!("no active leaderboard `{slug}` in this program"));
    let board = config
        .leaderboards
        .iter()
        .find(|b| b.slug == slug)
        .ok_or_else(not_found)?;
    let period = match key {
        Some(key) => {
            if key.is_empty() || key.len() > 32 {
                return Err(AppError::invalid(
                    "period",
                    "period: give a period key such as 2026-W48",
                ));
            }
            PeriodView {
                key: key.to_owned(),
                starts_at: None,
                ends_at: None,
            }
        }
        None => current_period(board, program, now),
    };
    let measure = if board.is_money() {
        Measure::Spend(ItemFilter::default())
    } else {
        Measure::Count
    };
    let exponent = program.currency.exponent;
    let score = |units: i64| measure.display(units, exponent);
    let viewer = match reader {
        Reader::Member(id) => Some(id),
        Reader::Admin(member) => member,
    };
    let entry = |rank: i64, s: &Standing| Entry {
        rank,
        member: match reader {
            Reader::Member(_) => display_name(s.name.as_deref()),
            Reader::Admin(_) => s.external_id.clone(),
        },
        score: score(s.score),
        you: matches!(reader, Reader::Member(id) if id == s.member_id),
    };
    let standings = rows::read(
        conn,
        board.id,
        &period.key,
        i64::from(board.size),
        viewer,
        NEIGHBOURS,
    )?;
    let top = standings
        .top
        .iter()
        .enumerate()
        .map(|(i, s)| entry(i as i64 + 1, s))
        .collect();
    let me = viewer.map(|_| match &standings.own {
        None => OwnStanding {
            rank: None,
            score: score(0),
            neighbours: Vec::new(),
        },
        Some(own) => {
            let first = own.rank - own.before.len() as i64;
            let neighbours = own
                .before
                .iter()
                .chain(std::iter::once(&own.standing))
                .chain(own.after.iter())
                .enumerate()
                .map(|(i, s)| entry(first + i as i64, s))
                .collect();
            OwnStanding {
                rank: Some(own.rank),
                score: score(own.standing.score),
                neighbours,
            }
        }
    });
    Ok(LeaderboardView {
        slug: board.slug.clone(),
        name: board.name.clone(),
        description: board.description.clone(),
        metric: board.shown_metric.clone(),
        period,
        members: standings.size,
        top,
        me,
    })
}

/// The period containing `now`; a challenge's fixed window whether it runs yet or not.
fn current_period(
    board: &CompiledLeaderboard,
    program: &Program,
    now: NaiveDateTime,
) -> PeriodView {
    let window: Option<WindowRef> = match board.period {
        CompiledPeriod::Challenge(window @ CompiledWindow::Fixed { .. }) => window
            .current_or_next(program.time_zone, now)
            .or(match window {
                CompiledWindow::Fixed { starts_at, ends_at } => Some(WindowRef {
                    key: "fixed".to_owned(),
                    starts_at,
                    ends_at,
                }),
                CompiledWindow::Recurring(_) => None,
            }),
        _ => board.period_at(program.time_zone, now),
    };
    match window {
        Some(w) if matches!(board.period, CompiledPeriod::AllTime) => PeriodView {
            key: w.key,
            starts_at: None,
            ends_at: None,
        },
        Some(w) => PeriodView {
            key: w.key,
            starts_at: Some(w.starts_at.and_utc()),
            ends_at: Some(w.ends_at.and_utc()),
        },
        None => PeriodView {
            key: "lifetime".to_owned(),
            starts_at: None,
            ends_at: None,
        },
    }
}

/// How members see each other: first name and last initial (`Ana P.`), never an email or id.
pub fn display_name(name: Option<&str>) -> String {
    let mut words = name.unwrap_or_default().split_whitespace();
    match (words.next(), words.last()) {
        (Some(first), Some(last)) => {
            let initial: String = last.chars().take(1).collect();
            format!("{first} {initial}.")
        }
        (Some(first), None) => first.to_owned(),
        _ => "A member".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::display_name;

    #[test]
    fn members_see_first_names_and_initials_only() {
        assert_eq!(display_name(Some("Ana Maria Pereira")), "Ana P.");
        assert_eq!(display_name(Some("Cher")), "Cher");
        assert_eq!(display_name(Some("  ")), "A member");
        assert_eq!(display_name(None), "A member");
    }
}
