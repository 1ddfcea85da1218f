//! Queries that find the work `fidelio tick` has to do.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{birthday_grants, lots, members};
use crate::domain::MemberStatus;

/// Members of the program, outside the protected levels, with released points whose lots
/// have expired by `now`.
pub fn members_with_expired_lots(
    conn: &mut DbConnection,
    program_id: i64,
    protected: &[String],
    base_protected: bool,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let mut query = lots::table
        .inner_join(members::table)
        .filter(members::program_id.eq(program_id))
        .filter(lots::remaining.gt(0))
        .filter(lots::pending.eq(false))
        .filter(lots::expires_at.le(now))
        .select(lots::member_id)
        .distinct()
        .order(lots::member_id)
        .limit(limit)
        .into_boxed();
    if !protected.is_empty() {
        query = query.filter(
            members::tier
                .is_null()
                .or(members::tier.ne_all(protected.to_vec())),
        );
    }
    if base_protected {
        query = query.filter(members::tier.is_not_null());
    }
    query.load(conn)
}

/// A member's released lots, still holding points, that have expired by `now`.
pub fn expired_lots(
    conn: &mut DbConnection,
    member_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<(i64, i64)>> {
    lots::table
        .filter(lots::member_id.eq(member_id))
        .filter(lots::remaining.gt(0))
        .filter(lots::pending.eq(false))
        .filter(lots::expires_at.le(now))
        .order(lots::id)
        .select((lots::id, lots::remaining))
        .load(conn)
}

/// Members of the program, outside the protected levels, holding released points, with no
/// purchase or redemption since `cutoff`.
pub fn inactive_members(
    conn: &mut DbConnection,
    program_id: i64,
    protected: &[String],
    base_protected: bool,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    let mut query = members::table
        .filter(members::program_id.eq(program_id))
        .filter(members::points_available.gt(0))
        .filter(
            members::last_activity_at
                .le(cutoff)
                .or(members::last_activity_at
                    .is_null()
                    .and(members::enrolled_at.le(cutoff))),
        )
        .order(members::id)
        .limit(limit)
        .select(members::id)
        .into_boxed();
    if !protected.is_empty() {
        query = query.filter(
            members::tier
                .is_null()
                .or(members::tier.ne_all(protected.to_vec())),
        );
    }
    if base_protected {
        query = query.filter(members::tier.is_not_null());
    }
    query.load(conn)
}

/// Moves the expiry of a member's lots that would expire before `not_before` to it.
pub fn postpone_expiry(
    conn: &mut DbConnection,
    member_id: i64,
    not_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        lots::table
            .filter(lots::member_id.eq(member_id))
            .filter(lots::remaining.gt(0))
            .filter(lots::expires_at.lt(not_before)),
    )
    .set(lots::expires_at.eq(not_before))
    .execute(conn)
}

/// A member whose birthday reward may be due: id, birthday, level.
pub type BirthdayMember = (i64, Option<chrono::NaiveDate>, Option<String>);

/// Active members of the program whose birthday (month * 100 + day) is one of `days`, who
/// were enrolled before `enrolled_before` and have no grant for `year`: `(id, birthday, tier)`.
pub fn birthdays_due(
    conn: &mut DbConnection,
    program_id: i64,
    days: &[i32],
    year: i32,
    enrolled_before: NaiveDateTime,
) -> QueryResult<Vec<BirthdayMember>> {
    members::table
        .filter(members::program_id.eq(program_id))
        .filter(members::status.eq(MemberStatus::Active.as_str()))
        .filter(members::birthday_md.eq_any(days))
        .filter(members::enrolled_at.lt(enrolled_before))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            birthday_grants::table
                .filter(birthday_grants::member_id.eq(members::id))
                .filter(birthday_grants::year.eq(year)),
        )))
        .order(members::id)
        .select((members::id, members::birthday, members::tier))
        .load(conn)
}

/// Records a birthday grant; `None` if the member already has one for the year.
pub fn grant_birthday(
    conn: &mut DbConnection,
    member_id: i64,
    year: i32,
    reward: &str,
    valid_until: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        birthday_grants::table
            .filter(birthday_grants::member_id.eq(member_id))
            .filter(birthday_grants::year.eq(year)),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(None);
    }
    diesel::insert_into(birthday_grants::table)
        .values((
            birthday_grants::member_id.eq(member_id),
            birthday_grants::year.eq(year),
            birthday_grants::reward.eq(reward),
            birthday_grants::valid_until.eq(valid_until),
            birthday_grants::created_at.eq(now),
        ))
        .returning(birthday_grants::id)
        .get_result(conn)
        .map(Some)
}

/// Links a birthday grant to the voucher issued for it.
pub fn link_birthday_voucher(
    conn: &mut DbConnection,
    grant_id: i64,
    redemption_id: i64,
) -> QueryResult<()> {
    diesel::update(birthday_grants::table.find(grant_id))
        .set(birthday_grants::redemption_id.eq(redemption_id))
        .execute(conn)
        .map(drop)
}
