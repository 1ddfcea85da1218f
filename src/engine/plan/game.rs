//! The game layer's part of a plan: streaks, badge counters and levels, challenge progress and
//! completions, the referrer's referral badges, and the badges of a tier reached (whose bonus
//! can reach the next tier: repeated in memory while it does).

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDateTime;

use super::planner::Planner;
use super::{ChallengeReport, ChallengeWrite, PlannedVoucher, TierReport, VoucherCause, Who};
use crate::engine::activity::Play;
use crate::engine::game;
use crate::engine::outcome::Outcome;

/// What the game layer decided for the member, for the rest of the plan.
pub(super) struct Played {
    /// Bonus points for the member: completed challenges and badge levels.
    pub bonus: i64,
    /// Badge levels the member holds now.
    pub held: HashMap<i64, BTreeSet<i32>>,
    pub challenges: Vec<ChallengeReport>,
    /// Every point paid to the referrer (award and referral badges), if the event paid one.
    pub referrer_paid: Option<i64>,
}

pub(super) fn play_game(planner: &mut Planner<'_>, play: &Play<'_>, decision: &Outcome) -> Played {
    let config = planner.settings.game;
    let loaded = planner.loaded;
    let mut played = Played {
        bonus: 0,
        held: loaded.game.held.clone(),
        challenges: Vec::new(),
        referrer_paid: None,
    };
    if config.is_empty() {
        return played;
    }
    let needs = config.needs(play);
    if !needs.is_empty() {
        let game = game::decide(config, play, &loaded.game);
        planner.plan.streaks = game
            .streaks
            .iter()
            .filter(|(_, s)| s.last.is_some())
            .cloned()
            .collect();
        planner
            .plan
            .counters
            .extend(game.counters.iter().map(|(id, v)| (Who::Member, *id, *v)));
        for step in &game.challenges {
            let Some(challenge) = config.challenge(step.challenge_id) else {
                continue;
            };
            let advance = &step.advance;
            if !advance.already_completed {
                planner.plan.challenges.push(ChallengeWrite {
                    challenge_id: challenge.id,
                    window_key: step.window.key.clone(),
                    progress: advance.after,
                    completed_with: advance.completes.then_some(step.reward_points),
                });
            }
            let mut paid = None;
            if advance.completes {
                let reason = format!(
                    "challenge {} completed ({})",
                    challenge.name, step.window.key
                );
                planner.bonus_credit(
                    Who::Member,
                    step.reward_points,
                    decision.available_at,
                    reason,
                );
                played.bonus += step.reward_points;
                if let Some(reward) = &challenge.reward_voucher {
                    planner.plan.vouchers.push(PlannedVoucher {
                        who: Who::Member,
                        reward: reward.clone(),
                        cause: VoucherCause::Challenge(played.challenges.len()),
                    });
                }
                let badge = challenge
                    .reward_badge
                    .filter(|id| game.grants.iter().any(|g| g.badge_id == *id))
                    .and_then(|id| config.badge(id))
                    .map(|b| b.slug.clone());
                paid = Some((step.reward_points, badge, challenge.reward_voucher.clone()));
            }
            let exponent = config.exponent;
            played.challenges.push(ChallengeReport {
                slug: challenge.slug.clone(),
                name: challenge.name.clone(),
                window: step.window.key.clone(),
                progress: challenge
                    .measure
                    .display(advance.after.min(challenge.target), exponent),
                goal: challenge.measure.display(challenge.target, exponent),
                completed: advance.completes || advance.already_completed,
                paid,
            });
        }
        for grant in &game.grants {
            played
                .held
                .entry(grant.badge_id)
                .or_default()
                .insert(grant.level);
        }
        played.bonus += planner.grant_badges(Who::Member, &game.grants, decision.available_at);
    }
    if let Some(award) = &decision.referrer_award {
        played.referrer_paid = Some(award.points + referral_badges(planner));
    }
    played
}

/// One more referral paid to the referrer: its referral badge counters and levels; returns
/// their bonus points.
fn referral_badges(planner: &mut Planner<'_>) -> i64 {
    let config = planner.settings.game;
    if game::referral_badges(config).is_empty() {
        return 0;
    }
    let Some(referrer) = &planner.loaded.referrer else {
        return 0;
    };
    let (counters, grants) = game::referral_paid(config, &referrer.game);
    planner
        .plan
        .counters
        .extend(counters.into_iter().map(|(id, v)| (Who::Referrer, id, v)));
    let now = planner.now;
    let bonus = planner.grant_badges(Who::Referrer, &grants, now);
    if bonus > 0 {
        planner.referrer_points(bonus);
    }
    bonus
}

/// Badges for the tier the member reached; their bonus points may reach the next tier in a
/// points-earned program, whose badges are then granted too. Returns the bonus paid.
pub(super) fn tier_badges(
    planner: &mut Planner<'_>,
    tier: &mut Option<TierReport>,
    mut held: HashMap<i64, BTreeSet<i32>>,
    available_at: NaiveDateTime,
) -> i64 {
    let Some(policy) = planner.settings.tiers else {
        return 0;
    };
    let config = planner.settings.game;
    let mut bonus = 0;
    for _ in 0..policy.levels.len() {
        let Some(reached) = tier.as_ref().filter(|t| t.changed) else {
            break;
        };
        let Some((index, _)) = policy.level(&reached.name) else {
            break;
        };
        let grants = game::tier_grants(config, index, &held);
        if grants.is_empty() {
            break;
        }
        for g in &grants {
            held.entry(g.badge_id).or_default().insert(g.level);
        }
        let paid = planner.grant_badges(Who::Member, &grants, available_at);
        bonus += paid;
        if paid == 0 || !planner.tier.as_ref().is_some_and(|t| t.counts_points()) {
            break;
        }
        let Some(again) = planner.member_tier(paid) else {
            break;
        };
        if !again.changed {
            break;
        }
        planner.tier_voucher(Who::Member, false);
        let Some(report) = planner.report_tier(&again) else {
            break;
        };
        if let Some(current) = tier.as_mut() {
            current.name = report.name;
            current.held_until = report.held_until;
            current.held_through = report.held_through;
        }
    }
    bonus
}
