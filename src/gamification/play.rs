//! The game layer at event time, inside the event's transaction with the member locked.
//! `play` runs after the earning rules' points are credited: streaks, badge counters and
//! levels, challenge progress and completions, the referrer's referral badges. `finish` runs
//! after the tier update: badges for a tier reached, then leaderboard scores (which count every
//! point the event earned, bonuses included). Only what the event's type can touch is read.

use chrono::NaiveDateTime;

use super::grants::{Granting, points_of};
use super::scores;
use super::vouchers::issue_challenge_voucher;
use super::{BadgeEarned, ChallengeTouched, RewardPaid};
use crate::db::DbConnection;
use crate::db::models::badges as badge_rows;
use crate::db::models::challenges::{self as challenge_rows, Completion};
use crate::db::models::game_state::{self as state_rows, Wanted};
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::db::models::streaks as streak_rows;
use crate::engine::activity::Play;
use crate::engine::challenges::ChallengeProgress;
use crate::engine::condition::Facts;
use crate::engine::event::Event;
use crate::engine::game::{self, GameConfig, GameDecision, MemberGame, Needs};
use crate::engine::member::MemberState;
use crate::engine::outcome::{Outcome, ReferrerAward};
use crate::engine::period;
use crate::engine::streaks::StreakState;
use crate::engine::tiers::Metric;
use crate::error::AppResult;
use crate::programs::Program;
use crate::tiers::{self, ChangeCause, TierOutcome};

/// One event, as the game layer needs it.
pub struct GameEvent<'a> {
    pub program: &'a Program,
    pub config: &'a GameConfig,
    pub event: &'a Event,
    /// The member as the earning rules saw it (before the event).
    pub state: &'a MemberState,
    /// The event's row id.
    pub event_id: i64,
    /// What the earning rules decided.
    pub decision: &'a Outcome,
    pub now: NaiveDateTime,
}

impl GameEvent<'_> {
    pub(super) fn play(&self) -> Play<'_> {
        Play {
            facts: Facts {
                event: self.event,
                member: self.state,
                local_time: period::local(self.program.time_zone, self.event.occurred_at),
            },
            rewarded: self.decision.points > 0,
            exponent: self.program.currency.exponent,
        }
    }

    fn granting(&self) -> Granting<'_> {
        Granting {
            program: self.program,
            config: self.config,
            source: "event",
            event_id: Some(self.event_id),
            available_at: self.decision.available_at,
            earned_at: self.event.occurred_at,
            now: self.now,
        }
    }

    fn tier_cause(&self) -> ChangeCause {
        ChangeCause {
            event_id: Some(self.event_id),
            admin_id: None,
        }
    }
}

/// What the game layer did for an event so far.
pub struct Played {
    pub member: MemberRow,
    /// Bonus points credited to the member.
    pub bonus: i64,
    pub badges: Vec<BadgeEarned>,
    pub challenges: Vec<ChallengeTouched>,
    /// The referrer paid by this event, and every point it was paid (award and bonuses).
    referrer: Option<(i64, i64)>,
}

/// What the game layer did for an event, for its outcome.
pub struct GameOutcome {
    pub member: MemberRow,
    pub bonus: i64,
    pub badges: Vec<BadgeEarned>,
    pub challenges: Vec<ChallengeTouched>,
}

/// Streaks, badges, challenges and referral badges for an event whose rule points are
/// credited to the (locked) member.
pub fn play(tx: &mut DbConnection, game: &GameEvent<'_>, member: MemberRow) -> AppResult<Played> {
    let mut played = Played {
        member,
        bonus: 0,
        badges: Vec::new(),
        challenges: Vec::new(),
        referrer: None,
    };
    if game.config.is_empty() {
        return Ok(played);
    }
    let play = game.play();
    let needs = game.config.needs(&play);
    if !needs.is_empty() {
        let state = load(tx, played.member.id, &needs)?;
        let decision = game::decide(game.config, &play, &state);
        write(tx, game, &decision, &mut played)?;
    }
    if let Some(award) = &game.decision.referrer_award {
        referral(tx, game, award, &mut played)?;
    }
    Ok(played)
}

/// What the member has of the game, as far as the event needs, read in one statement.
fn load(tx: &mut DbConnection, member_id: i64, needs: &Needs) -> AppResult<MemberGame> {
    let windows: Vec<(i64, &str)> = needs
        .challenges
        .iter()
        .map(|(id, window)| (*id, window.key.as_str()))
        .collect();
    let wanted = Wanted {
        held: needs.held,
        counters: !needs.counters.is_empty(),
        streaks: !needs.streaks.is_empty(),
        challenges: &windows,
    };
    let mut state = MemberGame::default();
    for row in state_rows::read(tx, member_id, &wanted)? {
        match row.part.as_str() {
            "held" => {
                let level = i32::try_from(row.a).unwrap_or(i32::MAX);
                state.held.entry(row.id).or_default().insert(level);
            }
            "counter" => {
                state.counters.insert(row.id, row.a);
            }
            "streak" => {
                let streak = StreakState {
                    current: i32::try_from(row.a).unwrap_or(i32::MAX),
                    longest: i32::try_from(row.b).unwrap_or(i32::MAX),
                    last: row.day,
                };
                state.streaks.insert(row.id, streak);
            }
            _ => {
                let progress = ChallengeProgress {
                    progress: row.a,
                    joined_at: row.at,
                    completed: row.b == 1,
                };
                state.challenges.insert(row.id, progress);
            }
        }
    }
    Ok(state)
}

/// Writes the decision: streaks, counters, challenge progress and rewards, badge levels.
fn write(
    tx: &mut DbConnection,
    game: &GameEvent<'_>,
    decision: &GameDecision,
    played: &mut Played,
) -> AppResult<()> {
    let (member_id, now) = (played.member.id, game.now);
    for (streak_id, state) in &decision.streaks {
        if let Some(last) = state.last {
            streak_rows::set(
                tx,
                member_id,
                *streak_id,
                (state.current, state.longest, last),
                now,
            )?;
        }
    }
    for (badge_id, value) in &decision.counters {
        badge_rows::set_progress(tx, member_id, *badge_id, *value, now)?;
    }
    let granting = game.granting();
    for step in &decision.challenges {
        let Some(challenge) = game.config.challenge(step.challenge_id) else {
            continue;
        };
        let advance = &step.advance;
        let mut reward_paid = None;
        if !advance.already_completed {
            let completion = advance.completes.then_some(Completion {
                at: now,
                event_id: game.event_id,
                reward_points: step.reward_points,
            });
            challenge_rows::set_progress(
                tx,
                member_id,
                challenge.id,
                &step.window.key,
                advance.after,
                completion.as_ref(),
                now,
            )?;
        }
        if advance.completes {
            let reason = format!(
                "challenge {} completed ({})",
                challenge.name, step.window.key
            );
            let member = played.member.clone();
            played.member = granting.credit(tx, member, step.reward_points, reason)?;
            played.bonus += step.reward_points;
            let voucher = match &challenge.reward_voucher {
                Some(reward) => Some(issue_challenge_voucher(
                    tx,
                    game.program,
                    &played.member,
                    reward,
                    now,
                )?),
                None => None,
            };
            reward_paid = Some(RewardPaid {
                points: step.reward_points,
                badge: challenge
                    .reward_badge
                    .filter(|id| decision.grants.iter().any(|g| g.badge_id == *id))
                    .and_then(|id| game.config.badge(id))
                    .map(|b| b.slug.clone()),
                voucher,
            });
        }
        let exponent = game.program.currency.exponent;
        played.challenges.push(ChallengeTouched {
            slug: challenge.slug.clone(),
            name: challenge.name.clone(),
            window: step.window.key.clone(),
            progress: challenge
                .measure
                .display(advance.after.min(challenge.target), exponent),
            goal: challenge.measure.display(challenge.target, exponent),
            completed: advance.completes || advance.already_completed,
            reward_paid,
        });
    }
    let member = played.member.clone();
    let (member, earned) = granting.badges(tx, member, &decision.grants, false)?;
    played.member = member;
    played.bonus += points_of(&earned);
    played.badges.extend(earned);
    Ok(())
}

/// One more referral paid to the referrer: its referral badges.
fn referral(
    tx: &mut DbConnection,
    game: &GameEvent<'_>,
    award: &ReferrerAward,
    played: &mut Played,
) -> AppResult<()> {
    let mut paid = award.points;
    let ids = game::referral_badges(game.config);
    if !ids.is_empty() {
        let referrer = member_rows::lock(tx, award.member_id)?;
        let mut state = MemberGame::default();
        for (badge, level) in badge_rows::held(tx, referrer.id)? {
            state.held.entry(badge).or_default().insert(level);
        }
        state.counters = badge_rows::progress(tx, referrer.id, &ids)?
            .into_iter()
            .collect();
        let (counters, grants) = game::referral_paid(game.config, &state);
        for (badge_id, value) in counters {
            badge_rows::set_progress(tx, referrer.id, badge_id, value, game.now)?;
        }
        let mut granting = game.granting();
        granting.available_at = game.now;
        let (referrer, earned) = granting.badges(tx, referrer, &grants, true)?;
        let bonus = points_of(&earned);
        if bonus > 0 && points_make_tiers(game.program) {
            tiers::after_activity(
                tx,
                game.program,
                &referrer,
                bonus,
                game.now,
                game.tier_cause(),
            )?;
        }
        paid += bonus;
        played.badges.extend(earned);
    }
    played.referrer = Some((award.member_id, paid));
    Ok(())
}

fn points_make_tiers(program: &Program) -> bool {
    matches!(
        program.tiers.as_ref().map(|t| &t.metric),
        Some(Metric::PointsEarned)
    )
}

/// After the tier update: badges for a tier reached (their bonus points may reach the next
/// tier in a points-earned program: repeated while they do), then leaderboard scores.
pub fn finish(
    tx: &mut DbConnection,
    game: &GameEvent<'_>,
    played: Played,
    tier: &mut Option<TierOutcome>,
) -> AppResult<GameOutcome> {
    let Played {
        mut member,
        mut bonus,
        mut badges,
        challenges,
        referrer,
    } = played;
    if let Some(policy) = &game.program.tiers {
        let mut held = None;
        for _ in 0..policy.levels.len() {
            let Some(reached) = tier.as_ref().filter(|t| t.changed) else {
                break;
            };
            let Some((index, _)) = policy.level(&reached.name) else {
                break;
            };
            if held.is_none() {
                held = Some(super::badges::held(tx, member.id)?);
            }
            let held_now = held.get_or_insert_with(Default::default);
            let grants = game::tier_grants(game.config, index, held_now);
            if grants.is_empty() {
                break;
            }
            for g in &grants {
                held_now.entry(g.badge_id).or_default().insert(g.level);
            }
            let (after, earned) = game.granting().badges(tx, member, &grants, false)?;
            member = after;
            let paid = points_of(&earned);
            badges.extend(earned);
            bonus += paid;
            if paid == 0 || !points_make_tiers(game.program) {
                break;
            }
            let again = tiers::after_activity(
                tx,
                game.program,
                &member,
                paid,
                game.event.occurred_at,
                game.tier_cause(),
            )?;
            match (tier.as_mut(), again) {
                (Some(current), Some(again)) if again.changed => {
                    current.name = again.name;
                    current.held_until = again.held_until;
                    current.held_through = again.held_through;
                }
                _ => break,
            }
        }
    }
    scores::raise(tx, game, member.id, game.decision.points + bonus)?;
    if let Some((referrer, points)) = referrer {
        scores::raise_referrer(tx, game, referrer, points)?;
    }
    Ok(GameOutcome {
        member,
        bonus,
        badges,
        challenges,
    })
}
