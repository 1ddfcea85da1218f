//! Members' streaks.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};
use crate::db::schema::member_streaks;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = member_streaks)]
pub struct StreakRow {
    pub member_id: i64,
    pub streak_id: i64,
    pub current_length: i32,
    pub longest_length: i32,
    pub last_period: NaiveDate,
    pub updated_at: NaiveDateTime,
}

/// A member's streaks.
pub fn of_member(conn: &mut DbConnection, member_id: i64) -> QueryResult<Vec<StreakRow>> {
    member_streaks::table
        .filter(member_streaks::member_id.eq(member_id))
        .select(StreakRow::as_select())
        .load(conn)
}

/// Sets a member's streak.
pub fn set(
    member_id: i64,
    streak_id: i64,
    (current, longest, last): (i32, i32, NaiveDate),
    at: NaiveDateTime,
) -> Raw {
    Raw::new(
        "INSERT INTO member_streaks \
         (member_id, streak_id, current_length, longest_length, last_period, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (member_id, streak_id) DO UPDATE \
         SET current_length = excluded.current_length, \
         longest_length = excluded.longest_length, last_period = excluded.last_period, \
         updated_at = excluded.updated_at",
        vec![
            Bind::BigInt(member_id),
            Bind::BigInt(streak_id),
            Bind::Integer(current),
            Bind::Integer(longest),
            Bind::Day(last),
            Bind::At(at),
        ],
    )
}

/// The longest streak of every member who has one: `(member id, longest)`.
pub fn longest(conn: &mut DbConnection, streak_id: i64) -> QueryResult<Vec<(i64, i32)>> {
    member_streaks::table
        .filter(member_streaks::streak_id.eq(streak_id))
        .select((member_streaks::member_id, member_streaks::longest_length))
        .load(conn)
}
