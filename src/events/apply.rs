//! Writing an engine outcome: one earn entry and lot per rule line, the referrer's points,
//! and the usage of limited rules; all in the caller's transaction.

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::models::counters;
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::domain::Points;
use crate::engine::outcome::Outcome;
use crate::engine::tiers::Metric;
use crate::error::AppResult;
use crate::ledger::EntryKind;
use crate::ledger::posting::{self, Cause, Credit};
use crate::programs::Program;
use crate::tiers::{self, ChangeCause};

/// Credits the outcome to the (locked) member and its referrer; returns the member after.
/// Lots expire as the program's policy says, counted from when the event occurred.
pub fn credit(
    tx: &mut DbConnection,
    program: &Program,
    member: MemberRow,
    event_id: i64,
    occurred_at: NaiveDateTime,
    outcome: &Outcome,
    now: NaiveDateTime,
) -> AppResult<MemberRow> {
    let expires_at = program.expiry.lot_expiry(program.time_zone, occurred_at);
    let mut member = member;
    for line in outcome.lines.iter().filter(|l| l.points > 0) {
        let credit = Credit {
            kind: EntryKind::Earn,
            points: Points(line.points),
            available_at: outcome.available_at,
            expires_at,
            cause: Cause {
                reason: Some(line.name.clone()),
                event_id: Some(event_id),
                rule_id: Some(line.rule.id),
                rule_version: Some(line.rule.version),
                ..Cause::default()
            },
        };
        member = posting::credit(tx, &member, &credit, now)?.member;
    }
    if let Some(award) = &outcome.referrer_award {
        let referrer = member_rows::lock(tx, award.member_id)?;
        let credit = Credit {
            kind: EntryKind::Earn,
            points: Points(award.points),
            available_at: now,
            expires_at: program.expiry.lot_expiry(program.time_zone, now),
            cause: Cause {
                reason: Some(format!("referred {}", member.external_id)),
                event_id: Some(event_id),
                rule_id: Some(award.rule.id),
                rule_version: Some(award.rule.version),
                ..Cause::default()
            },
        };
        let referrer = posting::credit(tx, &referrer, &credit, now)?.member;
        if matches!(
            program.tiers.as_ref().map(|t| &t.metric),
            Some(Metric::PointsEarned)
        ) {
            let cause = ChangeCause {
                event_id: Some(event_id),
                admin_id: None,
            };
            tiers::after_activity(tx, program, &referrer, award.points, now, cause)?;
        }
    }
    for increment in &outcome.usage {
        counters::add_usage(
            tx,
            member.id,
            increment.rule_id,
            &increment.key,
            increment.points,
        )?;
    }
    Ok(member)
}
