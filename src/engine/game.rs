//! The game layer's decision for one event: which streaks move, which badge counters rise and
//! which levels they reach, which challenges progress and complete. Pure: the caller loads
//! what [`GameConfig::needs`] names and writes the [`GameDecision`].

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use super::activity::{CompiledActivity, Play};
use super::badges::{CompiledBadge, Progress};
use super::challenges::{Advance, ChallengeProgress, CompiledChallenge};
use super::event::EventType;
use super::leaderboards::CompiledLeaderboard;
use super::streaks::{self, CompiledStreak, StreakState};
use super::windows::WindowRef;

/// A program's active badges, challenges, streaks and leaderboards, compiled.
#[derive(Debug, Clone)]
pub struct GameConfig {
    pub time_zone: Tz,
    /// Decimal places of the program's currency.
    pub exponent: u32,
    pub badges: Vec<CompiledBadge>,
    pub challenges: Vec<CompiledChallenge>,
    pub streaks: Vec<CompiledStreak>,
    pub leaderboards: Vec<CompiledLeaderboard>,
}

/// What must be read of a member to decide an event: only what the event's type can touch.
#[derive(Debug, Default, PartialEq)]
pub struct Needs {
    /// The badge levels the member holds.
    pub held: bool,
    /// Counters of these badges.
    pub counters: Vec<i64>,
    pub streaks: Vec<i64>,
    /// Progress in these windows of these challenges.
    pub challenges: Vec<(i64, WindowRef)>,
}

impl Needs {
    pub fn is_empty(&self) -> bool {
        !self.held
            && self.counters.is_empty()
            && self.streaks.is_empty()
            && self.challenges.is_empty()
    }
}

/// What a member has of the game, as far as the event needs it.
#[derive(Debug, Default, Clone)]
pub struct MemberGame {
    /// Levels held, by badge id.
    pub held: HashMap<i64, BTreeSet<i32>>,
    /// Counter values, by badge id.
    pub counters: HashMap<i64, i64>,
    pub streaks: HashMap<i64, StreakState>,
    /// Progress in the event's window, by challenge id.
    pub challenges: HashMap<i64, ChallengeProgress>,
}

impl MemberGame {
    fn held(&self, badge_id: i64) -> BTreeSet<i32> {
        self.held.get(&badge_id).cloned().unwrap_or_default()
    }
}

/// A badge level to grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub badge_id: i64,
    pub level: i32,
    pub points: i64,
}

/// A challenge the event counted for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeStep {
    pub challenge_id: i64,
    pub window: WindowRef,
    pub advance: Advance,
    /// Bonus points paid now (the challenge's reward, when this event completes it).
    pub reward_points: i64,
}

/// The game layer's decision for one event.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct GameDecision {
    /// New states of the streaks that moved.
    pub streaks: Vec<(i64, StreakState)>,
    /// New values of the badge counters that rose: `(badge id, value)`.
    pub counters: Vec<(i64, i64)>,
    pub challenges: Vec<ChallengeStep>,
    pub grants: Vec<Grant>,
}

impl GameDecision {
    /// Bonus points for the member: badge levels and completed challenges.
    pub fn bonus_points(&self) -> i64 {
        self.grants.iter().map(|g| g.points).sum::<i64>()
            + self.challenges.iter().map(|c| c.reward_points).sum::<i64>()
    }
}

impl GameConfig {
    /// Whether the program has nothing the game layer maintains.
    pub fn is_empty(&self) -> bool {
        self.badges.is_empty()
            && self.challenges.is_empty()
            && self.streaks.is_empty()
            && self.leaderboards.is_empty()
    }

    pub fn badge(&self, id: i64) -> Option<&CompiledBadge> {
        self.badges.iter().find(|b| b.id == id)
    }

    pub fn challenge(&self, id: i64) -> Option<&CompiledChallenge> {
        self.challenges.iter().find(|c| c.id == id)
    }

    /// What the event can touch, so that nothing else is read.
    pub fn needs(&self, play: &Play<'_>) -> Needs {
        self.needs_where(play.occurred_at(), |activity| activity.matches(play))
    }

    /// What an event of type `kind` at `at` can touch, whatever its conditions: what to read
    /// before the member's state (which conditions can name) is known. More than
    /// [`needs`](Self::needs), never less.
    pub fn needs_of_kind(&self, kind: &EventType, at: NaiveDateTime) -> Needs {
        self.needs_where(at, |activity| activity.event_type == *kind)
    }

    fn needs_where(&self, at: NaiveDateTime, counts: impl Fn(&CompiledActivity) -> bool) -> Needs {
        let counters: Vec<i64> = self
            .badges
            .iter()
            .filter(|b| b.counter().is_some_and(|(activity, _)| counts(activity)))
            .map(|b| b.id)
            .collect();
        let streaks: Vec<i64> = self
            .streaks
            .iter()
            .filter(|s| counts(&s.activity))
            .map(|s| s.id)
            .collect();
        let challenges: Vec<(i64, WindowRef)> = self
            .challenges
            .iter()
            .filter(|c| counts(&c.activity))
            .filter_map(|c| Some((c.id, c.window.at(self.time_zone, at)?)))
            .collect();
        let streak_badges = self.badges.iter().any(|b| {
            matches!(b.progress, Progress::Streak { streak_id } if streaks.contains(&streak_id))
        });
        let reward_badges = challenges.iter().any(|(id, _)| {
            self.challenge(*id)
                .is_some_and(|c| c.reward_badge.is_some())
        });
        Needs {
            held: !counters.is_empty() || streak_badges || reward_badges,
            counters,
            streaks,
            challenges,
        }
    }
}

/// Decides what the event does to the member's streaks, badges and challenges.
pub fn decide(config: &GameConfig, play: &Play<'_>, member: &MemberGame) -> GameDecision {
    let mut decision = GameDecision::default();
    let mut held = member.held.clone();
    let date = play.facts.local_time.date();
    for streak in config.streaks.iter().filter(|s| s.activity.matches(play)) {
        let state = member.streaks.get(&streak.id).copied().unwrap_or_default();
        if let Some(after) = streaks::advance(streak.period, &state, date) {
            decision.streaks.push((streak.id, after));
        }
    }
    for badge in &config.badges {
        let progress = match &badge.progress {
            Progress::Counter { activity, measure } if activity.matches(play) => {
                if badge.complete(&member.held(badge.id)) {
                    continue;
                }
                let value = member.counters.get(&badge.id).copied().unwrap_or(0) + measure.of(play);
                decision.counters.push((badge.id, value));
                value
            }
            Progress::Streak { streak_id } => {
                match decision.streaks.iter().find(|(id, _)| id == streak_id) {
                    Some((_, state)) => i64::from(state.current),
                    None => continue,
                }
            }
            _ => continue,
        };
        grant_reached(badge, progress, &mut held, &mut decision.grants);
    }
    for challenge in &config.challenges {
        let Some(window) = challenge.window.at(config.time_zone, play.occurred_at()) else {
            continue;
        };
        let Some(advance) = challenge.advance(play, member.challenges.get(&challenge.id)) else {
            continue;
        };
        let completes = advance.completes;
        decision.challenges.push(ChallengeStep {
            challenge_id: challenge.id,
            window,
            advance,
            reward_points: if completes {
                challenge.reward_points
            } else {
                0
            },
        });
        if completes && let Some(badge) = challenge.reward_badge.and_then(|id| config.badge(id)) {
            grant_next(badge, &mut held, &mut decision.grants);
        }
    }
    decision
}

/// Grants the levels `progress` reaches that are not held, and marks them held.
fn grant_reached(
    badge: &CompiledBadge,
    progress: i64,
    held: &mut HashMap<i64, BTreeSet<i32>>,
    grants: &mut Vec<Grant>,
) {
    let have = held.entry(badge.id).or_default();
    let reached: Vec<Grant> = badge
        .reached(progress, have)
        .map(|level| Grant {
            badge_id: badge.id,
            level: level.level,
            points: level.points,
        })
        .collect();
    have.extend(reached.iter().map(|g| g.level));
    grants.extend(reached);
}

/// Grants the lowest level not held (a challenge's reward badge).
fn grant_next(
    badge: &CompiledBadge,
    held: &mut HashMap<i64, BTreeSet<i32>>,
    grants: &mut Vec<Grant>,
) {
    let have = held.entry(badge.id).or_default();
    if let Some(level) = badge.next(have) {
        have.insert(level.level);
        grants.push(Grant {
            badge_id: badge.id,
            level: level.level,
            points: level.points,
        });
    }
}

/// The tier badges a member at ladder index `tier` earns and does not hold.
pub fn tier_grants(
    config: &GameConfig,
    tier: usize,
    held: &HashMap<i64, BTreeSet<i32>>,
) -> Vec<Grant> {
    let mut held = held.clone();
    let mut grants = Vec::new();
    for badge in config
        .badges
        .iter()
        .filter(|b| matches!(b.progress, Progress::Tier))
    {
        grant_reached(badge, tier as i64, &mut held, &mut grants);
    }
    grants
}

/// One more referral paid to a referrer: its referral badge counters and the levels they reach.
pub fn referral_paid(config: &GameConfig, referrer: &MemberGame) -> (Vec<(i64, i64)>, Vec<Grant>) {
    let mut held = referrer.held.clone();
    let mut counters = Vec::new();
    let mut grants = Vec::new();
    for badge in config
        .badges
        .iter()
        .filter(|b| matches!(b.progress, Progress::Referrals))
    {
        if badge.complete(&referrer.held(badge.id)) {
            continue;
        }
        let value = referrer.counters.get(&badge.id).copied().unwrap_or(0) + 1;
        counters.push((badge.id, value));
        grant_reached(badge, value, &mut held, &mut grants);
    }
    (counters, grants)
}

/// The badges whose counters referral payouts raise.
pub fn referral_badges(config: &GameConfig) -> Vec<i64> {
    config
        .badges
        .iter()
        .filter(|b| matches!(b.progress, Progress::Referrals))
        .map(|b| b.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::badges::{BadgeContext, BadgeDefinition};
    use crate::engine::challenges::ChallengeDefinition;
    use crate::engine::streaks::StreakDefinition;
    use crate::engine::tests_support::{at, local_at, play_in, purchase};
    use chrono::NaiveDate;
    use serde_json::{Value, json};

    /// The coffee program's game: `first-sip`, the weekly visit streak with `regular` at 4,
    /// and the opt-in `star-dash`.
    fn coffee() -> GameConfig {
        let ny = chrono_tz::America::New_York;
        let streak: StreakDefinition = serde_json::from_value(
            json!({"name": "Weekly visits", "period": "week", "event_type": "purchase"}),
        )
        .unwrap();
        let streak_id = |slug: &str| (slug == "weekly-visits").then_some(30);
        let context = BadgeContext {
            exponent: 2,
            tiers: None,
            streak_id: &streak_id,
        };
        let badge = |id, value: Value| {
            let definition: BadgeDefinition = serde_json::from_value(value).unwrap();
            definition.compile(id, "b", &context).unwrap()
        };
        let dash: ChallengeDefinition = serde_json::from_value(json!({"name": "Star Dash",
            "goal": {"type": "count", "target": 3, "event_type": "purchase",
                     "conditions": [{"field": "amount", "op": "gte", "value": "10.00"}]},
            "window": {"type": "recurring", "every": "week"}, "enrolment": "opt_in",
            "reward": {"points": 50, "badge": "dasher"}}))
        .unwrap();
        GameConfig {
            time_zone: ny,
            exponent: 2,
            badges: vec![
                badge(
                    10,
                    json!({"name": "First Sip", "criterion": {"type": "first_event", "event_type": "purchase"}}),
                ),
                badge(
                    11,
                    json!({"name": "Regular", "threshold": 4, "points": 20,
                    "criterion": {"type": "streak", "streak": "weekly-visits"}}),
                ),
                badge(
                    12,
                    json!({"name": "Dasher", "criterion": {"type": "awarded"}}),
                ),
            ],
            challenges: vec![dash.compile(20, "star-dash", 2, |_| Some(12)).unwrap()],
            streaks: vec![streak.compile(30, "weekly-visits").unwrap()],
            leaderboards: Vec::new(),
        }
    }

    #[test]
    fn a_first_purchase_earns_first_sip_and_starts_the_streak_but_not_an_unjoined_dash() {
        let config = coffee();
        let event = purchase("12.00", &[]);
        let play = play_in(&event, config.time_zone, true);
        let needs = config.needs(&play);
        assert_eq!(needs.counters, [10]);
        assert_eq!(needs.streaks, [30]);
        assert_eq!(needs.challenges.len(), 1);
        assert!(needs.held);
        let decision = decide(&config, &play, &MemberGame::default());
        assert_eq!(decision.counters, [(10, 1)]);
        assert_eq!(
            decision.grants,
            [Grant {
                badge_id: 10,
                level: 1,
                points: 0
            }]
        );
        assert_eq!(decision.streaks[0].1.current, 1);
        assert!(decision.challenges.is_empty(), "star-dash is opt-in");
        assert_eq!(decision.bonus_points(), 0);
    }

    #[test]
    fn a_held_badge_stops_counting_and_the_fourth_week_earns_regular() {
        let config = coffee();
        let event = purchase("5.00", &[]);
        let play = play_in(&event, config.time_zone, true);
        let mut member = MemberGame::default();
        member.held.insert(10, BTreeSet::from([1]));
        member.streaks.insert(
            30,
            StreakState {
                current: 3,
                longest: 3,
                last: NaiveDate::from_ymd_opt(2026, 11, 16),
            },
        );
        let decision = decide(&config, &play, &member);
        assert!(
            decision.counters.is_empty(),
            "first-sip is held: no counter write"
        );
        assert_eq!(decision.streaks[0].1.current, 4);
        assert_eq!(
            decision.grants,
            [Grant {
                badge_id: 11,
                level: 1,
                points: 20
            }]
        );
        assert_eq!(decision.bonus_points(), 20);
    }

    #[test]
    fn the_purchase_that_completes_a_joined_dash_pays_its_points_and_badge_once() {
        let config = coffee();
        let ny = config.time_zone;
        let mut event = purchase("10.00", &[]);
        event.occurred_at = local_at(ny, "2026-11-29 23:30");
        let play = play_in(&event, ny, true);
        let mut member = MemberGame::default();
        member.held.insert(10, BTreeSet::from([1]));
        member.challenges.insert(
            20,
            ChallengeProgress {
                progress: 2,
                joined_at: Some(at("2026-11-23 12:00")),
                completed: false,
            },
        );
        let decision = decide(&config, &play, &member);
        let step = &decision.challenges[0];
        assert_eq!(step.window.key, "2026-W48", "still Sunday in New York");
        assert!(step.advance.completes);
        assert_eq!(step.reward_points, 50);
        assert_eq!(
            decision.grants,
            [Grant {
                badge_id: 12,
                level: 1,
                points: 0
            }]
        );
        assert_eq!(decision.bonus_points(), 50);

        member.challenges.get_mut(&20).unwrap().completed = true;
        member.held.insert(12, BTreeSet::from([1]));
        let again = decide(&config, &play, &member);
        assert!(again.challenges[0].advance.already_completed);
        assert_eq!(again.bonus_points(), 0);
        assert!(again.grants.is_empty());
    }

    #[test]
    fn tier_and_referral_badges_are_granted_by_their_own_triggers() {
        let policy: crate::engine::tiers::TierPolicy = serde_json::from_value(json!({
            "metric": {"type": "points_earned"}, "window": {"type": "lifetime"},
            "levels": [{"name": "Insider", "threshold": "0"}, {"name": "VIB", "threshold": "350"},
                       {"name": "Rouge", "threshold": "1000"}]}))
        .unwrap();
        let no_streak = |_: &str| None;
        let context = BadgeContext {
            exponent: 2,
            tiers: Some(&policy),
            streak_id: &no_streak,
        };
        let badge = |id, value: Value| {
            let definition: BadgeDefinition = serde_json::from_value(value).unwrap();
            definition.compile(id, "b", &context).unwrap()
        };
        let config = GameConfig {
            badges: vec![
                badge(
                    1,
                    json!({"name": "Rouge", "criterion": {"type": "tier", "tier": "Rouge"}}),
                ),
                badge(
                    2,
                    json!({"name": "Ambassador", "threshold": 3, "criterion": {"type": "referrals"}}),
                ),
            ],
            ..coffee()
        };
        assert!(tier_grants(&config, 1, &HashMap::new()).is_empty());
        assert_eq!(tier_grants(&config, 2, &HashMap::new()).len(), 1);
        let held = HashMap::from([(1, BTreeSet::from([1]))]);
        assert!(tier_grants(&config, 2, &held).is_empty());

        assert_eq!(referral_badges(&config), [2]);
        let mut referrer = MemberGame::default();
        referrer.counters.insert(2, 1);
        assert_eq!(referral_paid(&config, &referrer), (vec![(2, 2)], vec![]));
        referrer.counters.insert(2, 2);
        let (counters, grants) = referral_paid(&config, &referrer);
        assert_eq!(counters, [(2, 3)]);
        assert_eq!(
            grants,
            [Grant {
                badge_id: 2,
                level: 1,
                points: 0
            }]
        );
    }
}
