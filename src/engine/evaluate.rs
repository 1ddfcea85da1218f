//! The decision: which rules fire for an event, and how many points each line is worth.
//!
//! Points from amounts are computed once per event, exactly, then rounded:
//! `round(sum of amount rates x every multiplier)`. Each line is the rounded running total
//! after it less the one before, so the lines always add up to the event's points. Together
//! they pay at most `MAX_POINTS`, what one ledger entry may move; the decimals are computed
//! with checked arithmetic, so that no configuration can make an event fail.

use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::condition::Facts;
use super::effect::{Effect, Rounding};
use super::event::{Event, EventType};
use super::member::MemberState;
use super::outcome::{
    Considered, Line, Outcome, ReferrerAward, RewardGrant, RuleRef, UsageIncrement,
};
use super::period::{self, Period};
use super::rule::{CompiledRule, Stacking};
use crate::domain::bounds::MAX_POINTS;

/// A program's active rules, compiled, in evaluation order.
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub time_zone: Tz,
    rules: Vec<CompiledRule>,
}

impl RuleSet {
    /// Orders rules by priority (higher first), then by id.
    pub fn new(time_zone: Tz, mut rules: Vec<CompiledRule>) -> Self {
        rules.sort_by_key(|r| (-r.definition.priority, r.id));
        RuleSet { time_zone, rules }
    }

    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Whether a rule for events of `kind` can pay a referrer.
    pub fn may_pay_referrer(&self, kind: &EventType) -> bool {
        self.rules.iter().any(|r| {
            r.event_type == *kind
                && r.definition
                    .effects
                    .iter()
                    .any(|e| matches!(e, Effect::ReferralBonus { .. }))
        })
    }
}

fn rule_ref(rule: &CompiledRule) -> RuleRef {
    RuleRef {
        id: rule.id,
        rule: rule.slug.clone(),
        version: rule.version,
    }
}

/// What one fired rule contributes.
#[derive(Debug, Clone)]
struct Contribution<'r> {
    rule: &'r CompiledRule,
    base: Decimal,
    factor: Decimal,
    fixed: i64,
    referrer_points: i64,
    pending_days: Option<u32>,
    rounding: Option<Rounding>,
    base_why: Vec<String>,
    factor_why: Vec<String>,
    rewards: Vec<String>,
}

/// Decides what `event` earns `member` under `rules`, as of `now`. Pure: no I/O.
pub fn evaluate(
    rules: &RuleSet,
    event: &Event,
    member: &MemberState,
    now: NaiveDateTime,
) -> Outcome {
    let local_time = period::local(rules.time_zone, event.occurred_at);
    let facts = Facts {
        event,
        member,
        local_time,
    };
    let mut considered = Vec::new();
    let mut fired = Vec::new();
    let mut excluded_by: Option<&CompiledRule> = None;
    for rule in rules.rules.iter().filter(|r| r.event_type == event.kind) {
        let mut consider = |result: &'static str, detail: String| {
            considered.push(Considered {
                rule: rule_ref(rule),
                result,
                detail,
            })
        };
        if let Some(by) = excluded_by {
            consider(
                "excluded",
                format!("the exclusive rule `{}` fired first", by.slug),
            );
            continue;
        }
        if !rule.is_active_at(event.occurred_at) {
            consider(
                "inactive",
                "the event is outside the rule's active window".into(),
            );
            continue;
        }
        if let Some(i) = rule.conditions.iter().position(|c| !c.holds(&facts)) {
            let c = &rule.definition.conditions[i];
            consider(
                "conditions_not_met",
                format!("conditions[{i}] ({} {:?}) does not hold", c.field, c.op).to_lowercase(),
            );
            continue;
        }
        if let Some(limit) = rule.definition.limits.iter().find(|l| {
            l.count
                .is_some_and(|n| member.usage(rule.id, l.per).count >= n)
        }) {
            consider(
                "limit_reached",
                format!(
                    "already paid {} times this {}",
                    limit.count.unwrap_or_default(),
                    limit.per.as_str()
                ),
            );
            continue;
        }
        let contribution = contribute(rule, event, member);
        if let Some((result, detail)) = referral_refusal(rule, member) {
            consider(result, detail);
            continue;
        }
        consider("fired", String::new());
        if rule.definition.stacking == Stacking::Exclusive {
            excluded_by = Some(rule);
        }
        fired.push(contribution);
    }
    let fired = best_of_groups(fired, &mut considered);
    let (lines, points) = lines(&fired, member);
    let referrer_award = referrer_award(&fired, member);
    let pending_days = fired.iter().filter_map(|c| c.pending_days).max();
    let available_at = match pending_days {
        Some(days) => (event.occurred_at + Duration::days(i64::from(days))).max(now),
        None => now,
    };
    let usage = usage(&fired, &lines, local_time);
    let rewards = fired
        .iter()
        .flat_map(|c| {
            c.rewards.iter().map(|reward| RewardGrant {
                rule: rule_ref(c.rule),
                reward: reward.clone(),
            })
        })
        .collect();
    Outcome {
        lines,
        points,
        available_at,
        referrer_award,
        rewards,
        usage,
        considered,
    }
}

/// Why a referral rule cannot pay, if it cannot.
fn referral_refusal(rule: &CompiledRule, member: &MemberState) -> Option<(&'static str, String)> {
    if !rule
        .definition
        .effects
        .iter()
        .any(|e| matches!(e, Effect::ReferralBonus { .. }))
    {
        return None;
    }
    match &member.referrer {
        None => Some(("not_referred", "the member was not referred".into())),
        Some(referrer) if member.is_self_referral(referrer) => Some((
            "self_referral",
            "the referrer is the member (same account or email)".into(),
        )),
        Some(_) => None,
    }
}

fn contribute<'r>(rule: &'r CompiledRule, event: &Event, member: &MemberState) -> Contribution<'r> {
    let mut c = Contribution {
        rule,
        base: Decimal::ZERO,
        factor: Decimal::ONE,
        fixed: 0,
        referrer_points: 0,
        pending_days: None,
        rounding: None,
        base_why: Vec::new(),
        factor_why: Vec::new(),
        rewards: Vec::new(),
    };
    for effect in &rule.definition.effects {
        match effect {
            Effect::PointsPerAmount {
                rate,
                per,
                items,
                rounding,
            } => {
                let eligible = event.eligible_amount(items);
                let earned = eligible
                    .checked_div(*per)
                    .and_then(|e| e.checked_mul(*rate));
                c.base = saturating(earned.and_then(|e| c.base.checked_add(e)));
                c.rounding.get_or_insert(*rounding);
                let per = if *per == Decimal::ONE {
                    String::new()
                } else {
                    format!(" {}", per.normalize())
                };
                c.base_why.push(format!(
                    "{} {} eligible x {} per{per}",
                    eligible.normalize(),
                    event.currency,
                    rate.normalize()
                ));
            }
            Effect::FixedPoints { points } => c.fixed = c.fixed.saturating_add(*points),
            Effect::Multiplier { factor } => {
                c.factor = saturating(c.factor.checked_mul(*factor));
                c.factor_why.push(format!("x{}", factor.normalize()));
            }
            Effect::TierMultiplier => {
                let (name, factor) = member.tier.as_ref().map_or(("no tier", Decimal::ONE), |t| {
                    (t.name.as_str(), t.multiplier)
                });
                c.factor = saturating(c.factor.checked_mul(factor));
                c.factor_why
                    .push(format!("x{} for {name}", factor.normalize()));
            }
            Effect::ReferralBonus {
                referrer_points,
                member_points,
            } => {
                c.fixed = c.fixed.saturating_add(*member_points);
                c.referrer_points = c.referrer_points.saturating_add(*referrer_points);
            }
            Effect::Pending { days } => {
                c.pending_days = Some(c.pending_days.unwrap_or(0).max(*days))
            }
            Effect::IssueReward { reward } => c.rewards.push(reward.clone()),
        }
    }
    c
}

/// Keeps, of each `best_of_group` group, the rule that adds the most points.
fn best_of_groups<'r>(
    fired: Vec<Contribution<'r>>,
    considered: &mut [Considered],
) -> Vec<Contribution<'r>> {
    let mut kept = fired.clone();
    let groups: Vec<String> = fired
        .iter()
        .filter(|c| c.rule.definition.stacking == Stacking::BestOfGroup)
        .filter_map(|c| c.rule.definition.group.clone())
        .collect();
    for group in groups {
        let in_group = |c: &Contribution<'_>| {
            c.rule.definition.stacking == Stacking::BestOfGroup
                && c.rule.definition.group.as_deref() == Some(group.as_str())
        };
        let members: Vec<i64> = kept
            .iter()
            .filter(|c| in_group(c))
            .map(|c| c.rule.id)
            .collect();
        if members.len() < 2 {
            continue;
        }
        let worth = |id: i64| -> i64 {
            let with: Vec<_> = kept
                .iter()
                .filter(|c| !in_group(c) || c.rule.id == id)
                .cloned()
                .collect();
            total(&with)
        };
        // The first (highest-priority) of the most valuable wins.
        let mut best: Option<(i64, i64)> = None;
        for id in &members {
            let value = worth(*id);
            if best.is_none_or(|(_, most)| value > most) {
                best = Some((*id, value));
            }
        }
        let best = best.map(|(id, _)| id);
        for entry in considered
            .iter_mut()
            .filter(|e| members.contains(&e.rule.id) && Some(e.rule.id) != best)
        {
            entry.result = "outdone";
            entry.detail = format!("another rule of the group `{group}` is worth more");
        }
        kept.retain(|c| !in_group(c) || Some(c.rule.id) == best);
    }
    kept
}

fn rounding(fired: &[Contribution<'_>]) -> Rounding {
    fired.iter().find_map(|c| c.rounding).unwrap_or_default()
}

/// A computation that left a decimal, as the largest one: amounts, rates and multipliers are
/// never negative, and what the rules pay is capped at `MAX_POINTS` anyway.
fn saturating(value: Option<Decimal>) -> Decimal {
    value.unwrap_or(Decimal::MAX)
}

/// The member's points for a set of contributions.
fn total(fired: &[Contribution<'_>]) -> i64 {
    let base = fired
        .iter()
        .fold(Decimal::ZERO, |sum, c| saturating(sum.checked_add(c.base)));
    let factor = fired.iter().fold(Decimal::ONE, |product, c| {
        saturating(product.checked_mul(c.factor))
    });
    let fixed = fired
        .iter()
        .fold(0_i64, |sum, c| sum.saturating_add(c.fixed));
    rounding(fired)
        .apply(saturating(base.checked_mul(factor)))
        .saturating_add(fixed)
}

/// One line per fired rule: amounts first, then multipliers in rule order, then fixed points;
/// each capped by the rule's points limits, and all together by what one event may earn.
fn lines(fired: &[Contribution<'_>], member: &MemberState) -> (Vec<Line>, i64) {
    let round = rounding(fired);
    let mut points = vec![0_i64; fired.len()];
    let mut why: Vec<Vec<String>> = vec![Vec::new(); fired.len()];
    let mut running = Decimal::ZERO;
    for (i, c) in fired
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.base_why.is_empty())
    {
        let before = round.apply(running);
        running = saturating(running.checked_add(c.base));
        points[i] = points[i].saturating_add(round.apply(running) - before);
        why[i].extend(c.base_why.iter().cloned());
    }
    for (i, c) in fired
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.factor_why.is_empty())
    {
        let before = round.apply(running);
        running = saturating(running.checked_mul(c.factor));
        points[i] = points[i].saturating_add(round.apply(running) - before);
        why[i].extend(c.factor_why.iter().cloned());
    }
    let mut left = MAX_POINTS;
    for (i, c) in fired.iter().enumerate() {
        if c.fixed > 0 {
            points[i] = points[i].saturating_add(c.fixed);
            why[i].push(format!("{} points", c.fixed));
        }
        for reward in &c.rewards {
            why[i].push(format!("a `{reward}` voucher"));
        }
        if c.referrer_points > 0 {
            why[i].push(format!("{} points to the referrer", c.referrer_points));
        }
        if let Some(days) = c.pending_days {
            why[i].push(format!("pending for {days} days"));
        }
        if let Some(cap) = points_left(c.rule, member)
            && points[i] > cap
        {
            why[i].push(format!("capped at {cap} by the rule's points limit"));
            points[i] = cap;
        }
        if points[i] > left {
            why[i].push(format!(
                "capped at {left}: an event earns at most {MAX_POINTS} points"
            ));
            points[i] = left;
        }
        left -= points[i];
    }
    let lines: Vec<Line> = fired
        .iter()
        .zip(points)
        .zip(why)
        .map(|((c, points), why)| Line {
            rule: rule_ref(c.rule),
            name: c.rule.definition.name.clone(),
            points,
            why: why.join("; "),
        })
        .collect();
    let sum = lines.iter().map(|l| l.points).sum();
    (lines, sum)
}

/// Points a rule may still pay the member under its points limits.
fn points_left(rule: &CompiledRule, member: &MemberState) -> Option<i64> {
    rule.definition
        .limits
        .iter()
        .filter_map(|l| {
            l.points.map(|max| {
                max.saturating_sub(member.usage(rule.id, l.per).points)
                    .max(0)
            })
        })
        .min()
}

fn referrer_award(fired: &[Contribution<'_>], member: &MemberState) -> Option<ReferrerAward> {
    let referrer = member.referrer.as_ref().filter(|r| r.active)?;
    let c = fired.iter().find(|c| c.referrer_points > 0)?;
    Some(ReferrerAward {
        member_id: referrer.id,
        member: referrer.external_id.clone(),
        points: c.referrer_points.min(MAX_POINTS),
        rule: rule_ref(c.rule),
    })
}

/// One use, in each window its limits count, of every limited rule that fired.
fn usage(
    fired: &[Contribution<'_>],
    lines: &[Line],
    local_time: NaiveDateTime,
) -> Vec<UsageIncrement> {
    let mut usage = Vec::new();
    for (c, line) in fired.iter().zip(lines) {
        let mut periods: Vec<Period> = c.rule.limited_periods().collect();
        periods.sort();
        periods.dedup();
        usage.extend(periods.into_iter().map(|period| UsageIncrement {
            rule_id: c.rule.id,
            period,
            key: period.key(local_time),
            points: line.points,
        }));
    }
    usage
}
