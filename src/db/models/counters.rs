//! Per-member counters the engine reads: rule usage per window, and event counts by type.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};
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

/// Counts one more use of a rule by a member in a window.
pub fn add_usage(member_id: i64, rule_id: i64, key: &str, points: i64) -> Raw {
    Raw::new(
        "INSERT INTO rule_usage (member_id, rule_id, period_key, uses, points) \
         VALUES (?, ?, ?, 1, ?) ON CONFLICT (member_id, rule_id, period_key) DO UPDATE \
         SET uses = rule_usage.uses + 1, points = rule_usage.points + excluded.points",
        vec![
            Bind::BigInt(member_id),
            Bind::BigInt(rule_id),
            Bind::Text(key.to_owned()),
            Bind::BigInt(points),
        ],
    )
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

/// Counts one more event of a type by a member, with its amount.
pub fn add_event(member_id: i64, event_type: &str, amount_minor: i64) -> Raw {
    Raw::new(
        "INSERT INTO member_event_counts (member_id, event_type, events, amount_minor) \
         VALUES (?, ?, 1, ?) ON CONFLICT (member_id, event_type) DO UPDATE \
         SET events = member_event_counts.events + 1, \
         amount_minor = member_event_counts.amount_minor + excluded.amount_minor",
        vec![
            Bind::BigInt(member_id),
            Bind::Text(event_type.to_owned()),
            Bind::BigInt(amount_minor),
        ],
    )
}
