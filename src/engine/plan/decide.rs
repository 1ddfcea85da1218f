//! [`decide`]: the earning rules, the game layer, tiers and their badges, leaderboards and
//! vouchers of one event, decided in memory in the order their writes will happen.

use chrono::NaiveDateTime;

use super::game::{play_game, tier_badges};
use super::planner::Planner;
use super::tier_track::TierTrack;
use super::{
    Loaded, Plan, PlannedCredit, PlannedVoucher, RefundPlan, ScoreChange, Settings, TakeBackPlan,
    Totals, VoucherCause, Who,
};
use crate::engine::activity::Play;
use crate::engine::condition::Facts;
use crate::engine::evaluate;
use crate::engine::event::{Event, EventType};
use crate::engine::leaderboards::{CompiledLeaderboard, CompiledMetric};
use crate::engine::member::MemberState;
use crate::engine::period;
use crate::engine::refund::reversal;
use crate::engine::tiers::Metric;

/// Decides everything `event` does to the member (and its referrer) as of `now`. Pure.
pub fn decide(settings: &Settings<'_>, event: &Event, loaded: &Loaded, now: NaiveDateTime) -> Plan {
    let mut planner = Planner::new(settings, event, loaded, now);
    planner.plan.totals = totals(event, loaded);
    if event.kind == EventType::Refund {
        planner.refund();
    } else if loaded.suspended {
        planner
            .plan
            .report
            .notes
            .push("the member is suspended: the event is recorded and earns nothing".into());
    } else {
        planner.earn();
    }
    let Planner {
        mut plan,
        tier,
        referrer_tier,
        ..
    } = planner;
    let moves = |who, track: Option<TierTrack<'_>>| {
        track
            .map(|t| t.moves)
            .unwrap_or_default()
            .into_iter()
            .map(move |m| (who, m))
    };
    plan.tier_moves.extend(moves(Who::Member, tier));
    plan.tier_moves.extend(moves(Who::Referrer, referrer_tier));
    plan
}

fn totals(event: &Event, loaded: &Loaded) -> Totals {
    let amount = loaded.merchandise_minor;
    match event.kind {
        EventType::Purchase => Totals {
            purchases: 1,
            purchase_minor: amount,
            ..Totals::default()
        },
        EventType::Refund => Totals {
            refunds: 1,
            refund_minor: amount,
            ..Totals::default()
        },
        EventType::Review => Totals {
            reviews: 1,
            ..Totals::default()
        },
        _ => Totals::default(),
    }
}

impl<'a> Planner<'a> {
    /// Purchases, reviews and the other earning events.
    fn earn(&mut self) {
        let (settings, event, loaded, now) = (self.settings, self.event, self.loaded, self.now);
        let mut state = loaded.state.clone();
        if let Some(link) = &loaded.link {
            self.link_referrer(link, &mut state);
        }
        let decision = evaluate(settings.rules, event, &state, now);
        let expires_at = self.expiry(event.occurred_at);
        for line in decision.lines.iter().filter(|l| l.points > 0) {
            self.plan.credits.push(PlannedCredit {
                who: Who::Member,
                points: line.points,
                reason: line.name.clone(),
                rule: Some(line.rule.clone()),
                available_at: decision.available_at,
                expires_at,
            });
        }
        if let Some(award) = &decision.referrer_award {
            self.plan.credits.push(PlannedCredit {
                who: Who::Referrer,
                points: award.points,
                reason: format!("referred {}", loaded.external_id),
                rule: Some(award.rule.clone()),
                available_at: now,
                expires_at: self.expiry(now),
            });
            self.referrer_points(award.points);
            self.plan.totals.referrals_paid = 1;
        }
        self.plan.usage = decision.usage.clone();
        let play = Play {
            facts: Facts {
                event,
                member: &state,
                local_time: period::local(settings.time_zone, event.occurred_at),
            },
            rewarded: decision.points > 0,
            exponent: settings.exponent,
        };
        let game = play_game(self, &play, &decision);
        let mut bonus = game.bonus;
        let qualifying = match settings.tiers.map(|t| &t.metric) {
            Some(Metric::PointsEarned) => decision.points + bonus,
            _ => loaded.qualifying_minor.unwrap_or(0),
        };
        let step = self.member_tier(qualifying);
        let mut tier = step.as_ref().and_then(|s| self.report_tier(s));
        if step.as_ref().is_some_and(|s| s.changed) {
            self.tier_voucher(Who::Member, true);
        }
        bonus += tier_badges(self, &mut tier, game.held, decision.available_at);
        self.scores(&play, decision.points + bonus, game.referrer_paid);
        for grant in &decision.rewards {
            self.plan.vouchers.push(PlannedVoucher {
                who: Who::Member,
                reward: grant.reward.clone(),
                cause: VoucherCause::Rule(grant.rule.clone()),
            });
        }
        let points = decision.points + bonus;
        let pending = decision.available_at > now;
        let report = &mut self.plan.report;
        report.points_awarded = points;
        report.available = if pending { 0 } else { points };
        report.pending = if pending { points } else { 0 };
        report.available_at = (pending && points > 0).then_some(decision.available_at);
        report.rules = decision.lines;
        report.referrer = decision.referrer_award;
        report.tier = tier;
        report.challenges = game.challenges;
        self.plan.rule_points = decision.points;
    }

    /// A `referral` event links the member to the referrer its code names, unless it has one
    /// already or the code names no other member.
    fn link_referrer(&mut self, link: &super::ReferralLink, state: &mut MemberState) {
        let notes = &mut self.plan.report.notes;
        let Some(code) = &link.code else {
            notes.push("no properties.referral_code: no referrer linked".into());
            return;
        };
        if link.already {
            notes.push("the member already has a referrer".into());
            return;
        }
        match &link.referrer {
            Some(referrer) => {
                self.plan.link_referrer = Some(referrer.id);
                state.referrer = Some(referrer.clone());
            }
            None => notes.push(format!(
                "referral code `{code}` names no other member: no referrer linked"
            )),
        }
    }

    /// Leaderboard scores: the member's by every point the event earned it (and the event's
    /// own measure), the referrer's points-earned boards by what it was paid.
    fn scores(&mut self, play: &Play<'_>, points: i64, referrer_paid: Option<i64>) {
        let (settings, event) = (self.settings, self.event);
        for board in settings
            .game
            .leaderboards
            .iter()
            .filter(|b| b.scores(&event.kind))
        {
            let delta = board.delta(play, points);
            if delta <= 0 {
                continue;
            }
            self.score(board, event.occurred_at, Who::Member, delta);
        }
        let Some(paid) = referrer_paid.filter(|p| *p > 0) else {
            return;
        };
        for board in &settings.game.leaderboards {
            if !matches!(board.metric, CompiledMetric::PointsEarned) {
                continue;
            }
            self.score(board, event.occurred_at, Who::Referrer, paid);
        }
    }

    /// A change of `who`'s score on `board`, in the board's period at `at` (none when `at` is
    /// outside its periods), added to the plan's change of that score if it has one: a plan
    /// changes each score once.
    fn score(&mut self, board: &CompiledLeaderboard, at: NaiveDateTime, who: Who, delta: i64) {
        let Some(period) = board.period_at(self.settings.time_zone, at) else {
            return;
        };
        let same = |c: &&mut ScoreChange| {
            c.board_id == board.id && c.period_key == period.key && c.who == who
        };
        match self.plan.scores.iter_mut().find(same) {
            Some(change) => change.delta += delta,
            None => self.plan.scores.push(ScoreChange {
                board_id: board.id,
                period_key: period.key,
                who,
                delta,
            }),
        }
    }

    /// A refund takes back the purchase's points in proportion, lowers qualifying spend and
    /// the leaderboards of the purchase's period; badges and challenge progress stay.
    fn refund(&mut self) {
        let Some(refund) = &self.loaded.refund else {
            return;
        };
        let Some(purchase) = &refund.purchase else {
            self.plan.report.notes.push(format!(
                "no purchase with order_id `{}` is recorded for this member: nothing to reverse",
                refund.order_id
            ));
            let step = self.member_tier(0);
            self.plan.report.tier = step.as_ref().and_then(|s| self.report_tier(s));
            return;
        };
        let before = purchase.before;
        let reversal = reversal(&before, refund.amount_minor);
        self.plan.refund = Some(RefundPlan {
            purchase_id: purchase.id,
            refunded_total: reversal.refunded_total,
            reversed_total: reversal.reversed_total,
            take_back: (reversal.points > 0).then(|| TakeBackPlan {
                points: reversal.points,
                lots_first: purchase.lots.clone(),
                reverses_entry: purchase.first_entry,
                order_id: refund.order_id.clone(),
            }),
        });
        let qualifying = match self.settings.tiers.map(|t| &t.metric) {
            Some(Metric::PointsEarned) => reversal.points,
            Some(Metric::QualifyingSpend { .. }) => {
                let spend = purchase.qualifying_minor.unwrap_or(0);
                share(spend, reversal.refunded_total, before.amount)
                    - share(spend, before.refunded, before.amount)
            }
            None => 0,
        };
        let step = self.member_tier(-qualifying);
        self.plan.report.tier = step.as_ref().and_then(|s| self.report_tier(s));
        self.lower_scores(purchase, reversal.refunded_total, reversal.points);
        self.plan.report.points_awarded = -reversal.points;
        self.plan.report.reversed = Some((
            reversal.points,
            refund.order_id.clone(),
            reversal.refunded_total,
        ));
    }

    /// A refund lowers points-earned and spend scores in the period of the purchase it
    /// refunds (spend by the share of the purchase it returns).
    fn lower_scores(
        &mut self,
        purchase: &super::RefundedPurchase,
        refunded_after: i64,
        points: i64,
    ) {
        let settings = self.settings;
        let tz = settings.time_zone;
        let amount = purchase.before.amount;
        let state = MemberState::new(self.loaded.state.id, purchase.occurred_at);
        for board in &settings.game.leaderboards {
            let delta = match (&board.metric, &purchase.event) {
                (CompiledMetric::PointsEarned, _) => points,
                (CompiledMetric::Spend(items), Some(event)) => {
                    let play = Play {
                        facts: Facts {
                            event,
                            member: &state,
                            local_time: period::local(tz, purchase.occurred_at),
                        },
                        rewarded: true,
                        exponent: settings.exponent,
                    };
                    let spend = play.spend(items);
                    share(spend, refunded_after, amount)
                        - share(spend, purchase.before.refunded, amount)
                }
                _ => 0,
            };
            if delta <= 0 {
                continue;
            }
            self.score(board, purchase.occurred_at, Who::Member, -delta);
        }
    }
}

/// The part of `total` that `refunded` of `amount` stands for.
fn share(total: i64, refunded: i64, amount: i64) -> i64 {
    if amount <= 0 || refunded >= amount {
        return total;
    }
    i64::try_from(i128::from(total) * i128::from(refunded) / i128::from(amount)).unwrap_or(total)
}
