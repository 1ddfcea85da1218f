//! Granting a badge to members who already qualify (a badge added after they did). Progress is
//! recomputed from history, members in batches: counting badges from the member's recorded
//! events (their `member.*` conditions read the member as it is now), referral badges from the
//! referrer payouts in the ledger, tier badges from every tier the member reached, streak
//! badges from the longest streak, awarded badges from completed challenges that name them.
//! Counters are raised to what history says, so later events continue from there.
//!
//! A dry run computes the same and writes nothing. A real run writes each member in its own
//! short transaction with the member locked, re-reading what it holds, so events recorded
//! meanwhile are neither lost nor paid twice. Closed and suspended members get nothing.

use diesel::RunQueryDsl;
use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

use super::grants::{Granting, points_of};
use crate::audit::{Audit, Change};
use crate::db::models::badges as rows;
use crate::db::models::challenges as challenge_rows;
use crate::db::models::history;
use crate::db::models::members::{self as member_rows, MemberFilter, MemberRow};
use crate::db::models::streaks as streak_rows;
use crate::db::{DbConn, DbConnection, write_tx};
use crate::domain::MemberStatus;
use crate::engine::activity::{CompiledActivity, Measure, Play};
use crate::engine::badges::{CompiledBadge, Progress};
use crate::engine::condition::Facts;
use crate::engine::game::{GameConfig, Grant};
use crate::engine::input::EventInput;
use crate::engine::member::MemberState;
use crate::engine::period;
use crate::engine::tiers::Metric;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::programs::Program;
use crate::tiers::{self, ChangeCause};

const BATCH: i64 = 500;

/// Members who get one level of the badge.
#[derive(Debug, Serialize, ToSchema)]
pub struct LevelCount {
    pub level: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub members: i64,
}

/// What a retroactive grant did, or would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetroGrant {
    pub badge: String,
    /// Nothing was written.
    pub dry_run: bool,
    /// Members who get (or would get) at least one level.
    pub members: i64,
    pub levels: Vec<LevelCount>,
    /// Bonus points paid (or that would be).
    pub points: i64,
}

/// Grants the active badge `slug` to every member whose history qualifies; with `dry_run`,
/// only counts them.
pub fn grant(
    conn: &mut DbConn,
    program: &Program,
    config: &GameConfig,
    slug: &str,
    dry_run: bool,
    now: NaiveDateTime,
    audit: &Audit,
) -> AppResult<RetroGrant> {
    let badge = config
        .badges
        .iter()
        .find(|b| b.slug == slug)
        .ok_or_else(|| {
            AppError::conflict(
                ErrorCode::BadgeNotActive,
                format!("no active badge `{slug}`: enable it before granting it"),
            )
        })?;
    let mut result = RetroGrant {
        badge: slug.to_owned(),
        dry_run,
        members: 0,
        levels: badge
            .levels
            .iter()
            .map(|l| LevelCount {
                level: l.level,
                name: l.name.clone(),
                members: 0,
            })
            .collect(),
        points: 0,
    };
    let whole = Whole::load(conn, config, badge)?;
    let filter = MemberFilter {
        query: None,
        status: Some(MemberStatus::Active),
    };
    let mut after = None;
    loop {
        let batch = member_rows::list(conn, program.id, &filter, after, BATCH)?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id);
        let ids: Vec<i64> = batch.iter().map(|m| m.id).collect();
        let found = history_progress(conn, program, badge, &whole, &batch)?;
        let counters: HashMap<i64, i64> = rows::progress_of(conn, badge.id, &ids)?
            .into_iter()
            .collect();
        let mut held: HashMap<i64, BTreeSet<i32>> = HashMap::new();
        for (member, level) in rows::held_by(conn, badge.id, &ids)? {
            held.entry(member).or_default().insert(level);
        }
        for member in &batch {
            let stored = counters.get(&member.id).copied().unwrap_or(0);
            let progress = found.get(&member.id).copied().unwrap_or(0).max(stored);
            let have = held.get(&member.id).cloned().unwrap_or_default();
            let raises = counts(badge) && progress > stored;
            if badge.reached(progress, &have).next().is_none() && !raises {
                continue;
            }
            let grants = if dry_run {
                reached(badge, progress, &have)
            } else {
                let target = Target {
                    badge,
                    member_id: member.id,
                    progress,
                };
                write_member(conn, program, config, &target, now, audit)?
            };
            tally(&mut result, &grants);
        }
    }
    Ok(result)
}

fn counts(badge: &CompiledBadge) -> bool {
    matches!(
        badge.progress,
        Progress::Counter { .. } | Progress::Referrals
    )
}

fn reached(badge: &CompiledBadge, progress: i64, held: &BTreeSet<i32>) -> Vec<Grant> {
    badge
        .reached(progress, held)
        .map(|l| Grant {
            badge_id: badge.id,
            level: l.level,
            points: l.points,
        })
        .collect()
}

fn tally(result: &mut RetroGrant, grants: &[Grant]) {
    if grants.is_empty() {
        return;
    }
    result.members += 1;
    for grant in grants {
        result.points += grant.points;
        if let Some(level) = result.levels.iter_mut().find(|l| l.level == grant.level) {
            level.members += 1;
        }
    }
}

/// A member to write, and the progress history gives them in the badge.
struct Target<'a> {
    badge: &'a CompiledBadge,
    member_id: i64,
    progress: i64,
}

/// Raises the member's counter and grants what it reaches, in one transaction with the member
/// locked, with its `badge.grant` audit row when anything changed.
fn write_member(
    conn: &mut DbConn,
    program: &Program,
    config: &GameConfig,
    target: &Target<'_>,
    now: NaiveDateTime,
    audit: &Audit,
) -> AppResult<Vec<Grant>> {
    let badge = target.badge;
    write_tx(conn, |tx| {
        let member = member_rows::lock(tx, target.member_id)?;
        let stored = rows::progress(tx, member.id, &[badge.id])?
            .first()
            .map_or(0, |(_, p)| *p);
        let progress = target.progress.max(stored);
        let raised = counts(badge) && progress > stored;
        if raised {
            rows::set_progress(member.id, badge.id, progress, now).execute(tx)?;
        }
        let held: BTreeSet<i32> = rows::held_by(tx, badge.id, &[member.id])?
            .into_iter()
            .map(|(_, level)| level)
            .collect();
        let grants = reached(badge, progress, &held);
        if !raised && grants.is_empty() {
            return Ok(grants);
        }
        let external_id = member.external_id.clone();
        let granting = Granting {
            program,
            config,
            source: "retroactive",
            event_id: None,
            available_at: now,
            earned_at: now,
            now,
        };
        let (member, earned) = granting.badges(tx, member, &grants, false)?;
        let bonus = points_of(&earned);
        let points_tiers = matches!(
            program.tiers.as_ref().map(|t| &t.metric),
            Some(Metric::PointsEarned)
        );
        if bonus > 0 && points_tiers {
            tiers::after_activity(tx, program, &member, bonus, now, ChangeCause::default())?;
        }
        let levels: BTreeSet<i32> = held
            .iter()
            .copied()
            .chain(grants.iter().map(|g| g.level))
            .collect();
        let change = Change {
            program_id: Some(program.id),
            action: "badge.grant",
            subject: &external_id,
            before: Some(json!({"badge": badge.slug, "levels": held, "progress": stored})),
            after: Some(
                json!({"badge": badge.slug, "levels": levels, "progress": progress,
                               "points": bonus}),
            ),
        };
        audit.record(tx, change)?;
        Ok(grants)
    })
}

/// What is read once for the whole program rather than per batch.
#[derive(Default)]
struct Whole {
    /// Longest streaks, or members who completed a challenge that awards the badge.
    by_member: HashMap<i64, i64>,
}

impl Whole {
    fn load(
        conn: &mut DbConnection,
        config: &GameConfig,
        badge: &CompiledBadge,
    ) -> AppResult<Self> {
        let by_member = match &badge.progress {
            Progress::Streak { streak_id } => streak_rows::longest(conn, *streak_id)?
                .into_iter()
                .map(|(member, longest)| (member, i64::from(longest)))
                .collect(),
            Progress::Awarded => {
                let challenges: Vec<i64> = config
                    .challenges
                    .iter()
                    .filter(|c| c.reward_badge == Some(badge.id))
                    .map(|c| c.id)
                    .collect();
                challenge_rows::completers(conn, &challenges)?
                    .into_iter()
                    .map(|member| (member, 1))
                    .collect()
            }
            _ => HashMap::new(),
        };
        Ok(Whole { by_member })
    }
}

/// Each member's progress as history says.
fn history_progress(
    conn: &mut DbConnection,
    program: &Program,
    badge: &CompiledBadge,
    whole: &Whole,
    batch: &[MemberRow],
) -> AppResult<HashMap<i64, i64>> {
    let ids: Vec<i64> = batch.iter().map(|m| m.id).collect();
    Ok(match &badge.progress {
        Progress::Counter { activity, measure } => {
            counted(conn, program, activity, measure, batch, &ids)?
        }
        Progress::Referrals => history::referral_payouts(conn, &ids)?.into_iter().collect(),
        Progress::Tier => {
            let mut best: HashMap<i64, i64> = HashMap::new();
            let policy = program.tiers.as_ref();
            for (member, tier) in history::tiers_reached(conn, &ids)? {
                if let Some((index, _)) = policy.and_then(|p| p.level(&tier)) {
                    let entry = best.entry(member).or_default();
                    *entry = (*entry).max(index as i64);
                }
            }
            best
        }
        Progress::Streak { .. } | Progress::Awarded => ids
            .iter()
            .filter_map(|id| Some((*id, *whole.by_member.get(id)?)))
            .collect(),
    })
}

/// Sums the measure over the members' recorded events that the activity counts.
fn counted(
    conn: &mut DbConnection,
    program: &Program,
    activity: &CompiledActivity,
    measure: &Measure,
    batch: &[MemberRow],
    ids: &[i64],
) -> AppResult<HashMap<i64, i64>> {
    let states: HashMap<i64, MemberState> = batch
        .iter()
        .map(|m| {
            let mut state = MemberState::new(m.id, m.enrolled_at);
            state.email = m.email.clone();
            state.birthday = m.birthday;
            state.tier = tiers::tier_state(program, m);
            state.lifetime_earned = m.lifetime_earned;
            (m.id, state)
        })
        .collect();
    let mut totals: HashMap<i64, i64> = HashMap::new();
    for row in history::events_of(conn, ids, activity.event_type.as_str())? {
        let Some(state) = states.get(&row.member_id) else {
            continue;
        };
        let Ok(input) = serde_json::from_str::<EventInput>(&row.payload) else {
            continue;
        };
        let Ok(mut event) = input.validate(&program.currency, row.received_at) else {
            continue;
        };
        event.occurred_at = row.occurred_at;
        let play = Play {
            facts: Facts {
                event: &event,
                member: state,
                local_time: period::local(program.time_zone, row.occurred_at),
            },
            rewarded: row.points_earned > 0,
            exponent: program.currency.exponent,
        };
        if activity.matches(&play) {
            *totals.entry(row.member_id).or_default() += measure.of(&play);
        }
    }
    Ok(totals)
}
