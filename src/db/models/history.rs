//! Reads of members' past activity, for badges granted retroactively: their events of a type,
//! the referrals they were paid for, the tiers they reached.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::events::EventRow;
use crate::db::schema::{events, ledger_entries, members, tier_changes};

/// The events of a type of these members, oldest first.
pub fn events_of(
    conn: &mut DbConnection,
    member_ids: &[i64],
    kind: &str,
) -> QueryResult<Vec<EventRow>> {
    events::table
        .filter(events::member_id.eq_any(member_ids))
        .filter(events::kind.eq(kind))
        .order(events::id)
        .select(EventRow::as_select())
        .load(conn)
}

/// How often each of these members was paid as a referrer: earn entries of an earning rule
/// caused by another member's event. `(member id, referrals)`.
pub fn referral_payouts(
    conn: &mut DbConnection,
    member_ids: &[i64],
) -> QueryResult<Vec<(i64, i64)>> {
    ledger_entries::table
        .inner_join(events::table)
        .filter(ledger_entries::member_id.eq_any(member_ids))
        .filter(ledger_entries::kind.eq("earn"))
        .filter(ledger_entries::rule_id.is_not_null())
        .filter(events::member_id.ne(ledger_entries::member_id))
        .group_by(ledger_entries::member_id)
        .select((ledger_entries::member_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Every tier these members were ever moved to, and the one they hold: `(member id, tier)`.
pub fn tiers_reached(
    conn: &mut DbConnection,
    member_ids: &[i64],
) -> QueryResult<Vec<(i64, String)>> {
    let mut reached: Vec<(i64, String)> = tier_changes::table
        .filter(tier_changes::member_id.eq_any(member_ids))
        .select((tier_changes::member_id, tier_changes::to_tier))
        .distinct()
        .load(conn)?;
    let current: Vec<(i64, Option<String>)> = members::table
        .filter(members::id.eq_any(member_ids))
        .select((members::id, members::tier))
        .load(conn)?;
    reached.extend(
        current
            .into_iter()
            .filter_map(|(id, tier)| Some((id, tier?))),
    );
    Ok(reached)
}
