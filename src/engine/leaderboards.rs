//! Leaderboards: members ranked by a metric over a period. Scores are kept per period and
//! raised event by event, so reading one never sums history.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::activity::{CompiledActivity, Measure, Play};
use super::condition::Condition;
use super::event::{EventType, ItemFilter};
use super::period::{self, Period};
use super::windows::{CompiledWindow, Every, WindowRef};
use crate::domain::Invalid;

/// What members are ranked by.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LeaderboardMetric {
    /// Points events earned the member: the earning rules' and the game layer's bonuses, and
    /// what the member was paid as a referrer; refunds take their reversal off.
    PointsEarned,
    /// Money spent on merchandise (the items the filter selects), net of refunds.
    QualifyingSpend {
        #[serde(default, skip_serializing_if = "ItemFilter::is_everything")]
        items: ItemFilter,
    },
    /// Events of a type that meet the conditions; `rewarded_only`: only those the earning
    /// rules gave points ("rewarded reviews").
    EventCount {
        event_type: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        conditions: Vec<Condition>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        rewarded_only: bool,
    },
}

/// Over which time scores add up.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LeaderboardPeriod {
    /// This day, week (Monday to Sunday) or month, in program time.
    Day,
    Week,
    Month,
    AllTime,
    /// The windows of a challenge (by slug): only events inside them count.
    Challenge {
        challenge: String,
    },
}

fn ten() -> u32 {
    10
}

/// A leaderboard as an admin defines it.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderboardDefinition {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub metric: LeaderboardMetric,
    pub period: LeaderboardPeriod,
    /// How many members the top shows: 1 to 100, default 10.
    #[serde(default = "ten")]
    #[schema(minimum = 1, maximum = 100)]
    pub size: u32,
}

/// The metric, compiled.
#[derive(Debug, Clone)]
pub enum CompiledMetric {
    PointsEarned,
    Spend(ItemFilter),
    Events(CompiledActivity),
}

/// The period, compiled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompiledPeriod {
    Calendar(Period),
    AllTime,
    Challenge(CompiledWindow),
}

/// A leaderboard ready to score events.
#[derive(Debug, Clone)]
pub struct CompiledLeaderboard {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub size: u32,
    pub metric: CompiledMetric,
    pub period: CompiledPeriod,
    /// What a read shows besides the name: the description, and the metric as defined.
    pub description: Option<String>,
    pub shown_metric: LeaderboardMetric,
}

impl LeaderboardDefinition {
    /// Checks and compiles; `challenge_window` resolves a challenge's slug to its window.
    pub fn compile(
        &self,
        id: i64,
        slug: &str,
        challenge_window: impl Fn(&str) -> Option<CompiledWindow>,
    ) -> Result<CompiledLeaderboard, Invalid> {
        crate::domain::text("name", &self.name, 200)?;
        if let Some(description) = &self.description {
            crate::domain::text("description", description, 1000)?;
        }
        if !(1..=100).contains(&self.size) {
            return Err(Invalid::new("size", "size: must be between 1 and 100"));
        }
        let metric = match &self.metric {
            LeaderboardMetric::PointsEarned => CompiledMetric::PointsEarned,
            LeaderboardMetric::QualifyingSpend { items } => CompiledMetric::Spend(items.clone()),
            LeaderboardMetric::EventCount {
                event_type,
                conditions,
                rewarded_only,
            } => CompiledMetric::Events(CompiledActivity::compile(
                event_type,
                conditions,
                *rewarded_only,
                "metric.",
            )?),
        };
        let period = match &self.period {
            LeaderboardPeriod::Day => CompiledPeriod::Calendar(Period::Day),
            LeaderboardPeriod::Week => CompiledPeriod::Calendar(Period::Week),
            LeaderboardPeriod::Month => CompiledPeriod::Calendar(Period::Month),
            LeaderboardPeriod::AllTime => CompiledPeriod::AllTime,
            LeaderboardPeriod::Challenge { challenge } => {
                CompiledPeriod::Challenge(challenge_window(challenge).ok_or_else(|| {
                    Invalid::new(
                        "period.challenge",
                        format!(
                            "period.challenge: no active challenge `{challenge}` in this program"
                        ),
                    )
                })?)
            }
        };
        Ok(CompiledLeaderboard {
            id,
            slug: slug.to_owned(),
            name: self.name.clone(),
            size: self.size,
            metric,
            period,
            description: self.description.clone(),
            shown_metric: self.metric.clone(),
        })
    }
}

impl CompiledLeaderboard {
    /// The period containing `at` (`None`: outside the challenge's windows).
    pub fn period_at(&self, tz: Tz, at: NaiveDateTime) -> Option<WindowRef> {
        match self.period {
            CompiledPeriod::Calendar(period) => {
                let every = match period {
                    Period::Day => Every::Day,
                    Period::Week => Every::Week,
                    _ => Every::Month,
                };
                CompiledWindow::Recurring(every).at(tz, at)
            }
            CompiledPeriod::AllTime => Some(WindowRef {
                key: Period::Lifetime.key(period::local(tz, at)),
                starts_at: NaiveDateTime::MIN,
                ends_at: NaiveDateTime::MAX,
            }),
            CompiledPeriod::Challenge(window) => window.at(tz, at),
        }
    }

    /// Whether events of this type can change scores.
    pub fn scores(&self, kind: &EventType) -> bool {
        match &self.metric {
            CompiledMetric::PointsEarned => true,
            CompiledMetric::Spend(_) => *kind == EventType::Purchase,
            CompiledMetric::Events(activity) => activity.event_type == *kind,
        }
    }

    /// What the event adds to the member's score; `points` is everything it earned the member.
    pub fn delta(&self, play: &Play<'_>, points: i64) -> i64 {
        match &self.metric {
            CompiledMetric::PointsEarned => points,
            CompiledMetric::Spend(items) if play.facts.event.kind == EventType::Purchase => {
                Measure::Spend(items.clone()).of(play)
            }
            CompiledMetric::Spend(_) => 0,
            CompiledMetric::Events(activity) => i64::from(activity.matches(play)),
        }
    }

    /// Scores are money (minor units).
    pub fn is_money(&self) -> bool {
        matches!(self.metric, CompiledMetric::Spend(_))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::tests_support::{at, event, play_in, play_of, purchase};
    use serde_json::json;

    fn compile(definition: serde_json::Value) -> CompiledLeaderboard {
        let definition: LeaderboardDefinition = serde_json::from_value(definition).unwrap();
        definition
            .compile(3, "l", |slug| {
                (slug == "dash").then_some(CompiledWindow::Fixed {
                    starts_at: at("2026-12-01 00:00"),
                    ends_at: at("2026-12-08 00:00"),
                })
            })
            .unwrap()
    }

    #[test]
    fn weekly_stars_count_every_point_earned_in_the_programs_week() {
        let weekly = compile(
            json!({"name": "Weekly Stars", "metric": {"type": "points_earned"},
            "period": {"type": "week"}}),
        );
        let ny = chrono_tz::America::New_York;
        let mut late_sunday = purchase("10.00", &[]);
        late_sunday.occurred_at = at("2026-11-30 03:00");
        assert_eq!(
            weekly.period_at(ny, late_sunday.occurred_at).unwrap().key,
            "2026-W48"
        );
        assert_eq!(weekly.delta(&play_in(&late_sunday, ny, true), 12), 12);
        let review = event("review", at("2026-11-25 12:00"));
        assert!(weekly.scores(&review.kind));
    }

    #[test]
    fn rewarded_reviews_count_only_reviews_the_rules_paid_for() {
        let top = compile(
            json!({"name": "Top reviewers", "size": 10, "period": {"type": "month"},
            "metric": {"type": "event_count", "event_type": "review", "rewarded_only": true}}),
        );
        let review = event("review", at("2026-11-25 12:00"));
        assert_eq!(top.delta(&play_of(&review, true), 5), 1);
        assert_eq!(top.delta(&play_of(&review, false), 0), 0);
        assert!(!top.scores(&purchase("1.00", &[]).kind));
        assert_eq!(
            top.period_at(chrono_tz::UTC, review.occurred_at)
                .unwrap()
                .key,
            "2026-11"
        );
    }

    #[test]
    fn spend_counts_purchases_and_a_challenge_period_only_its_window() {
        let spend = compile(
            json!({"name": "Dash spenders", "period": {"type": "challenge", "challenge": "dash"},
            "metric": {"type": "qualifying_spend", "items": {"exclude_categories": ["gift_card"]}}}),
        );
        let event = purchase("60.00", &[("skincare", "35.00"), ("gift_card", "25.00")]);
        assert_eq!(spend.delta(&play_of(&event, true), 0), 3500);
        assert!(spend.is_money());
        assert_eq!(spend.period_at(chrono_tz::UTC, event.occurred_at), None);
        assert_eq!(
            spend
                .period_at(chrono_tz::UTC, at("2026-12-02 00:00"))
                .unwrap()
                .key,
            "fixed"
        );
        let all: LeaderboardDefinition = serde_json::from_value(json!({"name": "All",
            "metric": {"type": "points_earned"}, "period": {"type": "all_time"}}))
        .unwrap();
        let all = all.compile(4, "all", |_| None).unwrap();
        assert_eq!(
            all.period_at(chrono_tz::UTC, event.occurred_at)
                .unwrap()
                .key,
            "lifetime"
        );
    }

    #[test]
    fn invalid_leaderboards_name_the_field() {
        let bad: LeaderboardDefinition = serde_json::from_value(json!({"name": "x", "size": 0,
            "metric": {"type": "points_earned"}, "period": {"type": "week"}}))
        .unwrap();
        assert!(
            bad.compile(1, "x", |_| None)
                .unwrap_err()
                .to_string()
                .starts_with("size")
        );
        let bad: LeaderboardDefinition = serde_json::from_value(json!({"name": "x",
            "metric": {"type": "points_earned"}, "period": {"type": "challenge", "challenge": "no"}}))
        .unwrap();
        let err = bad.compile(1, "x", |_| None).unwrap_err();
        assert!(err.to_string().starts_with("period.challenge"), "{err}");
    }
}
