//! Per-member counters the engine reads: rule usage per window, and event counts by type.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{member_event_counts, rule_usage};

/// Usage rows of a member for the given `(rule id, period key)` pairs: `(rule, key, uses, points)`.
pub fn usage(
    conn: &mut DbConnection,
    member_id: i64,
    keys: &[String],
) -> QueryResult<Vec<(i64, String, i64, i64)>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    rule_usage::table
        .filter(rule_usage::member_id.eq(member_id))
        .filter(rule_usage::period_key.eq_any(keys))
        .select((
            rule_usage::rule_id,
            rule_usage::period_key,
            rule_usage::uses,
            rule_usage::points,
        ))
        .load(conn)
}

/// Counts one more use of a rule by a member in a window. The caller holds the member's lock.
pub fn add_usage(
    conn: &mut DbConnection,
    member_id: i64,
    rule_id: i64,
    key: &str,
    points: i64,
) -> QueryResult<()> {
    let updated = diesel::update(rule_usage::table.find((member_id, rule_id, key)))
        .set((
            rule_usage::uses.eq(rule_usage::uses + 1),
            rule_usage::points.eq(rule_usage::points + points),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(rule_usage::table)
            .values((
                rule_usage::member_id.eq(member_id),
                rule_usage::rule_id.eq(rule_id),
                rule_usage::period_key.eq(key),
                rule_usage::uses.eq(1),
                rule_usage::points.eq(points),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// A member's lifetime event counts: `(event type, events, amount in minor units)`.
pub fn event_counts(
    conn: &mut DbConnection,
    member_id: i64,
) -> QueryResult<Vec<(String, i64, i64)>> {
    member_event_counts::table
        .filter(member_event_counts::member_id.eq(member_id))
        .select((
            member_event_counts::event_type,
            member_event_counts::events,
            member_event_counts::amount_minor,
        ))
        .load(conn)
}

/// Counts one more event of a type for a member. The caller holds the member's lock.
pub fn add_event(
    conn: &mut DbConnection,
    member_id: i64,
    event_type: &str,
    amount_minor: i64,
) -> QueryResult<()> {
    let updated = diesel::update(member_event_counts::table.find((member_id, event_type)))
        .set((
            member_event_counts::events.eq(member_event_counts::events + 1),
            member_event_counts::amount_minor.eq(member_event_counts::amount_minor + amount_minor),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(member_event_counts::table)
            .values((
                member_event_counts::member_id.eq(member_id),
                member_event_counts::event_type.eq(event_type),
                member_event_counts::events.eq(1),
                member_event_counts::amount_minor.eq(amount_minor),
            ))
            .execute(conn)?;
    }
    Ok(())
}
