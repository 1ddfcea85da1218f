//! Events posted by storefronts, with the outcome each was answered with.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};
use crate::db::schema::events;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: i64,
    pub program_id: i64,
    pub external_id: String,
    pub member_id: i64,
    pub kind: String,
    pub occurred_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub request_digest: String,
    pub payload: String,
    pub outcome: String,
    pub order_id: Option<String>,
    pub amount_minor: Option<i64>,
    pub points_earned: i64,
    pub refunded_minor: i64,
    pub points_reversed: i64,
    pub api_key_id: Option<i64>,
    pub qualifying_minor: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = events)]
pub struct NewEvent<'a> {
    pub program_id: i64,
    pub external_id: &'a str,
    pub member_id: i64,
    pub kind: &'a str,
    pub occurred_at: NaiveDateTime,
    pub received_at: NaiveDateTime,
    pub request_digest: &'a str,
    pub payload: &'a str,
    pub outcome: &'a str,
    pub order_id: Option<&'a str>,
    pub amount_minor: Option<i64>,
    pub api_key_id: Option<i64>,
    pub qualifying_minor: Option<i64>,
}

pub fn find(
    conn: &mut DbConnection,
    program_id: i64,
    external_id: &str,
) -> QueryResult<Option<EventRow>> {
    events::table
        .filter(events::program_id.eq(program_id))
        .filter(events::external_id.eq(external_id))
        .select(EventRow::as_select())
        .first(conn)
        .optional()
}

/// Claims the event's id; a concurrent claim of the same id waits for this transaction, then
/// fails as a unique violation.
pub fn insert(conn: &mut DbConnection, new: &NewEvent<'_>) -> QueryResult<EventRow> {
    diesel::insert_into(events::table)
        .values(new)
        .returning(events::all_columns)
        .get_result(conn)
}

/// Stores the outcome the event is answered with, and the points it earned.
pub fn complete(id: i64, outcome: String, points_earned: i64) -> Raw {
    Raw::new(
        "UPDATE events SET outcome = ?, points_earned = ? WHERE id = ?",
        vec![
            Bind::Text(outcome),
            Bind::BigInt(points_earned),
            Bind::BigInt(id),
        ],
    )
}

/// The member's purchase with this order id, the earliest if several.
pub fn purchase_by_order(
    conn: &mut DbConnection,
    member_id: i64,
    order_id: &str,
) -> QueryResult<Option<EventRow>> {
    events::table
        .filter(events::member_id.eq(member_id))
        .filter(events::kind.eq("purchase"))
        .filter(events::order_id.eq(order_id))
        .order(events::id)
        .select(EventRow::as_select())
        .first(conn)
        .optional()
}

/// Records what refunds have returned of a purchase so far.
pub fn record_refund(
    conn: &mut DbConnection,
    id: i64,
    refunded_minor: i64,
    points_reversed: i64,
) -> QueryResult<()> {
    diesel::update(events::table.find(id))
        .set((
            events::refunded_minor.eq(refunded_minor),
            events::points_reversed.eq(points_reversed),
        ))
        .execute(conn)
        .map(drop)
}
