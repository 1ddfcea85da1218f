//! Badges as members see them, and badges granted outside events: for a tier an admin set.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::BadgeEarned;
use super::config::Kind;
use super::grants::{Granting, points_of};
use crate::db::DbConnection;
use crate::db::models::badges as rows;
use crate::db::models::game_elements::{self as element_rows, ElementRow};
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::db::models::streaks as streak_rows;
use crate::engine::activity::Measure;
use crate::engine::badges::{BadgeDefinition, Criterion};
use crate::engine::game::{self, GameConfig};
use crate::engine::period;
use crate::engine::streaks::{self, StreakDefinition, StreakState};
use crate::engine::tiers::Metric;
use crate::error::AppResult;
use crate::programs::Program;
use crate::rules::RuleStatus;
use crate::tiers::{self, ChangeCause};

/// The badge levels a member holds, by badge id.
pub fn held(conn: &mut DbConnection, member_id: i64) -> AppResult<HashMap<i64, BTreeSet<i32>>> {
    let mut held: HashMap<i64, BTreeSet<i32>> = HashMap::new();
    for (badge, level) in rows::held(conn, member_id)? {
        held.entry(badge).or_default().insert(level);
    }
    Ok(held)
}

/// Grants the tier badges of the tier an admin set by hand (the member is locked by the
/// caller's transaction); bonus points are available at once.
pub fn after_tier_set(
    tx: &mut DbConnection,
    program: &Program,
    config: &GameConfig,
    member_id: i64,
    now: NaiveDateTime,
) -> AppResult<Vec<BadgeEarned>> {
    let Some(policy) = &program.tiers else {
        return Ok(Vec::new());
    };
    let member = member_rows::lock(tx, member_id)?;
    let index = tiers::standing(policy, &member).level;
    let grants = game::tier_grants(config, index, &held(tx, member_id)?);
    let granting = Granting {
        program,
        config,
        source: "tier_change",
        event_id: None,
        available_at: now,
        earned_at: now,
        now,
    };
    let (member, earned) = granting.badges(tx, member, &grants, false)?;
    let bonus = points_of(&earned);
    if bonus > 0 && matches!(policy.metric, Metric::PointsEarned) {
        tiers::after_activity(tx, program, &member, bonus, now, ChangeCause::default())?;
    }
    Ok(earned)
}

/// One level of a badge, as a member sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelView {
    pub level: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The progress that earns it: a count, a streak length, or money as a decimal string
    /// (absent for badges given for a tier or by a challenge).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub threshold: Option<Value>,
    #[serde(skip_serializing_if = "is_zero")]
    pub points: i64,
    /// When the member earned it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub earned_at: Option<DateTime<Utc>>,
}

fn is_zero(points: &i64) -> bool {
    *points == 0
}

/// A badge as a member sees it: earned levels, and progress towards the next.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberBadgeView {
    pub slug: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The member holds at least one level.
    pub earned: bool,
    /// The member holds every level.
    pub complete: bool,
    pub levels: Vec<LevelView>,
    /// Progress so far in the levels' unit (absent for badges given for a tier or by a
    /// challenge).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Object)]
    pub progress: Option<Value>,
}

/// What a member reads of its badges: every earned one, and the visible active ones not
/// earned yet with their progress. Hidden badges appear only once earned.
pub fn member_view(
    conn: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    now: NaiveDateTime,
) -> AppResult<Vec<MemberBadgeView>> {
    let elements = element_rows::all(conn, program.id)?;
    let earned = rows::earned(conn, member.id)?;
    let counters: HashMap<i64, i64> = rows::all_progress(conn, member.id)?.into_iter().collect();
    let streaks = streak_lengths(conn, program, &elements, member.id, now)?;
    let mut views = Vec::new();
    for row in elements.iter().filter(|r| r.kind == Kind::Badge.as_str()) {
        let Ok(badge) = serde_json::from_str::<BadgeDefinition>(&row.definition) else {
            continue;
        };
        let mine: Vec<_> = earned.iter().filter(|e| e.badge_id == row.id).collect();
        let active = row.status == RuleStatus::Active.as_str();
        if mine.is_empty() && (badge.hidden || !active) {
            continue;
        }
        let earned_at = |level: i32| {
            mine.iter()
                .find(|e| e.level == level)
                .map(|e| e.earned_at.and_utc())
        };
        let measure = match &badge.criterion {
            Criterion::EventSum { items, .. } => Measure::Spend(items.clone()),
            _ => Measure::Count,
        };
        let exponent = program.currency.exponent;
        let levels: Vec<LevelView> = if badge.levels.is_empty() {
            let threshold = match &badge.criterion {
                Criterion::FirstEvent { .. } | Criterion::Tier { .. } | Criterion::Awarded => None,
                _ => Some(badge.threshold.clone().unwrap_or(Value::from(1))),
            };
            vec![LevelView {
                level: 1,
                name: None,
                threshold: threshold.map(|t| normalise(&measure, &t, exponent)),
                points: badge.points,
                earned_at: earned_at(1),
            }]
        } else {
            badge
                .levels
                .iter()
                .enumerate()
                .map(|(i, level)| LevelView {
                    level: i as i32 + 1,
                    name: Some(level.name.clone()),
                    threshold: Some(normalise(&measure, &level.threshold, exponent)),
                    points: level.points,
                    earned_at: earned_at(i as i32 + 1),
                })
                .collect()
        };
        let progress = match &badge.criterion {
            Criterion::FirstEvent { .. }
            | Criterion::EventCount { .. }
            | Criterion::EventSum { .. }
            | Criterion::Referrals => {
                Some(measure.display(counters.get(&row.id).copied().unwrap_or(0), exponent))
            }
            Criterion::Streak { streak } => Some(Value::from(
                streaks.get(streak.as_str()).copied().unwrap_or(0),
            )),
            Criterion::Tier { .. } | Criterion::Awarded => None,
        };
        views.push(MemberBadgeView {
            slug: row.slug.clone(),
            name: badge.name,
            description: badge.description,
            earned: !mine.is_empty(),
            complete: levels.iter().all(|l| l.earned_at.is_some()),
            levels,
            progress,
        });
    }
    Ok(views)
}

/// A threshold as written (`75`, `"75.0"`) in the measure's display form (`"75.00"`).
fn normalise(measure: &Measure, value: &Value, exponent: u32) -> Value {
    measure
        .units(value, "threshold", exponent)
        .map_or_else(|_| value.clone(), |units| measure.display(units, exponent))
}

/// The member's current length of each streak, by slug, as of `now`.
fn streak_lengths(
    conn: &mut DbConnection,
    program: &Program,
    elements: &[ElementRow],
    member_id: i64,
    now: NaiveDateTime,
) -> AppResult<HashMap<String, i32>> {
    let today = period::local(program.time_zone, now).date();
    let rows = streak_rows::of_member(conn, member_id)?;
    Ok(elements
        .iter()
        .filter(|e| e.kind == Kind::Streak.as_str())
        .filter_map(|e| {
            let definition: StreakDefinition = serde_json::from_str(&e.definition).ok()?;
            let row = rows.iter().find(|r| r.streak_id == e.id)?;
            let state = StreakState {
                current: row.current_length,
                longest: row.longest_length,
                last: Some(row.last_period),
            };
            Some((
                e.slug.clone(),
                streaks::current_on(definition.period, &state, today),
            ))
        })
        .collect())
}
