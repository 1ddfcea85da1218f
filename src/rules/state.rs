//! The member as earning rules see it: its tier, lifetime counts, referrer and the usage of
//! every limited rule that could fire for an event, read in a bounded number of statements.

use std::collections::HashMap;

use crate::db::DbConnection;
use crate::db::models::counters;
use crate::db::models::members::MemberRow;
use crate::engine::RuleSet;
use crate::engine::event::Event;
use crate::engine::member::{MemberState, Referrer, Usage};
use crate::engine::period::{self, Period};
use crate::error::AppResult;
use crate::programs::Program;
use crate::tiers;

/// The member's state before `event`, with the usage of every limited rule that could fire.
pub fn member_state(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    rules: &RuleSet,
    event: &Event,
    referrer: Option<Referrer>,
) -> AppResult<MemberState> {
    let windows = usage_windows(rules, event);
    let keys: Vec<String> = windows.iter().map(|(_, _, key)| key.clone()).collect();
    let usage = counters::usage(tx, member.id, &keys)?;
    let counts = counters::event_counts(tx, member.id)?
        .into_iter()
        .map(|(kind, count, _)| (kind, count))
        .collect();
    Ok(state_of(
        program,
        member,
        counts,
        usage_of(windows, &usage),
        referrer,
    ))
}

/// The windows of the rules for `event` that have limits: `(rule id, period, window key)`.
pub fn usage_windows(rules: &RuleSet, event: &Event) -> Vec<(i64, Period, String)> {
    let local = period::local(rules.time_zone, event.occurred_at);
    rules
        .rules()
        .iter()
        .filter(|r| r.event_type == event.kind)
        .flat_map(|r| r.limited_periods().map(move |p| (r.id, p, p.key(local))))
        .collect()
}

/// The usage of each window, from stored rows `(rule id, window key, uses, points)`.
pub fn usage_of(
    windows: Vec<(i64, Period, String)>,
    rows: &[(i64, String, i64, i64)],
) -> HashMap<(i64, Period), Usage> {
    windows
        .into_iter()
        .filter_map(|(rule_id, period, key)| {
            rows.iter()
                .find(|(r, k, _, _)| *r == rule_id && *k == key)
                .map(|(_, _, uses, points)| {
                    let usage = Usage {
                        count: *uses,
                        points: *points,
                    };
                    ((rule_id, period), usage)
                })
        })
        .collect()
}

/// The member as earning rules see it, from what was read of it.
pub fn state_of(
    program: &Program,
    member: &MemberRow,
    event_counts: HashMap<String, i64>,
    usage: HashMap<(i64, Period), Usage>,
    referrer: Option<Referrer>,
) -> MemberState {
    MemberState {
        id: member.id,
        email: member.email.clone(),
        enrolled_at: member.enrolled_at,
        birthday: member.birthday,
        tier: tiers::tier_state(program, member),
        lifetime_earned: member.lifetime_earned,
        event_counts,
        referrer,
        usage,
    }
}

/// A member as the referrer of another.
pub fn referrer(row: MemberRow) -> Referrer {
    Referrer {
        id: row.id,
        active: !row.status.is_closed(),
        external_id: row.external_id,
        email: row.email,
    }
}
