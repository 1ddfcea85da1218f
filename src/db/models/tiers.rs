//! Tier state of members: qualifying activity, standings and their history.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};
use crate::db::schema::{members, tier_changes};

pub fn add_activity(member_id: i64, at: NaiveDateTime, amount: i64, event_id: Option<i64>) -> Raw {
    Raw::new(
        "INSERT INTO qualifying_activity (member_id, occurred_at, amount, event_id) \
         VALUES (?, ?, ?, ?)",
        vec![
            Bind::BigInt(member_id),
            Bind::At(at),
            Bind::BigInt(amount),
            Bind::MaybeBigInt(event_id),
        ],
    )
}

/// Sums of a member's qualifying activity.
#[derive(Debug, Default, QueryableByName)]
pub struct Sums {
    /// From `window_from` on.
    #[diesel(sql_type = BigInt)]
    pub in_window: i64,
    /// After `qualified_at`.
    #[diesel(sql_type = BigInt)]
    pub since_qualified: i64,
    /// From `last_year_from` to before `last_year_until`.
    #[diesel(sql_type = BigInt)]
    pub last_year: i64,
    /// After `after`.
    #[diesel(sql_type = BigInt)]
    pub after: i64,
}

/// The spans of a tier that are the same for every member at one instant: the window and the
/// last calendar year.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    pub window_from: NaiveDateTime,
    pub last_year_from: NaiveDateTime,
    pub last_year_until: NaiveDateTime,
}

/// The instants that bound the spans [`sums`] adds up.
pub struct Spans {
    pub window_from: NaiveDateTime,
    pub qualified_at: NaiveDateTime,
    pub last_year_from: NaiveDateTime,
    pub last_year_until: NaiveDateTime,
    pub after: NaiveDateTime,
}

impl Spans {
    /// Where the earliest span starts: no activity before it counts.
    pub fn earliest(&self) -> NaiveDateTime {
        self.window_from
            .min(self.qualified_at)
            .min(self.last_year_from)
    }
}

/// Sums the member's activity over the spans the tier decisions use, in one query that reads
/// only the activity since the earliest span starts (an index range).
pub fn sums(conn: &mut DbConnection, member_id: i64, spans: &Spans) -> QueryResult<Sums> {
    diesel::sql_query(
        "SELECT CAST(COALESCE(SUM(CASE WHEN occurred_at >= $1 THEN amount ELSE 0 END), 0) AS BIGINT) AS in_window,
                CAST(COALESCE(SUM(CASE WHEN occurred_at > $2 THEN amount ELSE 0 END), 0) AS BIGINT) AS since_qualified,
                CAST(COALESCE(SUM(CASE WHEN occurred_at >= $3 AND occurred_at < $4 THEN amount ELSE 0 END), 0) AS BIGINT) AS last_year,
                CAST(COALESCE(SUM(CASE WHEN occurred_at > $5 THEN amount ELSE 0 END), 0) AS BIGINT) AS after
         FROM qualifying_activity WHERE member_id = $6 AND occurred_at >= $7",
    )
    .bind::<Timestamp, _>(spans.window_from)
    .bind::<Timestamp, _>(spans.qualified_at)
    .bind::<Timestamp, _>(spans.last_year_from)
    .bind::<Timestamp, _>(spans.last_year_until)
    .bind::<Timestamp, _>(spans.after)
    .bind::<BigInt, _>(member_id)
    .bind::<Timestamp, _>(spans.earliest())
    .get_result(conn)
}

/// A member's new standing.
#[derive(AsChangeset)]
#[diesel(table_name = members, treat_none_as_null = true)]
pub struct StandingColumns<'a> {
    pub tier: Option<&'a str>,
    pub tier_since: Option<NaiveDateTime>,
    pub tier_held_until: Option<NaiveDateTime>,
    pub tier_qualified_at: Option<NaiveDateTime>,
}

pub fn set_standing(
    conn: &mut DbConnection,
    member_id: i64,
    columns: &StandingColumns<'_>,
) -> QueryResult<()> {
    diesel::update(members::table.find(member_id))
        .set(columns)
        .execute(conn)
        .map(drop)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tier_changes)]
pub struct TierChangeRow {
    pub id: i64,
    pub member_id: i64,
    pub from_tier: Option<String>,
    pub to_tier: String,
    pub change: String,
    pub reason: String,
    pub held_until: Option<NaiveDateTime>,
    pub event_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = tier_changes)]
pub struct NewTierChange<'a> {
    pub member_id: i64,
    pub from_tier: Option<&'a str>,
    pub to_tier: &'a str,
    pub change: &'a str,
    pub reason: &'a str,
    pub held_until: Option<NaiveDateTime>,
    pub event_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn add_change(conn: &mut DbConnection, new: &NewTierChange<'_>) -> QueryResult<()> {
    diesel::insert_into(tier_changes::table)
        .values(new)
        .execute(conn)
        .map(drop)
}

/// A member's tier changes, newest first.
pub fn changes(
    conn: &mut DbConnection,
    member_id: i64,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<TierChangeRow>> {
    tier_changes::table
        .filter(tier_changes::member_id.eq(member_id))
        .filter(tier_changes::id.lt(before.unwrap_or(i64::MAX)))
        .order(tier_changes::id.desc())
        .limit(limit)
        .select(TierChangeRow::as_select())
        .load(conn)
}

/// Members of the program whose tier hold has ended by `now`, up to `limit`.
pub fn holds_ended(
    conn: &mut DbConnection,
    program_id: i64,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    members::table
        .filter(members::program_id.eq(program_id))
        .filter(members::tier_held_until.le(now))
        .order(members::id)
        .limit(limit)
        .select(members::id)
        .load(conn)
}
