//! Running an event through the current or a draft rule set, writing nothing.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::NewRule;
use crate::db::DbConnection;
use crate::domain::{Invalid, bounds};
use crate::engine::input::EventInput;
use crate::engine::member::{MemberState, Referrer, TierState};
use crate::engine::outcome::Awarded;
use crate::engine::outcome::{Considered, Line, ReferrerAward};
use crate::engine::{self, RuleSet};
use crate::error::AppResult;
use crate::members;
use crate::programs::Program;

/// A preview: an event, for an existing member (the event's `member`) or a hypothetical one,
/// through the active rules, the active rules with drafts in place, or the drafts alone.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub event: EventInput,
    /// Evaluate for a member who need not exist, in this state.
    #[serde(default)]
    pub hypothetical_member: Option<HypotheticalMember>,
    /// Draft rules (`{slug, ...definition}`): each replaces the active rule with its slug, or
    /// joins the set.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub rules: Option<Vec<Value>>,
    /// Use only the drafts, not the active rules.
    #[serde(default)]
    pub drafts_only: bool,
}

/// The state of a member who may not exist.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HypotheticalMember {
    /// A level of the program's ladder.
    pub tier: Option<String>,
    /// The level's multiplier, a decimal string from 1 to 100; by default the ladder's.
    #[schema(value_type = Option<String>)]
    pub tier_multiplier: Option<Decimal>,
    pub enrolled_at: Option<DateTime<Utc>>,
    pub birthday: Option<NaiveDate>,
    #[serde(default)]
    pub lifetime_earned: i64,
    /// Events recorded before this one, by type.
    #[serde(default)]
    pub event_counts: HashMap<String, i64>,
    /// Whether another member referred this one.
    #[serde(default)]
    pub referred: bool,
}

/// What the event would earn, and what became of every rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct Preview {
    pub points_awarded: i64,
    pub awarded: Awarded,
    pub rules: Vec<Line>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<ReferrerAward>,
    /// Each rule for the event's type: fired, or why not.
    pub considered: Vec<Considered>,
}

/// Evaluates the preview without writing anything.
pub fn preview(
    conn: &mut DbConnection,
    program: &Program,
    request: &PreviewRequest,
    now: NaiveDateTime,
) -> AppResult<Preview> {
    let event = request
        .event
        .validate(&program.currency, now)
        .map_err(|e| prefix_field(e, "event."))?;
    let drafts = request
        .rules
        .iter()
        .flatten()
        .enumerate()
        .map(|(i, value)| NewRule::from_json(value.clone(), &format!("rules[{i}].")))
        .collect::<AppResult<Vec<_>>>()?;
    let rules: RuleSet = if drafts.is_empty() && !request.drafts_only {
        super::load_set(conn, program)?
    } else {
        super::draft_set(conn, program, &drafts, request.drafts_only)?
    };
    let state = match &request.hypothetical_member {
        Some(hypothetical) => hypothetical_state(program, hypothetical, now)
            .map_err(|e| prefix_field(e, "hypothetical_member."))?,
        None => {
            let member = members::require(conn, program.id, &request.event.member)?;
            let referrer = match member.referred_by {
                Some(id) => Some(crate::db::models::members::find(conn, id)?),
                None => None,
            };
            let referrer = referrer.map(super::referrer);
            super::member_state(conn, program, &member, &rules, &event, referrer)?
        }
    };
    let outcome = engine::evaluate(&rules, &event, &state, now);
    let pending = outcome.available_at > now;
    Ok(Preview {
        points_awarded: outcome.points,
        awarded: Awarded {
            available: if pending { 0 } else { outcome.points },
            pending: if pending { outcome.points } else { 0 },
            available_at: pending.then(|| outcome.available_at.and_utc()),
        },
        rules: outcome.lines,
        referrer: outcome.referrer_award,
        considered: outcome.considered,
    })
}

fn hypothetical_state(
    program: &Program,
    h: &HypotheticalMember,
    now: NaiveDateTime,
) -> Result<MemberState, Invalid> {
    if let Some(enrolled_at) = h.enrolled_at {
        bounds::instant("enrolled_at", enrolled_at)?;
    }
    if let Some(multiplier) = h.tier_multiplier {
        let max = Decimal::from(bounds::MAX_MULTIPLIER);
        bounds::decimal_within("tier_multiplier", multiplier, Decimal::ONE, max)?;
    }
    let ladder_multiplier = |name: &str| {
        program
            .tiers
            .as_ref()
            .and_then(|t| t.level(name))
            .map(|(_, level)| level.multiplier)
    };
    Ok(MemberState {
        birthday: h.birthday,
        tier: h.tier.as_ref().map(|name| TierState {
            name: name.clone(),
            multiplier: h
                .tier_multiplier
                .or_else(|| ladder_multiplier(name))
                .unwrap_or(Decimal::ONE),
        }),
        lifetime_earned: h.lifetime_earned,
        event_counts: h.event_counts.clone(),
        referrer: h.referred.then(|| Referrer {
            id: -1,
            external_id: "(referrer)".into(),
            email: None,
            active: true,
        }),
        ..MemberState::new(0, h.enrolled_at.map_or(now, |t| t.naive_utc()))
    })
}

/// Puts `prefix` before the field an error names.
fn prefix_field(error: Invalid, prefix: &str) -> Invalid {
    Invalid {
        detail: format!("{prefix}{}", error.detail),
        field: format!("{prefix}{}", error.field),
    }
}
