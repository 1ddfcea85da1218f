//! Badge and challenge completion, counted over the game tables' indexes
//! (`member_badges (badge_id, level)`, `challenge_progress (challenge_id, completed_at)`).

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Span, ratio};
use crate::db::DbConnection;
use crate::db::models::analytics as rows;
use crate::db::models::game_elements::{self as element_rows, ElementRow};
use crate::error::AppResult;
use crate::programs::Program;

/// One badge: who holds it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BadgeFigures {
    pub slug: String,
    pub name: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Members holding it (its first level), now.
    pub members: i64,
    /// `members` / members enrolled (all time); null for a program without members.
    #[schema(value_type = Option<f64>)]
    pub completion_rate: serde_json::Value,
    /// Members holding each level, by level number (1 is the first).
    pub levels: BTreeMap<i32, i64>,
}

/// One challenge: how often the members who took part completed it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeFigures {
    pub slug: String,
    pub name: String,
    pub status: String,
    /// Member-windows with progress or a join, all time (a member taking part in three weeks
    /// of a weekly challenge counts three).
    pub participations: i64,
    /// Member-windows completed, all time.
    pub completions: i64,
    /// `completions` / `participations`.
    #[schema(value_type = Option<f64>)]
    pub completion_rate: serde_json::Value,
    /// Windows completed within the report's period.
    pub completed_in_period: i64,
}

/// Only the name of a definition is read here.
#[derive(Deserialize)]
struct Named {
    name: String,
}

fn named(row: &ElementRow) -> String {
    serde_json::from_str::<Named>(&row.definition)
        .map(|n| n.name)
        .unwrap_or_else(|_| row.slug.clone())
}

/// Every badge and challenge of the program, disabled ones included (members keep what they
/// earned), in creation order.
pub fn game_figures(
    conn: &mut DbConnection,
    program: &Program,
    span: &Span,
    members_total: i64,
) -> AppResult<(Vec<BadgeFigures>, Vec<ChallengeFigures>)> {
    let elements = element_rows::all(conn, program.id)?;
    let of_kind =
        |kind: &str| -> Vec<&ElementRow> { elements.iter().filter(|e| e.kind == kind).collect() };
    let (badges, challenges) = (of_kind("badge"), of_kind("challenge"));
    let ids = |list: &[&ElementRow]| -> Vec<i64> { list.iter().map(|e| e.id).collect() };

    let mut levels: HashMap<i64, BTreeMap<i32, i64>> = HashMap::new();
    for (badge, level, members) in rows::badge_levels(conn, &ids(&badges))? {
        levels.entry(badge).or_default().insert(level, members);
    }
    let badges = badges
        .into_iter()
        .map(|row| {
            let levels = levels.remove(&row.id).unwrap_or_default();
            let members = levels.get(&1).copied().unwrap_or(0);
            BadgeFigures {
                slug: row.slug.clone(),
                name: named(row),
                status: row.status.clone(),
                members,
                completion_rate: ratio(members, members_total),
                levels,
            }
        })
        .collect();

    let challenge_ids = ids(&challenges);
    let totals: HashMap<i64, (i64, i64)> = rows::challenge_totals(conn, &challenge_ids)?
        .into_iter()
        .map(|(id, taken, done)| (id, (taken, done)))
        .collect();
    let in_period: HashMap<i64, i64> =
        rows::challenge_completions(conn, &challenge_ids, span.start, span.end)?
            .into_iter()
            .collect();
    let challenges = challenges
        .into_iter()
        .map(|row| {
            let (participations, completions) = totals.get(&row.id).copied().unwrap_or((0, 0));
            ChallengeFigures {
                slug: row.slug.clone(),
                name: named(row),
                status: row.status.clone(),
                participations,
                completions,
                completion_rate: ratio(completions, participations),
                completed_in_period: in_period.get(&row.id).copied().unwrap_or(0),
            }
        })
        .collect();
    Ok((badges, challenges))
}
