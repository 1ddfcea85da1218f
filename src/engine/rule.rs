//! Earning rules: data an admin writes, checked and compiled once per version.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::condition::{CompiledCondition, Condition};
use super::effect::Effect;
use super::event::EventType;
use super::period::Period;
use crate::domain::Invalid;
use crate::domain::bounds::{self, MAX_COUNT, MAX_PRIORITY, MAX_TOTAL};

/// How a rule combines with the others that fire for the same event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stacking {
    /// Applies together with every other rule that fires.
    #[default]
    Stack,
    /// When it fires, rules of lower priority do not.
    Exclusive,
    /// Of the rules of its `group` that fire, only the one worth the most points applies.
    BestOfGroup,
}

/// A cap on how often, or for how many points, a rule pays one member in a window.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    pub per: Period,
    /// At most this many times.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1000000)]
    pub count: Option<i64>,
    /// At most this many points in all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1000000000000_i64)]
    pub points: Option<i64>,
}

/// A rule's definition: what an admin creates and changes (each change is a new version).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleDefinition {
    pub name: String,
    /// `purchase`, `refund`, `referral`, `review`, `signup`, `birthday` or a custom type.
    pub event_type: String,
    /// All must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    pub effects: Vec<Effect>,
    /// Higher first; rules of equal priority in creation order.
    #[serde(default)]
    #[schema(minimum = -1000000, maximum = 1000000)]
    pub priority: i32,
    #[serde(default)]
    pub stacking: Stacking,
    /// For `best_of_group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The rule applies to events that occur from this time...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_from: Option<DateTime<Utc>>,
    /// ...and before this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<Limit>,
}

/// A rule version ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledRule {
    pub id: i64,
    pub slug: String,
    pub version: i32,
    pub definition: RuleDefinition,
    pub event_type: EventType,
    pub conditions: Vec<CompiledCondition>,
    pub active_from: Option<NaiveDateTime>,
    pub active_until: Option<NaiveDateTime>,
}

impl RuleDefinition {
    /// Checks every part of the definition and compiles it. `prefix` is put before field
    /// names in errors (`rules[2].`, or nothing for a single rule).
    pub fn compile(
        &self,
        id: i64,
        slug: &str,
        version: i32,
        prefix: &str,
    ) -> Result<CompiledRule, Invalid> {
        let invalid = |field: String, detail: String| {
            Invalid::new(
                format!("{prefix}{field}"),
                format!("{prefix}{field}: {detail}"),
            )
        };
        crate::domain::text("name", &self.name, 200)
            .map_err(|_| invalid("name".into(), "give 1 to 200 characters".into()))?;
        let event_type =
            EventType::parse(&self.event_type).map_err(|e| invalid("event_type".into(), e))?;
        if self.effects.is_empty() {
            return Err(invalid("effects".into(), "give at least one effect".into()));
        }
        for (i, effect) in self.effects.iter().enumerate() {
            effect
                .check()
                .map_err(|(key, detail)| invalid(format!("effects[{i}].{key}"), detail))?;
            let fits = match effect {
                Effect::PointsPerAmount { .. } => !matches!(event_type, EventType::Refund),
                Effect::ReferralBonus { .. } => event_type == EventType::Purchase,
                _ => event_type != EventType::Refund,
            };
            if !fits {
                return Err(invalid(
                    format!("effects[{i}].type"),
                    format!("this effect cannot apply to `{}` events", event_type),
                ));
            }
        }
        let conditions = self
            .conditions
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.compile()
                    .map_err(|(part, detail)| invalid(format!("conditions[{i}].{part}"), detail))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if self.stacking == Stacking::BestOfGroup && self.group.as_deref().is_none_or(str::is_empty)
        {
            return Err(invalid(
                "group".into(),
                "best_of_group needs a group name".into(),
            ));
        }
        for (field, at) in [
            ("active_from", self.active_from),
            ("active_until", self.active_until),
        ] {
            if let Some(at) = at {
                bounds::instant(field, at).map_err(|e| {
                    Invalid::new(
                        format!("{prefix}{}", e.field),
                        format!("{prefix}{}", e.detail),
                    )
                })?;
            }
        }
        if let (Some(from), Some(until)) = (self.active_from, self.active_until)
            && from >= until
        {
            return Err(invalid(
                "active_until".into(),
                "must be after active_from".into(),
            ));
        }
        if !(-MAX_PRIORITY..=MAX_PRIORITY).contains(&self.priority) {
            return Err(invalid(
                "priority".into(),
                bounds::between(-MAX_PRIORITY, MAX_PRIORITY),
            ));
        }
        for (i, limit) in self.limits.iter().enumerate() {
            if limit.count.is_none() && limit.points.is_none() {
                return Err(invalid(
                    format!("limits[{i}]"),
                    "give a count, points, or both".into(),
                ));
            }
            if let Some(count) = limit.count
                && !(1..=MAX_COUNT).contains(&count)
            {
                return Err(invalid(
                    format!("limits[{i}].count"),
                    bounds::between(1, MAX_COUNT),
                ));
            }
            if let Some(points) = limit.points
                && !(1..=MAX_TOTAL).contains(&points)
            {
                return Err(invalid(
                    format!("limits[{i}].points"),
                    bounds::between(1, MAX_TOTAL),
                ));
            }
        }
        Ok(CompiledRule {
            id,
            slug: slug.to_owned(),
            version,
            event_type,
            conditions,
            active_from: self.active_from.map(|t| t.naive_utc()),
            active_until: self.active_until.map(|t| t.naive_utc()),
            definition: self.clone(),
        })
    }
}

impl CompiledRule {
    pub fn is_active_at(&self, at: NaiveDateTime) -> bool {
        self.active_from.is_none_or(|from| at >= from)
            && self.active_until.is_none_or(|until| at < until)
    }

    /// The periods this rule's limits count in.
    pub fn limited_periods(&self) -> impl Iterator<Item = Period> + '_ {
        self.definition.limits.iter().map(|l| l.per)
    }
}
