//! The planner: the plan being built for one event, and the member's (and referrer's) tier
//! standing followed through it; the steps that the rules, the game layer and refunds share.

use chrono::{Duration, NaiveDateTime};

use super::tier_track::{TierStep, TierTrack};
use super::{
    BadgeEarned, Loaded, Plan, PlannedCredit, PlannedVoucher, Settings, TierReport, VoucherCause,
    Who,
};
use crate::engine::event::Event;
use crate::engine::game::Grant;
use crate::engine::period;
use crate::engine::tiers::Metric;

pub(super) struct Planner<'a> {
    pub settings: &'a Settings<'a>,
    pub event: &'a Event,
    pub loaded: &'a Loaded,
    pub now: NaiveDateTime,
    pub plan: Plan,
    /// The member's standing, followed through the event at its instant.
    pub tier: Option<TierTrack<'a>>,
    /// The referrer's, followed at `now` (when its award is paid).
    pub referrer_tier: Option<TierTrack<'a>>,
}

impl<'a> Planner<'a> {
    pub fn new(
        settings: &'a Settings<'a>,
        event: &'a Event,
        loaded: &'a Loaded,
        now: NaiveDateTime,
    ) -> Self {
        let track = |start: &Option<super::TierStart>, at| {
            let policy = settings.tiers?;
            let unit = match policy.metric {
                Metric::PointsEarned => settings.point_name.to_owned(),
                Metric::QualifyingSpend { .. } => format!("{} qualifying spend", settings.currency),
            };
            let start = start.clone()?;
            Some(TierTrack::new(
                policy,
                settings.time_zone,
                at,
                settings.exponent,
                unit,
                start,
            ))
        };
        Planner {
            settings,
            event,
            loaded,
            now,
            plan: Plan::default(),
            tier: track(&loaded.tier, event.occurred_at),
            referrer_tier: loaded.referrer.as_ref().and_then(|r| track(&r.tier, now)),
        }
    }

    /// When points earned at `at` expire.
    pub fn expiry(&self, at: NaiveDateTime) -> Option<NaiveDateTime> {
        self.settings.expiry.lot_expiry(self.settings.time_zone, at)
    }

    /// Counts qualifying activity of the member and reports the standing after it.
    pub fn member_tier(&mut self, amount: i64) -> Option<TierStep> {
        let track = self.tier.as_mut()?;
        let step = track.add(amount);
        if amount != 0 {
            self.plan
                .qualifying
                .push((Who::Member, amount, self.event.occurred_at));
        }
        Some(step)
    }

    /// Counts points paid to the referrer towards its tier, in points-earned programs.
    pub fn referrer_points(&mut self, points: i64) {
        let Some(track) = self.referrer_tier.as_mut().filter(|t| t.counts_points()) else {
            return;
        };
        let step = track.add(points);
        self.plan.qualifying.push((Who::Referrer, points, self.now));
        if step.changed {
            self.tier_voucher(Who::Referrer, false);
        }
    }

    pub fn report_tier(&self, step: &TierStep) -> Option<TierReport> {
        let policy = self.settings.tiers?;
        let tz = self.settings.time_zone;
        Some(TierReport {
            name: policy.levels[step.level].name.clone(),
            changed: step.changed,
            previous: step.previous.map(|l| policy.levels[l].name.clone()),
            held_until: step.held_until,
            held_through: step
                .held_until
                .map(|t| period::local(tz, t - Duration::seconds(1)).date()),
        })
    }

    /// Points a member earns from the game layer: an `earn` credit available with the
    /// event's own points and expiring as points earned at the event's time do.
    pub fn bonus_credit(
        &mut self,
        who: Who,
        points: i64,
        available_at: NaiveDateTime,
        reason: String,
    ) {
        if points <= 0 {
            return;
        }
        self.plan.credits.push(PlannedCredit {
            who,
            points,
            reason,
            rule: None,
            available_at: available_at.max(self.now),
            expires_at: self.expiry(self.event.occurred_at),
        });
    }

    /// The voucher the level just reached gives, if it gives one.
    pub fn tier_voucher(&mut self, who: Who, reported: bool) {
        let track = match who {
            Who::Member => self.tier.as_ref(),
            Who::Referrer => self.referrer_tier.as_ref(),
        };
        let Some(track) = track else { return };
        let Some(last) = track.moves.last() else {
            return;
        };
        if last.standing.level <= last.from {
            return;
        }
        if let Some(reward) = &track.policy().levels[last.standing.level].reward_on_reach {
            self.plan.vouchers.push(PlannedVoucher {
                who,
                reward: reward.clone(),
                cause: VoucherCause::Tier { reported },
            });
        }
    }

    /// Badge levels to record and their bonus points; returns what they pay.
    pub fn grant_badges(&mut self, who: Who, grants: &[Grant], available_at: NaiveDateTime) -> i64 {
        let earned = badge_credits(self, who, grants, available_at);
        let paid = earned.iter().map(|e| e.points).sum();
        self.plan.report.badges_earned.extend(earned);
        paid
    }
}

/// Badge levels to record for `who`, with their bonus credits; what each earned.
fn badge_credits(
    planner: &mut Planner<'_>,
    who: Who,
    grants: &[Grant],
    available_at: NaiveDateTime,
) -> Vec<BadgeEarned> {
    let config = planner.settings.game;
    let mut earned = Vec::with_capacity(grants.len());
    for grant in grants {
        let Some(badge) = config.badge(grant.badge_id) else {
            continue;
        };
        planner.plan.badges.push((who, grant.clone()));
        let reason = badge.bonus_reason(grant.level);
        planner.bonus_credit(who, grant.points, available_at, reason);
        earned.push(BadgeEarned {
            slug: badge.slug.clone(),
            name: badge.name.clone(),
            level: grant.level,
            level_name: badge.level_name(grant.level),
            points: grant.points,
            member: match who {
                Who::Member => None,
                Who::Referrer => planner
                    .loaded
                    .referrer
                    .as_ref()
                    .map(|r| r.external_id.clone()),
            },
        });
    }
    earned
}
