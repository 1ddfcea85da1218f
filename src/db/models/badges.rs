//! Badge levels members hold, and the counters of counting badges.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};
use crate::db::schema::{badge_progress, member_badges};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = member_badges)]
pub struct MemberBadgeRow {
    pub id: i64,
    pub member_id: i64,
    pub badge_id: i64,
    pub level: i32,
    pub points: i64,
    pub source: String,
    pub event_id: Option<i64>,
    pub earned_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = member_badges)]
pub struct NewMemberBadge<'a> {
    pub member_id: i64,
    pub badge_id: i64,
    pub level: i32,
    pub points: i64,
    pub source: &'a str,
    pub event_id: Option<i64>,
    pub earned_at: NaiveDateTime,
}

/// The badge levels a member holds: `(badge id, level)`.
pub fn held(conn: &mut DbConnection, member_id: i64) -> QueryResult<Vec<(i64, i32)>> {
    member_badges::table
        .filter(member_badges::member_id.eq(member_id))
        .select((member_badges::badge_id, member_badges::level))
        .load(conn)
}

/// Everything a member earned, in the order earned.
pub fn earned(conn: &mut DbConnection, member_id: i64) -> QueryResult<Vec<MemberBadgeRow>> {
    member_badges::table
        .filter(member_badges::member_id.eq(member_id))
        .order(member_badges::id)
        .select(MemberBadgeRow::as_select())
        .load(conn)
}

/// Records a level earned. The caller holds the member's lock and checked it is not held.
pub fn insert(new: &NewMemberBadge<'_>) -> Raw {
    Raw::new(
        "INSERT INTO member_badges \
         (member_id, badge_id, level, points, source, event_id, earned_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            Bind::BigInt(new.member_id),
            Bind::BigInt(new.badge_id),
            Bind::Integer(new.level),
            Bind::BigInt(new.points),
            Bind::Text(new.source.to_owned()),
            Bind::MaybeBigInt(new.event_id),
            Bind::At(new.earned_at),
        ],
    )
}

/// The counters of these badges for a member: `(badge id, progress)`.
pub fn progress(
    conn: &mut DbConnection,
    member_id: i64,
    badge_ids: &[i64],
) -> QueryResult<Vec<(i64, i64)>> {
    if badge_ids.is_empty() {
        return Ok(Vec::new());
    }
    badge_progress::table
        .filter(badge_progress::member_id.eq(member_id))
        .filter(badge_progress::badge_id.eq_any(badge_ids))
        .select((badge_progress::badge_id, badge_progress::progress))
        .load(conn)
}

/// Every counter of a member: `(badge id, progress)`.
pub fn all_progress(conn: &mut DbConnection, member_id: i64) -> QueryResult<Vec<(i64, i64)>> {
    badge_progress::table
        .filter(badge_progress::member_id.eq(member_id))
        .select((badge_progress::badge_id, badge_progress::progress))
        .load(conn)
}

/// Sets a counter.
pub fn set_progress(member_id: i64, badge_id: i64, progress: i64, at: NaiveDateTime) -> Raw {
    Raw::new(
        "INSERT INTO badge_progress (member_id, badge_id, progress, updated_at) \
         VALUES (?, ?, ?, ?) ON CONFLICT (member_id, badge_id) DO UPDATE \
         SET progress = excluded.progress, updated_at = excluded.updated_at",
        vec![
            Bind::BigInt(member_id),
            Bind::BigInt(badge_id),
            Bind::BigInt(progress),
            Bind::At(at),
        ],
    )
}

/// The levels of one badge these members hold: `(member id, level)`.
pub fn held_by(
    conn: &mut DbConnection,
    badge_id: i64,
    member_ids: &[i64],
) -> QueryResult<Vec<(i64, i32)>> {
    member_badges::table
        .filter(member_badges::badge_id.eq(badge_id))
        .filter(member_badges::member_id.eq_any(member_ids))
        .select((member_badges::member_id, member_badges::level))
        .load(conn)
}

/// One badge's counters of these members: `(member id, progress)`.
pub fn progress_of(
    conn: &mut DbConnection,
    badge_id: i64,
    member_ids: &[i64],
) -> QueryResult<Vec<(i64, i64)>> {
    badge_progress::table
        .filter(badge_progress::badge_id.eq(badge_id))
        .filter(badge_progress::member_id.eq_any(member_ids))
        .select((badge_progress::member_id, badge_progress::progress))
        .load(conn)
}
