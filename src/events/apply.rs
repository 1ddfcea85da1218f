//! Applying an event's plan, in the event's transaction, to the locked member (and referrer):
//! the refund, every credit in order, tier moves and vouchers now; the counters, rule usage,
//! game state, qualifying activity and leaderboard scores (which nothing in the transaction
//! reads again) into the batch sent last; then the outcome the client sees.

use chrono::NaiveDateTime;

use super::outcome::{EventOutcome, EventRef, Reversed};
use crate::db::DbConnection;
use crate::db::batch::Batch;
use crate::db::models::badges::{self as badge_rows, NewMemberBadge};
use crate::db::models::challenges::{self as challenge_rows, Completion};
use crate::db::models::counters;
use crate::db::models::events as event_rows;
use crate::db::models::leaderboards as score_rows;
use crate::db::models::members::{MemberRow, Seen};
use crate::db::models::stats::{self, Delta};
use crate::db::models::streaks as streak_rows;
use crate::db::models::tiers as tier_rows;
use crate::domain::Points;
use crate::engine::event::{Event, EventType};
use crate::engine::outcome::Awarded;
use crate::engine::plan::{Loaded, Plan, PlannedVoucher, Report, VoucherCause, Who};
use crate::error::AppResult;
use crate::gamification::vouchers::{VoucherIssue, voucher_issue};
use crate::gamification::{ChallengeTouched, RewardPaid};
use crate::ledger::posting::{self, Cause, Credit, TakeBack};
use crate::ledger::{Balance, EntryKind};
use crate::members;
use crate::programs::Program;
use crate::rewards::redeem::{self, Gift, Source, Voucher};
use crate::tiers::{self, ChangeCause, ChangeNote, TierOutcome};

/// The rows an event writes to: the member's and, when it pays one, its referrer's.
pub struct Parties {
    pub member: MemberRow,
    pub referrer: Option<MemberRow>,
}

impl Parties {
    fn row(&mut self, who: Who) -> Option<&mut MemberRow> {
        match who {
            Who::Member => Some(&mut self.member),
            Who::Referrer => self.referrer.as_mut(),
        }
    }
}

/// What one event stored: the event's row id and when it happened.
pub struct Recorded<'a> {
    pub event_id: i64,
    pub event: &'a Event,
    pub now: NaiveDateTime,
}

/// Writes `plan`, or adds it to `batch`, and returns the event's outcome.
pub fn apply(
    tx: &mut DbConnection,
    batch: &mut Batch<'_>,
    program: &Program,
    loaded: &Loaded,
    plan: &Plan,
    parties: &mut Parties,
    at: &Recorded<'_>,
) -> AppResult<EventOutcome> {
    let event = at.event;
    let member_id = parties.member.id;
    batch.push(counters::add_event(
        member_id,
        event.kind.as_str(),
        loaded.merchandise_minor,
    ));
    let months = &loaded.months;
    if !months.counted {
        stats::active_in_month(
            tx,
            program.id,
            member_id,
            &months.month,
            &months.previous,
            &months.cohort,
        )?;
    }
    if let Some(referrer) = plan.link_referrer {
        members::link_referrer(tx, member_id, referrer, at.now)?;
    }
    refund(tx, plan, parties, at)?;
    let points = credit(tx, batch, plan, parties, at)?;
    count(tx, batch, program, plan, points, at);
    game(batch, plan, parties, at);
    tier_moves(tx, batch, program, plan, parties, at)?;
    let vouchers = vouchers(tx, program, plan, parties, at.now)?;
    scores(batch, plan, parties, at);
    Ok(outcome(
        program,
        &plan.report,
        vouchers,
        &parties.member,
        event,
    ))
}

/// The event in the program's maintained totals (in the hour it occurred), with the points it
/// issued (in the hour they were issued): one write when the hours are the same.
fn count(
    tx: &DbConnection,
    batch: &mut Batch<'_>,
    program: &Program,
    plan: &Plan,
    points: Delta,
    at: &Recorded<'_>,
) {
    let totals = &plan.totals;
    let mut delta = Delta {
        purchases: totals.purchases,
        purchase_minor: totals.purchase_minor,
        refunds: totals.refunds,
        refund_minor: totals.refund_minor,
        reviews: totals.reviews,
        referrals_paid: totals.referrals_paid,
        ..Delta::default()
    };
    let occurred_at = at.event.occurred_at;
    if stats::same_hour(occurred_at, at.now) {
        delta += points;
    } else {
        batch.extend(stats::upsert(tx, program.id, at.now, &points));
    }
    batch.extend(stats::upsert(tx, program.id, occurred_at, &delta));
}

/// A refund's totals on its purchase, and the points it takes back.
fn refund(
    tx: &mut DbConnection,
    plan: &Plan,
    parties: &mut Parties,
    at: &Recorded<'_>,
) -> AppResult<()> {
    let Some(refund) = &plan.refund else {
        return Ok(());
    };
    event_rows::record_refund(
        tx,
        refund.purchase_id,
        refund.refunded_total,
        refund.reversed_total,
    )?;
    if let Some(take) = &refund.take_back {
        let take = TakeBack {
            kind: EntryKind::Reverse,
            points: Points(take.points),
            lots_first: take.lots_first.clone(),
            only_given_lots: false,
            allow_debt: true,
            cause: Cause {
                reason: Some(format!("refund of order {}", take.order_id)),
                order_id: Some(take.order_id.clone()),
                event_id: Some(at.event_id),
                reverses_entry_id: take.reverses_entry,
                ..Cause::default()
            },
        };
        parties.member = posting::take_back(tx, &parties.member, &take, at.now)?.member;
    }
    Ok(())
}

/// Every credit of the plan, each member's in order and together, with the member's last
/// event and activity moved forward in the same write; then the usage of limited rules.
/// Returns what the credits add to the program's totals.
fn credit(
    tx: &mut DbConnection,
    batch: &mut Batch<'_>,
    plan: &Plan,
    parties: &mut Parties,
    at: &Recorded<'_>,
) -> AppResult<Delta> {
    let event = at.event;
    let seen = Seen::of(
        &parties.member,
        event.occurred_at,
        event.kind == EventType::Purchase,
    );
    let mut totals = Delta::default();
    for (who, seen) in [(Who::Member, seen), (Who::Referrer, Seen::default())] {
        let Some(row) = parties.row(who) else {
            continue;
        };
        let credits: Vec<Credit> = plan
            .credits
            .iter()
            .filter(|c| c.who == who)
            .map(|planned| Credit {
                kind: EntryKind::Earn,
                points: Points(planned.points),
                available_at: planned.available_at,
                expires_at: planned.expires_at,
                cause: Cause {
                    reason: Some(planned.reason.clone()),
                    event_id: Some(at.event_id),
                    rule_id: planned.rule.as_ref().map(|r| r.id),
                    rule_version: planned.rule.as_ref().map(|r| r.version),
                    ..Cause::default()
                },
            })
            .collect();
        let (after, added) = posting::credit_all(tx, row, &credits, seen, at.now)?;
        *row = after;
        totals += added;
    }
    for usage in &plan.usage {
        batch.push(counters::add_usage(
            parties.member.id,
            usage.rule_id,
            &usage.key,
            usage.points,
        ));
    }
    Ok(totals)
}

/// Streaks, badge counters, challenge progress and badge levels.
fn game(batch: &mut Batch<'_>, plan: &Plan, parties: &mut Parties, at: &Recorded<'_>) {
    let (member_id, now) = (parties.member.id, at.now);
    for (streak_id, state) in &plan.streaks {
        if let Some(last) = state.last {
            let lengths = (state.current, state.longest, last);
            batch.push(streak_rows::set(member_id, *streak_id, lengths, now));
        }
    }
    for (who, badge_id, value) in &plan.counters {
        if let Some(row) = parties.row(*who) {
            batch.push(badge_rows::set_progress(row.id, *badge_id, *value, now));
        }
    }
    for step in &plan.challenges {
        let completion = step.completed_with.map(|reward_points| Completion {
            at: now,
            event_id: at.event_id,
            reward_points,
        });
        batch.push(challenge_rows::set_progress(
            member_id,
            step.challenge_id,
            &step.window_key,
            step.progress,
            completion.as_ref(),
            now,
        ));
    }
    for (who, grant) in &plan.badges {
        let Some(row) = parties.row(*who) else {
            continue;
        };
        let new = NewMemberBadge {
            member_id: row.id,
            badge_id: grant.badge_id,
            level: grant.level,
            points: grant.points,
            source: "event",
            event_id: Some(at.event_id),
            earned_at: now,
        };
        batch.push(badge_rows::insert(&new));
    }
}

/// Qualifying activity and the standings it moved.
fn tier_moves(
    tx: &mut DbConnection,
    batch: &mut Batch<'_>,
    program: &Program,
    plan: &Plan,
    parties: &mut Parties,
    at: &Recorded<'_>,
) -> AppResult<()> {
    for who in [Who::Member, Who::Referrer] {
        let Some(row) = parties.row(who) else {
            continue;
        };
        let activity: Vec<(NaiveDateTime, i64)> = plan
            .qualifying
            .iter()
            .filter(|(whose, _, _)| *whose == who)
            .map(|(_, amount, when)| (*when, *amount))
            .collect();
        for write in tier_rows::add_activity(row.id, &activity, Some(at.event_id)) {
            batch.push(write);
        }
    }
    let cause = ChangeCause {
        event_id: Some(at.event_id),
        admin_id: None,
    };
    for (who, step) in &plan.tier_moves {
        let Some(row) = parties.row(*who) else {
            continue;
        };
        let note = ChangeNote {
            change: "upgrade",
            reason: &step.reason,
            cause,
        };
        tiers::write_move(tx, program, row, step.from, &step.standing, &note, step.at)?;
    }
    Ok(())
}

/// What the vouchers of a plan became.
#[derive(Default)]
struct Issued {
    by_rules: Vec<Voucher>,
    /// By index in the outcome's challenges.
    by_challenges: Vec<(usize, VoucherIssue)>,
    by_tier: Option<Voucher>,
    notes: Vec<String>,
}

fn vouchers(
    tx: &mut DbConnection,
    program: &Program,
    plan: &Plan,
    parties: &mut Parties,
    now: NaiveDateTime,
) -> AppResult<Issued> {
    let mut issued = Issued::default();
    for PlannedVoucher { who, reward, cause } in &plan.vouchers {
        let Some(row) = parties.row(*who) else {
            continue;
        };
        let source = match cause {
            VoucherCause::Rule(_) => Source::Rule,
            VoucherCause::Challenge(_) => Source::Challenge,
            VoucherCause::Tier { .. } => Source::Tier,
        };
        let gift = redeem::gift_named(tx, program, row, reward, source, None, now)?;
        match (cause, gift) {
            (VoucherCause::Rule(_), Gift::Issued(voucher)) => issued.by_rules.push(*voucher),
            (VoucherCause::Rule(rule), _) => issued.notes.push(format!(
                "rule `{}`: reward `{reward}` is not available",
                rule.rule
            )),
            (VoucherCause::Challenge(index), gift) => {
                issued
                    .by_challenges
                    .push((*index, voucher_issue(reward, gift)));
            }
            (VoucherCause::Tier { reported }, Gift::Issued(voucher)) => {
                if *reported {
                    issued.by_tier = Some(*voucher);
                }
            }
            (VoucherCause::Tier { .. }, Gift::Missing) => {
                tracing::warn!(program = %program.slug, reward = %reward, "a level's reward is not in the catalogue");
            }
            (VoucherCause::Tier { .. }, Gift::Unavailable) => {}
        }
    }
    Ok(issued)
}

/// Leaderboard scores raised and lowered.
fn scores(batch: &mut Batch<'_>, plan: &Plan, parties: &mut Parties, at: &Recorded<'_>) {
    for change in &plan.scores {
        let Some(row) = parties.row(change.who) else {
            continue;
        };
        let (board, key, member) = (change.board_id, &change.period_key, row.id);
        batch.push(if change.delta > 0 {
            score_rows::raise(board, key, member, change.delta, at.event_id, at.now)
        } else {
            score_rows::lower(board, key, member, -change.delta, at.now)
        });
    }
}

/// The outcome the client sees: the plan's report with the vouchers issued and the balance.
fn outcome(
    program: &Program,
    report: &Report,
    issued: Issued,
    member: &MemberRow,
    event: &Event,
) -> EventOutcome {
    let mut by_challenge = issued.by_challenges;
    let challenges = report
        .challenges
        .iter()
        .enumerate()
        .map(|(index, c)| ChallengeTouched {
            slug: c.slug.clone(),
            name: c.name.clone(),
            window: c.window.clone(),
            progress: c.progress.clone(),
            goal: c.goal.clone(),
            completed: c.completed,
            reward_paid: c.paid.as_ref().map(|(points, badge, _)| RewardPaid {
                points: *points,
                badge: badge.clone(),
                voucher: by_challenge
                    .iter()
                    .position(|(i, _)| *i == index)
                    .map(|at| by_challenge.remove(at).1),
            }),
        })
        .collect();
    let mut notes = report.notes.clone();
    notes.extend(issued.notes);
    EventOutcome {
        event: EventRef {
            id: event.id.clone(),
            kind: event.kind.to_string(),
            occurred_at: event.occurred_at.and_utc(),
        },
        member: member.external_id.clone(),
        points_awarded: report.points_awarded,
        awarded: Awarded {
            available: report.available,
            pending: report.pending,
            available_at: report.available_at.map(|t| t.and_utc()),
        },
        rules: report.rules.clone(),
        rewards_issued: issued.by_rules,
        referrer: report.referrer.clone(),
        reversed: report
            .reversed
            .as_ref()
            .map(|(points, order_id, refunded)| Reversed {
                points: *points,
                order_id: order_id.clone(),
                refunded_total: program.currency.format_minor(*refunded),
            }),
        balance: Balance::from(member),
        tier: report.tier.as_ref().map(|t| TierOutcome {
            name: t.name.clone(),
            changed: t.changed,
            previous: t.previous.clone(),
            held_until: t.held_until.map(|h| h.and_utc()),
            held_through: t.held_through,
            reward: issued.by_tier,
        }),
        badges_earned: report.badges_earned.clone(),
        challenges,
        notes,
    }
}
