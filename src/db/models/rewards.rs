//! The rewards catalogue and the vouchers members redeem.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{redemptions, rewards};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rewards)]
pub struct RewardRow {
    pub id: i64,
    pub program_id: i64,
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub cost: i64,
    pub kind: String,
    pub amount_minor: Option<i64>,
    pub percent: Option<i32>,
    pub min_tier: Option<String>,
    pub stock: Option<i64>,
    pub per_member_limit: Option<i32>,
    pub limit_period: Option<String>,
    pub active_from: Option<NaiveDateTime>,
    pub active_until: Option<NaiveDateTime>,
    pub voucher_days: Option<i32>,
    pub refund_on_expiry: bool,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns of a reward an admin sets (all of them, on create and on update).
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = rewards, treat_none_as_null = true)]
pub struct RewardColumns {
    pub name: String,
    pub description: Option<String>,
    pub cost: i64,
    pub kind: String,
    pub amount_minor: Option<i64>,
    pub percent: Option<i32>,
    pub min_tier: Option<String>,
    pub stock: Option<i64>,
    pub per_member_limit: Option<i32>,
    pub limit_period: Option<String>,
    pub active_from: Option<NaiveDateTime>,
    pub active_until: Option<NaiveDateTime>,
    pub voucher_days: Option<i32>,
    pub refund_on_expiry: bool,
    pub status: String,
    pub updated_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    program_id: i64,
    slug: &str,
    columns: &RewardColumns,
    at: NaiveDateTime,
) -> QueryResult<RewardRow> {
    diesel::insert_into(rewards::table)
        .values((
            rewards::program_id.eq(program_id),
            rewards::slug.eq(slug),
            rewards::created_at.eq(at),
            columns,
        ))
        .returning(rewards::all_columns)
        .get_result(conn)
}

pub fn update(conn: &mut DbConnection, id: i64, columns: &RewardColumns) -> QueryResult<RewardRow> {
    diesel::update(rewards::table.find(id))
        .set(columns)
        .returning(rewards::all_columns)
        .get_result(conn)
}

pub fn find(
    conn: &mut DbConnection,
    program_id: i64,
    slug: &str,
) -> QueryResult<Option<RewardRow>> {
    rewards::table
        .filter(rewards::program_id.eq(program_id))
        .filter(rewards::slug.eq(slug))
        .select(RewardRow::as_select())
        .first(conn)
        .optional()
}

pub fn by_id(conn: &mut DbConnection, id: i64) -> QueryResult<RewardRow> {
    rewards::table
        .find(id)
        .select(RewardRow::as_select())
        .first(conn)
}

/// A page of the program's rewards in creation order; only active ones if asked.
pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    only_active: bool,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<RewardRow>> {
    let mut query = rewards::table
        .filter(rewards::program_id.eq(program_id))
        .filter(rewards::id.gt(after.unwrap_or(0)))
        .order(rewards::id)
        .limit(limit)
        .select(RewardRow::as_select())
        .into_boxed();
    if only_active {
        query = query.filter(rewards::status.eq("active"));
    }
    query.load(conn)
}

/// Takes one voucher from a reward's stock, only if one is left: one conditional write, so
/// no two concurrent redemptions can take the last one. `false` when none is left.
pub fn take_from_stock(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
    let taken = diesel::update(rewards::table.find(id).filter(rewards::stock.gt(0)))
        .set(rewards::stock.eq(rewards::stock - 1))
        .execute(conn)?;
    Ok(taken == 1)
}

/// Puts one voucher back into a limited reward's stock.
pub fn return_to_stock(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::update(rewards::table.find(id).filter(rewards::stock.is_not_null()))
        .set(rewards::stock.eq(rewards::stock + 1))
        .execute(conn)
        .map(drop)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = redemptions)]
pub struct RedemptionRow {
    pub id: i64,
    pub public_id: String,
    pub code: String,
    pub program_id: i64,
    pub member_id: i64,
    pub reward_id: i64,
    pub points_spent: i64,
    pub entry_id: Option<i64>,
    pub reverse_entry_id: Option<i64>,
    pub status: String,
    pub source: String,
    pub order_id: Option<String>,
    pub api_key_id: Option<i64>,
    pub issued_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub settled_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = redemptions)]
pub struct NewRedemption<'a> {
    pub public_id: &'a str,
    pub code: &'a str,
    pub program_id: i64,
    pub member_id: i64,
    pub reward_id: i64,
    pub points_spent: i64,
    pub status: &'a str,
    pub source: &'a str,
    pub api_key_id: Option<i64>,
    pub issued_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
}

pub fn insert_redemption(
    conn: &mut DbConnection,
    new: &NewRedemption<'_>,
) -> QueryResult<RedemptionRow> {
    diesel::insert_into(redemptions::table)
        .values(new)
        .returning(redemptions::all_columns)
        .get_result(conn)
}

pub fn set_entry(conn: &mut DbConnection, id: i64, entry_id: i64) -> QueryResult<()> {
    diesel::update(redemptions::table.find(id))
        .set(redemptions::entry_id.eq(entry_id))
        .execute(conn)
        .map(drop)
}

/// Moves an issued voucher to `status`; `None` if it was no longer issued (someone else
/// settled it first), so a voucher is used, cancelled or expired once.
pub fn settle(
    conn: &mut DbConnection,
    id: i64,
    status: &str,
    order_id: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<Option<RedemptionRow>> {
    diesel::update(
        redemptions::table
            .find(id)
            .filter(redemptions::status.eq("issued")),
    )
    .set((
        redemptions::status.eq(status),
        redemptions::settled_at.eq(at),
        redemptions::order_id.eq(order_id),
    ))
    .returning(redemptions::all_columns)
    .get_result(conn)
    .optional()
}

pub fn set_reverse_entry(conn: &mut DbConnection, id: i64, entry_id: i64) -> QueryResult<()> {
    diesel::update(redemptions::table.find(id))
        .set(redemptions::reverse_entry_id.eq(entry_id))
        .execute(conn)
        .map(drop)
}

pub fn find_redemption(
    conn: &mut DbConnection,
    program_id: i64,
    public_id: &str,
) -> QueryResult<Option<RedemptionRow>> {
    redemptions::table
        .filter(redemptions::program_id.eq(program_id))
        .filter(redemptions::public_id.eq(public_id))
        .select(RedemptionRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_code(
    conn: &mut DbConnection,
    program_id: i64,
    code: &str,
) -> QueryResult<Option<RedemptionRow>> {
    redemptions::table
        .filter(redemptions::program_id.eq(program_id))
        .filter(redemptions::code.eq(code))
        .select(RedemptionRow::as_select())
        .first(conn)
        .optional()
}

/// How many vouchers of a reward a member holds that count against its limit (not
/// cancelled), issued from `since` on.
pub fn count_for_member(
    conn: &mut DbConnection,
    reward_id: i64,
    member_id: i64,
    since: Option<NaiveDateTime>,
) -> QueryResult<i64> {
    let mut query = redemptions::table
        .filter(redemptions::reward_id.eq(reward_id))
        .filter(redemptions::member_id.eq(member_id))
        .filter(redemptions::status.ne("cancelled"))
        .count()
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(redemptions::issued_at.ge(since));
    }
    query.get_result(conn)
}

/// A member's vouchers with their rewards, newest first.
pub fn for_member(
    conn: &mut DbConnection,
    member_id: i64,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(RedemptionRow, RewardRow)>> {
    redemptions::table
        .inner_join(rewards::table)
        .filter(redemptions::member_id.eq(member_id))
        .filter(redemptions::id.lt(before.unwrap_or(i64::MAX)))
        .order(redemptions::id.desc())
        .limit(limit)
        .select((RedemptionRow::as_select(), RewardRow::as_select()))
        .load(conn)
}

/// Issued vouchers past their expiry by `now`, up to `limit`: `(id, member_id)`.
pub fn expired_vouchers(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(i64, i64)>> {
    redemptions::table
        .filter(redemptions::status.eq("issued"))
        .filter(redemptions::expires_at.le(now))
        .order(redemptions::id)
        .limit(limit)
        .select((redemptions::id, redemptions::member_id))
        .load(conn)
}

pub fn redemption(conn: &mut DbConnection, id: i64) -> QueryResult<RedemptionRow> {
    redemptions::table
        .find(id)
        .select(RedemptionRow::as_select())
        .first(conn)
}
