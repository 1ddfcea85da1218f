//! Badges: earned when a criterion over the member's history holds, once per level
//! (bronze/silver/gold), each level with an optional points bonus.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::activity::{CompiledActivity, Measure};
use super::condition::Condition;
use super::event::ItemFilter;
use super::tiers::TierPolicy;
use crate::domain::{Invalid, bounds};

/// What earns a badge.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Criterion {
    /// The member's first event of the type that meets the conditions.
    FirstEvent {
        event_type: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        conditions: Vec<Condition>,
    },
    /// A number of events of the type that meet the conditions (`rewarded_only`: only events
    /// the earning rules gave points).
    EventCount {
        event_type: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        conditions: Vec<Condition>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        rewarded_only: bool,
    },
    /// An amount of money spent over events of the type that meet the conditions: their
    /// merchandise, or only the items the filter selects. Thresholds are decimal strings.
    EventSum {
        event_type: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        conditions: Vec<Condition>,
        #[serde(default, skip_serializing_if = "ItemFilter::is_everything")]
        items: ItemFilter,
    },
    /// Referrals that paid out: times the member was paid as the referrer.
    Referrals,
    /// Reaching a tier (or a higher one).
    Tier { tier: String },
    /// A streak (by slug) of a length (in its days or weeks).
    Streak { streak: String },
    /// Only given as a challenge's reward.
    Awarded,
}

/// One level of a badge.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelDefinition {
    /// `bronze`, `silver`, `gold`, ...
    pub name: String,
    /// The progress that earns it: a count or a streak length (1 to 1000000), or money as a
    /// decimal string (up to 1000000000000).
    #[schema(value_type = Object)]
    pub threshold: Value,
    /// Bonus points when earned.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub points: i64,
}

fn is_zero(points: &i64) -> bool {
    *points == 0
}

/// A badge as an admin defines it: one level (`threshold`, `points`) or several (`levels`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BadgeDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Hidden badges are shown to members only once earned.
    #[serde(default)]
    pub hidden: bool,
    pub criterion: Criterion,
    /// One level: the progress that earns it (default 1 for counts and referrals; required for
    /// sums and streaks; not given for first events, tiers and awarded badges).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub threshold: Option<Value>,
    /// One level: bonus points when earned.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub points: i64,
    /// Several levels, lowest first, instead of `threshold` and `points`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<LevelDefinition>,
}

/// How a badge's progress is measured.
#[derive(Debug, Clone)]
pub enum Progress {
    /// A counter kept per member, raised by matching events.
    Counter {
        activity: CompiledActivity,
        measure: Measure,
    },
    /// Referrals paid to the member as referrer (a counter raised by the referred member's
    /// events).
    Referrals,
    /// The index of the member's tier on the ladder; the level's threshold is the tier's.
    Tier,
    /// The current length of a streak.
    Streak { streak_id: i64 },
    /// Nothing: a challenge grants it.
    Awarded,
}

/// One level, compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadgeLevel {
    /// 1 for the first.
    pub level: i32,
    pub name: Option<String>,
    /// In the progress's units.
    pub threshold: i64,
    pub points: i64,
}

/// A badge ready to evaluate.
#[derive(Debug, Clone)]
pub struct CompiledBadge {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub hidden: bool,
    pub progress: Progress,
    /// Ascending thresholds.
    pub levels: Vec<BadgeLevel>,
}

impl CompiledBadge {
    /// The name of one of its levels, when it has one.
    pub fn level_name(&self, level: i32) -> Option<String> {
        self.levels
            .iter()
            .find(|l| l.level == level)
            .and_then(|l| l.name.clone())
    }

    /// The reason a ledger entry of its bonus at `level` gives.
    pub fn bonus_reason(&self, level: i32) -> String {
        match self.level_name(level) {
            Some(name) => format!("badge {} ({name})", self.name),
            None => format!("badge {}", self.name),
        }
    }
}

/// What badges can refer to, by slug.
pub struct BadgeContext<'a> {
    pub exponent: u32,
    pub tiers: Option<&'a TierPolicy>,
    /// The id of an active streak.
    pub streak_id: &'a dyn Fn(&str) -> Option<i64>,
}

impl BadgeDefinition {
    /// Checks and compiles; errors name the field.
    pub fn compile(
        &self,
        id: i64,
        slug: &str,
        context: &BadgeContext<'_>,
    ) -> Result<CompiledBadge, Invalid> {
        crate::domain::text("name", &self.name, 200)?;
        if let Some(description) = &self.description {
            crate::domain::text("description", description, 1000)?;
        }
        let invalid = |field: &str, detail: &str| Invalid::new(field, format!("{field}: {detail}"));
        let counter = |event_type: &str, conditions: &[Condition], rewarded, measure| {
            Ok::<_, Invalid>(Progress::Counter {
                activity: CompiledActivity::compile(
                    event_type,
                    conditions,
                    rewarded,
                    "criterion.",
                )?,
                measure,
            })
        };
        // The measure thresholds are read in, and the threshold of a badge of one level when
        // none is given (`None`: one must be given; the tier's own for tier badges).
        let (progress, measure, default) = match &self.criterion {
            Criterion::FirstEvent {
                event_type,
                conditions,
            } => (
                counter(event_type, conditions, false, Measure::Count)?,
                Measure::Count,
                Some(1),
            ),
            Criterion::EventCount {
                event_type,
                conditions,
                rewarded_only,
            } => (
                counter(event_type, conditions, *rewarded_only, Measure::Count)?,
                Measure::Count,
                Some(1),
            ),
            Criterion::EventSum {
                event_type,
                conditions,
                items,
            } => {
                let measure = Measure::Spend(items.clone());
                (
                    counter(event_type, conditions, false, measure.clone())?,
                    measure,
                    None,
                )
            }
            Criterion::Referrals => (Progress::Referrals, Measure::Count, Some(1)),
            Criterion::Tier { tier } => {
                let policy = context
                    .tiers
                    .ok_or_else(|| invalid("criterion.tier", "this program has no tiers"))?;
                let (index, _) = policy.level(tier).ok_or_else(|| {
                    invalid(
                        "criterion.tier",
                        &format!("`{tier}` is not a tier of this program"),
                    )
                })?;
                (Progress::Tier, Measure::Count, Some(index as i64))
            }
            Criterion::Streak { streak } => {
                let streak_id = (context.streak_id)(streak).ok_or_else(|| {
                    invalid(
                        "criterion.streak",
                        &format!("no active streak `{streak}` in this program"),
                    )
                })?;
                (Progress::Streak { streak_id }, Measure::Count, None)
            }
            Criterion::Awarded => (Progress::Awarded, Measure::Count, Some(1)),
        };
        let fixed_threshold = matches!(
            self.criterion,
            Criterion::FirstEvent { .. } | Criterion::Tier { .. } | Criterion::Awarded
        );
        let levels = if self.levels.is_empty() {
            bounds::points("points", self.points, 0)?;
            let threshold = match (&self.threshold, default) {
                (Some(_), _) if fixed_threshold => {
                    return Err(invalid("threshold", "this criterion takes no threshold"));
                }
                (Some(value), _) => measure.units(value, "threshold", context.exponent)?,
                (None, Some(default)) => default,
                (None, None) => return Err(invalid("threshold", "give the threshold, or levels")),
            };
            vec![BadgeLevel {
                level: 1,
                name: None,
                threshold,
                points: self.points,
            }]
        } else {
            if fixed_threshold {
                return Err(invalid(
                    "levels",
                    "this criterion has one level: give no levels",
                ));
            }
            if self.threshold.is_some() || self.points != 0 {
                return Err(invalid(
                    "levels",
                    "give levels, or threshold and points, not both",
                ));
            }
            self.compile_levels(&measure, context.exponent)?
        };
        Ok(CompiledBadge {
            id,
            slug: slug.to_owned(),
            name: self.name.clone(),
            hidden: self.hidden,
            progress,
            levels,
        })
    }

    fn compile_levels(&self, measure: &Measure, exponent: u32) -> Result<Vec<BadgeLevel>, Invalid> {
        if self.levels.len() > 20 {
            return Err(Invalid::new("levels", "levels: at most 20"));
        }
        let mut levels: Vec<BadgeLevel> = Vec::with_capacity(self.levels.len());
        for (i, level) in self.levels.iter().enumerate() {
            let field = |name: &str| format!("levels[{i}].{name}");
            crate::domain::text(&field("name"), &level.name, 60)?;
            let threshold = measure.units(&level.threshold, &field("threshold"), exponent)?;
            if levels
                .last()
                .is_some_and(|below| threshold <= below.threshold)
            {
                return Err(Invalid::new(
                    field("threshold"),
                    format!("{}: must be above the level below", field("threshold")),
                ));
            }
            bounds::points(&field("points"), level.points, 0)?;
            levels.push(BadgeLevel {
                level: i as i32 + 1,
                name: Some(level.name.clone()),
                threshold,
                points: level.points,
            });
        }
        Ok(levels)
    }
}

impl CompiledBadge {
    /// The levels `progress` reaches that the member does not hold yet, lowest first.
    pub fn reached<'b>(
        &'b self,
        progress: i64,
        held: &'b BTreeSet<i32>,
    ) -> impl Iterator<Item = &'b BadgeLevel> {
        self.levels
            .iter()
            .filter(move |l| l.threshold <= progress && !held.contains(&l.level))
    }

    /// Whether the member holds every level (its progress no longer matters).
    pub fn complete(&self, held: &BTreeSet<i32>) -> bool {
        self.levels.iter().all(|l| held.contains(&l.level))
    }

    /// The lowest level not held.
    pub fn next(&self, held: &BTreeSet<i32>) -> Option<&BadgeLevel> {
        self.levels.iter().find(|l| !held.contains(&l.level))
    }

    /// Whether progress is a count kept per member, raised by matching events.
    pub fn counter(&self) -> Option<(&CompiledActivity, &Measure)> {
        match &self.progress {
            Progress::Counter { activity, measure } => Some((activity, measure)),
            _ => None,
        }
    }

    /// The measure progress and thresholds are counted in.
    pub fn measure(&self) -> Measure {
        self.counter().map_or(Measure::Count, |(_, m)| m.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn no_streak(_: &str) -> Option<i64> {
        None
    }

    fn context() -> BadgeContext<'static> {
        BadgeContext {
            exponent: 2,
            tiers: None,
            streak_id: &no_streak,
        }
    }

    fn compile(definition: Value) -> Result<CompiledBadge, Invalid> {
        let definition: BadgeDefinition = serde_json::from_value(definition).unwrap();
        definition.compile(1, "b", &context())
    }

    fn held(levels: &[i32]) -> BTreeSet<i32> {
        levels.iter().copied().collect()
    }

    #[test]
    fn reviewer_levels_are_earned_once_each_as_the_count_passes_them() {
        let reviewer = compile(json!({"name": "Reviewer",
            "criterion": {"type": "event_count", "event_type": "review"},
            "levels": [{"name": "bronze", "threshold": 5}, {"name": "silver", "threshold": 25},
                       {"name": "gold", "threshold": 100, "points": 100}]}))
        .unwrap();
        let levels = |progress, have: &[i32]| -> Vec<i32> {
            reviewer
                .reached(progress, &held(have))
                .map(|l| l.level)
                .collect()
        };
        assert_eq!(levels(4, &[]), Vec::<i32>::new());
        assert_eq!(levels(5, &[]), [1]);
        assert_eq!(levels(25, &[1]), [2]);
        assert_eq!(
            levels(100, &[]),
            [1, 2, 3],
            "a late start earns every level passed"
        );
        assert_eq!(reviewer.levels[2].points, 100);
        assert!(reviewer.complete(&held(&[1, 2, 3])));
        assert_eq!(
            reviewer.next(&held(&[1])).unwrap().name.as_deref(),
            Some("silver")
        );
    }

    #[test]
    fn a_first_event_badge_has_one_level_at_one() {
        let first = compile(json!({"name": "First Sip",
            "criterion": {"type": "first_event", "event_type": "purchase"}}))
        .unwrap();
        assert_eq!(first.levels.len(), 1);
        assert_eq!(first.reached(1, &held(&[])).count(), 1);
        assert!(first.counter().is_some());
    }

    #[test]
    fn a_spend_badge_counts_money_in_minor_units() {
        let big = compile(json!({"name": "Big spender", "points": 25,
            "criterion": {"type": "event_sum", "event_type": "purchase"}, "threshold": "500.00"}))
        .unwrap();
        assert_eq!(big.levels[0].threshold, 50_000);
        assert_eq!(big.levels[0].points, 25);
        assert!(big.measure().is_money());
    }

    #[test]
    fn tier_and_streak_badges_resolve_their_references() {
        let policy: TierPolicy = serde_json::from_value(json!({
            "metric": {"type": "points_earned"}, "window": {"type": "lifetime"},
            "levels": [{"name": "Green", "threshold": "0"}, {"name": "Gold", "threshold": "500"}]}))
        .unwrap();
        let streak = |slug: &str| (slug == "weekly").then_some(4);
        let context = BadgeContext {
            exponent: 2,
            tiers: Some(&policy),
            streak_id: &streak,
        };
        let gold: BadgeDefinition = serde_json::from_value(
            json!({"name": "Gold", "criterion": {"type": "tier", "tier": "Gold"}}),
        )
        .unwrap();
        assert_eq!(
            gold.compile(1, "g", &context).unwrap().levels[0].threshold,
            1
        );
        let regular: BadgeDefinition = serde_json::from_value(json!({"name": "Regular",
            "criterion": {"type": "streak", "streak": "weekly"}, "threshold": 4}))
        .unwrap();
        let regular = regular.compile(2, "r", &context).unwrap();
        assert!(matches!(
            regular.progress,
            Progress::Streak { streak_id: 4 }
        ));
        let nope: BadgeDefinition = serde_json::from_value(
            json!({"name": "x", "criterion": {"type": "tier", "tier": "Platinum"}}),
        )
        .unwrap();
        let err = nope.compile(3, "x", &context).unwrap_err();
        assert!(err.to_string().starts_with("criterion.tier"), "{err}");
    }

    #[test]
    fn invalid_badges_name_the_field() {
        let field = |definition: Value| match compile(definition) {
            Err(e) => e.field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(
                json!({"name": "x", "criterion": {"type": "event_count", "event_type": "review"},
                "levels": [{"name": "a", "threshold": 5}, {"name": "b", "threshold": 5}]})
            ),
            "levels[1].threshold"
        );
        assert_eq!(
            field(
                json!({"name": "x", "criterion": {"type": "event_sum", "event_type": "purchase"}})
            ),
            "threshold"
        );
        assert_eq!(
            field(
                json!({"name": "x", "criterion": {"type": "first_event", "event_type": "purchase"},
                "threshold": 2})
            ),
            "threshold"
        );
        assert_eq!(
            field(
                json!({"name": "x", "criterion": {"type": "streak", "streak": "none"}, "threshold": 2})
            ),
            "criterion.streak"
        );
        assert_eq!(
            field(
                json!({"name": "x", "criterion": {"type": "referrals"}, "threshold": 3,
                "levels": [{"name": "a", "threshold": 5}]})
            ),
            "levels"
        );
    }
}
