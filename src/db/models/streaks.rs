//! Members' streaks.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
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

/// Sets a member's streak. The caller holds the member's lock.
pub fn set(
    conn: &mut DbConnection,
    member_id: i64,
    streak_id: i64,
    (current, longest, last): (i32, i32, NaiveDate),
    at: NaiveDateTime,
) -> QueryResult<()> {
    let updated = diesel::update(member_streaks::table.find((member_id, streak_id)))
        .set((
            member_streaks::current_length.eq(current),
            member_streaks::longest_length.eq(longest),
            member_streaks::last_period.eq(last),
            member_streaks::updated_at.eq(at),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(member_streaks::table)
            .values((
                member_streaks::member_id.eq(member_id),
                member_streaks::streak_id.eq(streak_id),
                member_streaks::current_length.eq(current),
                member_streaks::longest_length.eq(longest),
                member_streaks::last_period.eq(last),
                member_streaks::updated_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The longest streak of every member who has one: `(member id, longest)`.
pub fn longest(conn: &mut DbConnection, streak_id: i64) -> QueryResult<Vec<(i64, i32)>> {
    member_streaks::table
        .filter(member_streaks::streak_id.eq(streak_id))
        .select((member_streaks::member_id, member_streaks::longest_length))
        .load(conn)
}
