//! Challenges: a goal (a count of matching events, or money spent on matching events or
//! items) to reach within a window (fixed dates, or every day, week or month in program time),
//! for a reward paid once per member and window.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::activity::{CompiledActivity, Measure, Play};
use super::condition::Condition;
use super::event::ItemFilter;
use super::windows::{CompiledWindow, Every};
use crate::domain::{Invalid, bounds};

/// What a member must do.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Goal {
    /// `target` events of the type that meet the conditions.
    Count {
        #[schema(value_type = i64, minimum = 1, maximum = 1000000)]
        target: Value,
        event_type: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        conditions: Vec<Condition>,
        /// Only events the earning rules gave points count.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        rewarded_only: bool,
    },
    /// `target` money (a decimal string, up to 1000000000000) spent over events of the type
    /// that meet the conditions: their merchandise, or only the items the filter selects.
    Sum {
        #[schema(value_type = String)]
        target: Value,
        event_type: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        conditions: Vec<Condition>,
        #[serde(default, skip_serializing_if = "ItemFilter::is_everything")]
        items: ItemFilter,
    },
}

/// When a challenge runs.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChallengeWindow {
    /// Once, from `starts_at` (inclusive) to `ends_at` (exclusive).
    Fixed {
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
    },
    /// Every day, week or month (program time), each a fresh window.
    Recurring { every: Every },
}

/// How members take part.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Enrolment {
    /// Every member takes part.
    #[default]
    Automatic,
    /// Members join (`POST /v1/me/challenges/{slug}/join`), for the window current when they
    /// join; only events from then on count.
    OptIn,
}

/// What completing the challenge pays, once per member and window.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeReward {
    /// Bonus points.
    #[serde(default, skip_serializing_if = "is_zero")]
    #[schema(minimum = 0, maximum = 1000000000)]
    pub points: i64,
    /// The slug of a badge to grant (its first level not yet held).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub badge: Option<String>,
    /// The slug of a reward of the catalogue to issue as a voucher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voucher: Option<String>,
}

fn is_zero(points: &i64) -> bool {
    *points == 0
}

/// A challenge as an admin defines it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub goal: Goal,
    pub window: ChallengeWindow,
    #[serde(default)]
    pub enrolment: Enrolment,
    /// Only members of these tiers take part (all when empty).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<String>,
    #[serde(default)]
    pub reward: ChallengeReward,
}

/// A challenge ready to evaluate; references to badges are resolved to their ids.
#[derive(Debug, Clone)]
pub struct CompiledChallenge {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub activity: CompiledActivity,
    pub measure: Measure,
    /// In the measure's units (events, or minor units of money).
    pub target: i64,
    pub window: CompiledWindow,
    pub opt_in: bool,
    pub tiers: Vec<String>,
    pub reward_points: i64,
    pub reward_badge: Option<i64>,
    pub reward_voucher: Option<String>,
}

impl ChallengeDefinition {
    /// Checks and compiles. `badge_id` resolves the reward badge's slug (`None`: no such
    /// active badge, refused).
    pub fn compile(
        &self,
        id: i64,
        slug: &str,
        exponent: u32,
        badge_id: impl Fn(&str) -> Option<i64>,
    ) -> Result<CompiledChallenge, Invalid> {
        crate::domain::text("name", &self.name, 200)?;
        if let Some(description) = &self.description {
            crate::domain::text("description", description, 1000)?;
        }
        let (activity, measure, target) = match &self.goal {
            Goal::Count {
                target,
                event_type,
                conditions,
                rewarded_only,
            } => (
                CompiledActivity::compile(event_type, conditions, *rewarded_only, "goal.")?,
                Measure::Count,
                target,
            ),
            Goal::Sum {
                target,
                event_type,
                conditions,
                items,
            } => (
                CompiledActivity::compile(event_type, conditions, false, "goal.")?,
                Measure::Spend(items.clone()),
                target,
            ),
        };
        let target = measure.units(target, "goal.target", exponent)?;
        if let ChallengeWindow::Fixed { starts_at, ends_at } = &self.window {
            bounds::instant("window.starts_at", *starts_at)?;
            bounds::instant("window.ends_at", *ends_at)?;
        }
        let window = match &self.window {
            ChallengeWindow::Fixed { starts_at, ends_at } if starts_at >= ends_at => {
                return Err(Invalid::new(
                    "window.ends_at",
                    "window.ends_at: must be after starts_at",
                ));
            }
            ChallengeWindow::Fixed { starts_at, ends_at } => CompiledWindow::Fixed {
                starts_at: starts_at.naive_utc(),
                ends_at: ends_at.naive_utc(),
            },
            ChallengeWindow::Recurring { every } => CompiledWindow::Recurring(*every),
        };
        let reward = &self.reward;
        bounds::points("reward.points", reward.points, 0)?;
        let reward_badge = match &reward.badge {
            Some(slug) => Some(badge_id(slug).ok_or_else(|| {
                Invalid::new(
                    "reward.badge",
                    format!("reward.badge: no active badge `{slug}` in this program"),
                )
            })?),
            None => None,
        };
        if let Some(voucher) = &reward.voucher {
            crate::domain::slug("reward.voucher", voucher)?;
        }
        Ok(CompiledChallenge {
            id,
            slug: slug.to_owned(),
            name: self.name.clone(),
            activity,
            measure,
            target,
            window,
            opt_in: self.enrolment == Enrolment::OptIn,
            tiers: self.tiers.clone(),
            reward_points: reward.points,
            reward_badge,
            reward_voucher: reward.voucher.clone(),
        })
    }
}

/// A member's standing in one window of a challenge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChallengeProgress {
    pub progress: i64,
    /// Opt-in challenges: when the member joined this window.
    pub joined_at: Option<NaiveDateTime>,
    pub completed: bool,
}

/// What an event does to a challenge it counts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advance {
    pub before: i64,
    pub after: i64,
    /// This event reached the target: pay the reward.
    pub completes: bool,
    /// The window was completed already: nothing changes, nothing is paid again.
    pub already_completed: bool,
}

impl CompiledChallenge {
    /// Whether a member of this tier takes part.
    pub fn admits(&self, tier: Option<&str>) -> bool {
        self.tiers.is_empty() || tier.is_some_and(|t| self.tiers.iter().any(|x| x == t))
    }

    /// What the event does to the member's progress in the event's window, or `None` if it
    /// does not count: another activity, a tier not taking part, an opt-in challenge not
    /// joined before the event, or nothing to add.
    pub fn advance(&self, play: &Play<'_>, current: Option<&ChallengeProgress>) -> Option<Advance> {
        if !self.activity.matches(play) {
            return None;
        }
        let tier = play.facts.member.tier.as_ref().map(|t| t.name.as_str());
        if !self.admits(tier) {
            return None;
        }
        let joined_before = current
            .and_then(|c| c.joined_at)
            .is_some_and(|joined| joined <= play.occurred_at());
        if self.opt_in && !joined_before {
            return None;
        }
        let before = current.map_or(0, |c| c.progress);
        if current.is_some_and(|c| c.completed) {
            return Some(Advance {
                before,
                after: before,
                completes: false,
                already_completed: true,
            });
        }
        let added = self.measure.of(play);
        if added <= 0 {
            return None;
        }
        let after = before.saturating_add(added);
        Some(Advance {
            before,
            after,
            completes: after >= self.target,
            already_completed: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::member::TierState;
    use crate::engine::tests_support::{at, play_in, play_of, purchase};
    use chrono::Duration;
    use rust_decimal::Decimal;
    use serde_json::json;

    fn compile(definition: Value) -> CompiledChallenge {
        let definition: ChallengeDefinition = serde_json::from_value(definition).unwrap();
        definition.compile(7, "c", 2, |_| Some(99)).unwrap()
    }

    fn star_dash() -> CompiledChallenge {
        compile(json!({"name": "Star Dash",
            "goal": {"type": "count", "target": 3, "event_type": "purchase",
                     "conditions": [{"field": "amount", "op": "gte", "value": "10.00"}]},
            "window": {"type": "recurring", "every": "week"}, "enrolment": "opt_in",
            "reward": {"points": 50}}))
    }

    fn joined(at: NaiveDateTime, progress: i64) -> ChallengeProgress {
        ChallengeProgress {
            progress,
            joined_at: Some(at),
            completed: false,
        }
    }

    #[test]
    fn an_opt_in_challenge_counts_only_events_after_joining() {
        let dash = star_dash();
        let event = purchase("12.00", &[]);
        let play = play_of(&event, true);
        assert_eq!(dash.advance(&play, None), None, "not joined");
        let later = joined(event.occurred_at + Duration::minutes(1), 0);
        assert_eq!(dash.advance(&play, Some(&later)), None, "joined after");
        let before = joined(event.occurred_at - Duration::minutes(1), 2);
        let step = dash.advance(&play, Some(&before)).unwrap();
        assert_eq!((step.before, step.after, step.completes), (2, 3, true));
    }

    #[test]
    fn a_completed_window_pays_nothing_again_and_small_purchases_do_not_count() {
        let dash = star_dash();
        let event = purchase("12.00", &[]);
        let done = ChallengeProgress {
            completed: true,
            ..joined(at("2026-11-23 10:00"), 3)
        };
        let step = dash.advance(&play_of(&event, true), Some(&done)).unwrap();
        assert!(step.already_completed && !step.completes);
        let small = purchase("9.99", &[]);
        let open = joined(at("2026-11-23 10:00"), 0);
        assert_eq!(dash.advance(&play_of(&small, true), Some(&open)), None);
    }

    #[test]
    fn a_sum_goal_adds_the_filtered_items_spend_automatically() {
        let sprint = compile(json!({"name": "Skincare Sprint",
            "goal": {"type": "sum", "target": "75.00", "event_type": "purchase",
                     "items": {"categories": ["skincare"]}},
            "window": {"type": "recurring", "every": "month"},
            "reward": {"points": 150, "badge": "glow-getter"}}));
        assert_eq!((sprint.target, sprint.reward_badge), (7500, Some(99)));
        let event = purchase("90.00", &[("skincare", "40.00"), ("makeup", "50.00")]);
        let first = sprint.advance(&play_of(&event, true), None).unwrap();
        assert_eq!((first.after, first.completes), (4000, false));
        let progress = ChallengeProgress {
            progress: 4000,
            ..ChallengeProgress::default()
        };
        let second = sprint
            .advance(&play_of(&event, true), Some(&progress))
            .unwrap();
        assert_eq!((second.after, second.completes), (8000, true));
        let makeup = purchase("50.00", &[("makeup", "50.00")]);
        assert_eq!(sprint.advance(&play_of(&makeup, true), None), None);
    }

    #[test]
    fn a_tier_restricted_challenge_ignores_other_tiers() {
        let mut gold_only = star_dash();
        gold_only.opt_in = false;
        gold_only.tiers = vec!["Gold".into()];
        let event = purchase("12.00", &[]);
        assert_eq!(gold_only.advance(&play_of(&event, true), None), None);
        let mut member = crate::engine::member::MemberState::new(1, at("2026-01-01 00:00"));
        member.tier = Some(TierState {
            name: "Gold".into(),
            multiplier: Decimal::ONE,
        });
        let mut play = play_in(&event, chrono_tz::UTC, true);
        play.facts.member = &member;
        assert!(gold_only.advance(&play, None).is_some());
    }

    #[test]
    fn invalid_definitions_name_the_field() {
        let bad = |definition: Value, field: &str| {
            let definition: ChallengeDefinition = serde_json::from_value(definition).unwrap();
            let err = definition.compile(1, "c", 2, |_| None).unwrap_err();
            assert!(err.to_string().starts_with(field), "{err}");
        };
        let goal = json!({"type": "count", "target": 3, "event_type": "purchase"});
        let week = json!({"type": "recurring", "every": "week"});
        bad(
            json!({"name": "x", "goal": {"type": "count", "target": 0, "event_type": "purchase"}, "window": week}),
            "goal.target",
        );
        bad(
            json!({"name": "x", "goal": goal, "window": week, "reward": {"badge": "nope"}}),
            "reward.badge",
        );
        bad(
            json!({"name": "x", "goal": goal, "window": {"type": "fixed",
            "starts_at": "2026-12-08T00:00:00Z", "ends_at": "2026-12-01T00:00:00Z"}}),
            "window.ends_at",
        );
        bad(json!({"name": "", "goal": goal, "window": week}), "name");
    }
}
