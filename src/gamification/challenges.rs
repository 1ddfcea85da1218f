//! Challenges as members see them, and joining an opt-in one.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::elements::{self, Element};
use crate::db::DbConnection;
use crate::db::models::challenges as rows;
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::engine::challenges::{
    ChallengeDefinition, ChallengeReward, CompiledChallenge, Enrolment,
};
use crate::engine::windows::WindowRef;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::programs::Program;
use crate::rules::RuleStatus;
use crate::tiers;

/// A window of a challenge.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowView {
    /// `2026-W48`, `2026-11`, `2026-11-23` or `fixed`.
    pub key: String,
    pub starts_at: DateTime<Utc>,
    /// Exclusive.
    pub ends_at: DateTime<Utc>,
}

impl From<&WindowRef> for WindowView {
    fn from(w: &WindowRef) -> Self {
        WindowView {
            key: w.key.clone(),
            starts_at: w.starts_at.and_utc(),
            ends_at: w.ends_at.and_utc(),
        }
    }
}

/// A challenge as a member sees it, in its current window.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberChallengeView {
    pub slug: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub enrolment: Enrolment,
    /// The member takes part in this window: automatic challenges always (for the tiers they
    /// are open to), opt-in ones once joined.
    pub joined: bool,
    /// Whether the member's tier may take part.
    pub eligible: bool,
    pub window: WindowView,
    /// A count, or money as a decimal string.
    #[schema(value_type = Object)]
    pub progress: Value,
    #[schema(value_type = Object)]
    pub goal: Value,
    pub completed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    pub reward: ChallengeReward,
}

/// The challenge compiled for reading (the reward badge's id does not matter here).
fn compiled(
    program: &Program,
    element: &Element<ChallengeDefinition>,
) -> AppResult<CompiledChallenge> {
    Ok(element.definition.compile(
        element.row.id,
        &element.row.slug,
        program.currency.exponent,
        |_| Some(0),
    )?)
}

fn view(
    conn: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    element: Element<ChallengeDefinition>,
    now: NaiveDateTime,
) -> AppResult<Option<MemberChallengeView>> {
    let challenge = compiled(program, &element)?;
    let Some(window) = challenge.window.current_or_next(program.time_zone, now) else {
        return Ok(None);
    };
    let row = rows::for_windows(conn, member.id, &[(challenge.id, window.key.as_str())])?.pop();
    let tier = tiers::tier_state(program, member).map(|t| t.name);
    let eligible = challenge.admits(tier.as_deref());
    let exponent = program.currency.exponent;
    let progress = row.as_ref().map_or(0, |r| r.progress).min(challenge.target);
    let definition = element.definition;
    Ok(Some(MemberChallengeView {
        slug: element.row.slug,
        name: definition.name,
        description: definition.description,
        enrolment: definition.enrolment,
        joined: eligible
            && (!challenge.opt_in || row.as_ref().is_some_and(|r| r.joined_at.is_some())),
        eligible,
        window: WindowView::from(&window),
        progress: challenge.measure.display(progress, exponent),
        goal: challenge.measure.display(challenge.target, exponent),
        completed: row.as_ref().is_some_and(|r| r.completed_at.is_some()),
        completed_at: row.and_then(|r| r.completed_at).map(|t| t.and_utc()),
        reward: definition.reward,
    }))
}

/// The program's active challenges in their current (or coming) windows, with the member's
/// progress; challenges whose fixed window has ended are left out.
pub fn member_view(
    conn: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    now: NaiveDateTime,
) -> AppResult<Vec<MemberChallengeView>> {
    let active = elements::list::<ChallengeDefinition>(
        conn,
        program.id,
        Some(RuleStatus::Active),
        None,
        i64::MAX,
    )?;
    let mut views = Vec::with_capacity(active.len());
    for element in active {
        views.extend(view(conn, program, member, element, now)?);
    }
    Ok(views)
}

/// Joins an opt-in challenge for its current window (or, for fixed dates not yet begun, its
/// coming one): events from now on count. Joining again changes nothing.
pub fn join(
    tx: &mut DbConnection,
    program: &Program,
    member_id: i64,
    slug: &str,
    now: NaiveDateTime,
) -> AppResult<MemberChallengeView> {
    let element = elements::require::<ChallengeDefinition>(tx, program.id, slug)?;
    if element.row.status != RuleStatus::Active.as_str() {
        return Err(AppError::not_found(format!(
            "no challenge `{slug}` in this program"
        )));
    }
    let member = member_rows::lock(tx, member_id)?;
    let challenge = compiled(program, &element)?;
    if !challenge.opt_in {
        return Err(AppError::conflict(
            ErrorCode::ChallengeAutomatic,
            format!("every eligible member takes part in `{slug}`: there is nothing to join"),
        ));
    }
    let tier = tiers::tier_state(program, &member).map(|t| t.name);
    if !challenge.admits(tier.as_deref()) {
        return Err(AppError::conflict(
            ErrorCode::ChallengeNotEligible,
            format!(
                "`{slug}` is open to {} members only",
                challenge.tiers.join(", ")
            ),
        ));
    }
    let window = challenge
        .window
        .current_or_next(program.time_zone, now)
        .ok_or_else(|| {
            AppError::conflict(ErrorCode::ChallengeEnded, format!("`{slug}` has ended"))
        })?;
    rows::join(tx, member.id, challenge.id, &window.key, now)?;
    view(tx, program, &member, element, now)?
        .ok_or_else(|| AppError::conflict(ErrorCode::ChallengeEnded, format!("`{slug}` has ended")))
}
