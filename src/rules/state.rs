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
    let local = period::local(rules.time_zone, event.occurred_at);
    let windows: Vec<(i64, Period, String)> = rules
        .rules()
        .iter()
        .filter(|r| r.event_type == event.kind)
        .flat_map(|r| r.limited_periods().map(move |p| (r.id, p, p.key(local))))
        .collect();
    let keys: Vec<String> = windows.iter().map(|(_, _, key)| key.clone()).collect();
    let rows = counters::usage(tx, member.id, &keys)?;
    let usage = windows
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
        .collect();
    let event_counts: HashMap<String, i64> = counters::event_counts(tx, member.id)?
        .into_iter()
        .map(|(kind, count, _)| (kind, count))
        .collect();
    Ok(MemberState {
        id: member.id,
        email: member.email.clone(),
        enrolled_at: member.enrolled_at,
        birthday: member.birthday,
        tier: tiers::tier_state(program, member),
        lifetime_earned: member.lifetime_earned,
        event_counts,
        referrer,
        usage,
    })
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
