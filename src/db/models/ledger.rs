//! Ledger entries (append-only), lots and the links between them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Nullable, Timestamp};

use super::members::{Balances, MemberRow};
use crate::db::DbConnection;
use crate::db::batch::{Bind, Kept, Raw, Sql};
use crate::db::schema::{debts, events, ledger_entries, lot_links, lots, members, rules};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = ledger_entries)]
pub struct EntryRow {
    pub id: i64,
    pub program_id: i64,
    pub member_id: i64,
    pub kind: String,
    pub points: i64,
    pub balance_after: i64,
    pub reason: Option<String>,
    pub order_id: Option<String>,
    pub reverses_entry_id: Option<i64>,
    pub api_key_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub event_id: Option<i64>,
    pub rule_id: Option<i64>,
    pub rule_version: Option<i32>,
    pub redemption_id: Option<i64>,
}

/// A new entry. `None` is written as NULL (not as the column's default), so that the insert's
/// SQL is the same whichever values are missing, and several entries go in one statement.
#[derive(Insertable)]
#[diesel(table_name = ledger_entries, treat_none_as_default_value = false)]
pub struct NewEntry<'a> {
    pub program_id: i64,
    pub member_id: i64,
    pub kind: &'a str,
    pub points: i64,
    pub balance_after: i64,
    pub reason: Option<&'a str>,
    pub order_id: Option<&'a str>,
    pub reverses_entry_id: Option<i64>,
    pub api_key_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub event_id: Option<i64>,
    pub rule_id: Option<i64>,
    pub rule_version: Option<i32>,
    pub redemption_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lots)]
pub struct LotRow {
    pub id: i64,
    pub member_id: i64,
    pub entry_id: i64,
    pub points: i64,
    pub remaining: i64,
    pub available_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub pending: bool,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = lots, treat_none_as_default_value = false)]
pub struct NewLot {
    pub member_id: i64,
    pub entry_id: i64,
    pub points: i64,
    pub remaining: i64,
    pub available_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub pending: bool,
    pub created_at: NaiveDateTime,
}

pub fn insert_entry(conn: &mut DbConnection, new: &NewEntry<'_>) -> QueryResult<EntryRow> {
    diesel::insert_into(ledger_entries::table)
        .values(new)
        .returning(ledger_entries::all_columns)
        .get_result(conn)
}

/// A credit's lot, before its entry has an id.
pub struct CreditLot {
    pub points: i64,
    pub available_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub pending: bool,
}

/// Writes credits to a member: `entries`, `lots` (one per entry, in the same order) and the
/// member's new `balances`; returns the member's row after. On PostgreSQL this is one
/// statement, each lot finding its entry by its balance after (which rises from one credit to
/// the next); on SQLite, two per credit and the member's update.
pub fn insert_credits(
    conn: &mut DbConnection,
    entries: &[NewEntry<'_>],
    lots: &[CreditLot],
    member_id: i64,
    balances: &Balances,
) -> QueryResult<MemberRow> {
    debug_assert_eq!(entries.len(), lots.len());
    let update = Kept(
        diesel::update(members::table.find(member_id))
            .set(balances)
            .returning(members::all_columns),
    );
    match conn {
        DbConnection::Postgresql(pg) => Kept(Credits {
            entries: Box::new(
                diesel::insert_into(ledger_entries::table)
                    .values(entries)
                    .returning((ledger_entries::id, ledger_entries::balance_after)),
            ),
            lots: entries
                .iter()
                .map(|entry| (entry.balance_after, entry.member_id, entry.created_at))
                .zip(lots)
                .collect(),
            update: Box::new(update),
        })
        .get_result(pg),
        DbConnection::Sqlite(sqlite) => {
            // A statement per row, each prepared once per connection: SQLite would prepare a
            // multi-row insert anew every time, which costs more than a few kept ones.
            for (entry, lot) in entries.iter().zip(lots) {
                let entry_id = diesel::insert_into(ledger_entries::table)
                    .values(entry)
                    .returning(ledger_entries::id)
                    .get_result(sqlite)?;
                diesel::insert_into(lots::table)
                    .values(NewLot {
                        member_id: entry.member_id,
                        entry_id,
                        points: lot.points,
                        remaining: lot.points,
                        available_at: lot.available_at,
                        expires_at: lot.expires_at,
                        pending: lot.pending,
                        created_at: entry.created_at,
                    })
                    .execute(sqlite)?;
            }
            update.get_result(sqlite)
        }
    }
}

/// [`insert_credits`] on PostgreSQL: `WITH entries AS (INSERT … RETURNING id, balance_after),
/// new_lots AS (INSERT INTO lots SELECT … FROM entries JOIN (VALUES …)), updated AS (UPDATE
/// members … RETURNING *) SELECT … FROM updated AS members`.
struct Credits<'a> {
    entries: Box<dyn QueryFragment<Pg> + 'a>,
    /// Each lot with its entry's balance after, member and time.
    lots: Vec<((i64, i64, NaiveDateTime), &'a CreditLot)>,
    update: Box<dyn QueryFragment<Pg> + 'a>,
}

impl QueryFragment<Pg> for Credits<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        out.push_sql("WITH entries AS (");
        self.entries.walk_ast(out.reborrow())?;
        out.push_sql(
            "), new_lots AS (INSERT INTO lots (member_id, entry_id, points, remaining, \
             available_at, expires_at, pending, created_at) SELECT v.member_id, entries.id, \
             v.points, v.points, v.available_at, v.expires_at, v.pending, v.created_at \
             FROM entries JOIN (VALUES ",
        );
        for (i, ((after, member_id, created_at), lot)) in self.lots.iter().enumerate() {
            out.push_sql(if i == 0 { "(" } else { ", (" });
            out.push_bind_param::<BigInt, _>(after)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, _>(member_id)?;
            out.push_sql(", ");
            out.push_bind_param::<BigInt, _>(&lot.points)?;
            out.push_sql(", ");
            out.push_bind_param::<Timestamp, _>(&lot.available_at)?;
            out.push_sql(", ");
            out.push_bind_param::<Nullable<Timestamp>, _>(&lot.expires_at)?;
            out.push_sql(", ");
            out.push_bind_param::<Bool, _>(&lot.pending)?;
            out.push_sql(", ");
            out.push_bind_param::<Timestamp, _>(created_at)?;
            out.push_sql(")");
        }
        out.push_sql(
            ") AS v (balance_after, member_id, points, available_at, expires_at, pending, \
             created_at) ON v.balance_after = entries.balance_after), updated AS (",
        );
        self.update.walk_ast(out.reborrow())?;
        out.push_sql(") SELECT ");
        members::all_columns.walk_ast(out.reborrow())?;
        out.push_sql(" FROM updated AS members");
        Ok(())
    }
}

impl QueryId for Credits<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Credits<'_> {
    type SqlType = members::SqlType;
}

impl<Conn> RunQueryDsl<Conn> for Credits<'_> {}

/// A lot's insert, for a batch.
pub fn lot_insert(new: NewLot) -> impl QueryFragment<Sql> {
    diesel::insert_into(lots::table).values(new)
}

/// Records that `entry_id` took points from lots (negative) or gave some back (positive),
/// `(lot, points)` in the order it moved them, and moves the lots' remaining points
/// accordingly: the links in one insert (their ids in that order), then each lot's update. For
/// a batch, which may move each lot once, or to run at once ([`link`]).
pub fn link_writes(entry_id: i64, moves: &[(i64, i64)], at: NaiveDateTime) -> Vec<Raw> {
    if moves.is_empty() {
        return Vec::new();
    }
    let rows = vec!["(?, ?, ?, ?)"; moves.len()].join(", ");
    let binds = moves
        .iter()
        .flat_map(|&(lot_id, points)| {
            [
                Bind::BigInt(entry_id),
                Bind::BigInt(lot_id),
                Bind::BigInt(points),
                Bind::At(at),
            ]
        })
        .collect();
    let insert = Raw::new(
        format!("INSERT INTO lot_links (entry_id, lot_id, points, created_at) VALUES {rows}"),
        binds,
    );
    let updates = moves.iter().map(|&(lot_id, points)| {
        Raw::new(
            "UPDATE lots SET remaining = remaining + ? WHERE id = ?",
            vec![Bind::BigInt(points), Bind::BigInt(lot_id)],
        )
    });
    std::iter::once(insert).chain(updates).collect()
}

/// [`link_writes`] of one lot, run at once.
pub fn link(
    conn: &mut DbConnection,
    entry_id: i64,
    lot_id: i64,
    points: i64,
    at: NaiveDateTime,
) -> QueryResult<()> {
    for write in link_writes(entry_id, &[(lot_id, points)], at) {
        write.execute(conn)?;
    }
    Ok(())
}

/// A member's released lots that still hold points, in the order debits spend them: those
/// that expire first, then those that never expire, oldest first.
pub fn spendable_lots(conn: &mut DbConnection, member_id: i64) -> QueryResult<Vec<LotRow>> {
    lots::table
        .filter(lots::member_id.eq(member_id))
        .filter(lots::pending.eq(false))
        .filter(lots::remaining.gt(0))
        .order((lots::expires_at.is_null(), lots::expires_at, lots::id))
        .select(LotRow::as_select())
        .load(conn)
}

/// Every lot of a member that still holds points, pending or not, oldest first.
pub fn open_lots(conn: &mut DbConnection, member_id: i64) -> QueryResult<Vec<LotRow>> {
    lots::table
        .filter(lots::member_id.eq(member_id))
        .filter(lots::remaining.gt(0))
        .order(lots::id)
        .select(LotRow::as_select())
        .load(conn)
}

/// What an entry took from or gave to each lot: `(lot id, points)`, summed per lot.
pub fn links_of_entry(conn: &mut DbConnection, entry_id: i64) -> QueryResult<Vec<(i64, i64)>> {
    let links: Vec<(i64, i64)> = lot_links::table
        .filter(lot_links::entry_id.eq(entry_id))
        .order(lot_links::lot_id)
        .select((lot_links::lot_id, lot_links::points))
        .load(conn)?;
    let mut summed: Vec<(i64, i64)> = Vec::new();
    for (lot, points) in links {
        match summed.last_mut() {
            Some((last, total)) if *last == lot => *total += points,
            _ => summed.push((lot, points)),
        }
    }
    Ok(summed)
}

/// Lots of a member among `ids`, in the order given, that still hold points.
pub fn lots_by_id(
    conn: &mut DbConnection,
    member_id: i64,
    ids: &[i64],
) -> QueryResult<Vec<LotRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: Vec<LotRow> = lots::table
        .filter(lots::member_id.eq(member_id))
        .filter(lots::id.eq_any(ids))
        .filter(lots::remaining.gt(0))
        .select(LotRow::as_select())
        .load(conn)?;
    found.sort_by_key(|lot| ids.iter().position(|id| *id == lot.id));
    Ok(found)
}

/// The member's lots earned by an event, oldest first, and the entries that earned them.
pub fn lots_of_event(
    conn: &mut DbConnection,
    member_id: i64,
    event_id: i64,
) -> QueryResult<Vec<(i64, i64)>> {
    lots::table
        .inner_join(ledger_entries::table.on(ledger_entries::id.eq(lots::entry_id)))
        .filter(ledger_entries::event_id.eq(event_id))
        .filter(ledger_entries::member_id.eq(member_id))
        .order(lots::id)
        .select((lots::id, lots::entry_id))
        .load(conn)
}

/// Members with pending lots due by `now`, up to `limit`.
pub fn members_with_due_lots(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    lots::table
        .filter(lots::pending.eq(true))
        .filter(lots::available_at.le(now))
        .select(lots::member_id)
        .distinct()
        .order(lots::member_id)
        .limit(limit)
        .load(conn)
}

/// Marks a member's pending lots due by `now` as released; returns the points they hold.
/// A lot already released (by a concurrent run) is not counted again.
pub fn release_due_lots(
    conn: &mut DbConnection,
    member_id: i64,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let due: Vec<(i64, i64)> = lots::table
        .filter(lots::member_id.eq(member_id))
        .filter(lots::pending.eq(true))
        .filter(lots::available_at.le(now))
        .select((lots::id, lots::remaining))
        .load(conn)?;
    let mut released = 0;
    for (id, remaining) in due {
        let changed = diesel::update(lots::table.find(id).filter(lots::pending.eq(true)))
            .set(lots::pending.eq(false))
            .execute(conn)?;
        if changed == 1 {
            released += remaining;
        }
    }
    Ok(released)
}

/// An entry with the storefront's id of its event and the slug of its rule.
pub type EntryWithCause = (EntryRow, Option<String>, Option<String>);

/// A member's entries, newest first, before the id `before`, with the storefront's id of the
/// event and the slug of the rule behind each.
pub fn entries_page(
    conn: &mut DbConnection,
    member_id: i64,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<EntryWithCause>> {
    ledger_entries::table
        .left_join(events::table)
        .left_join(rules::table)
        .filter(ledger_entries::member_id.eq(member_id))
        .filter(ledger_entries::id.lt(before.unwrap_or(i64::MAX)))
        .order(ledger_entries::id.desc())
        .limit(limit)
        .select((
            EntryRow::as_select(),
            events::external_id.nullable(),
            rules::slug.nullable(),
        ))
        .load(conn)
}

/// Records that the debit `entry_id` could not take `points` from any lot.
pub fn insert_debt(
    conn: &mut DbConnection,
    entry_id: i64,
    member_id: i64,
    points: i64,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(debts::table)
        .values((
            debts::entry_id.eq(entry_id),
            debts::member_id.eq(member_id),
            debts::points.eq(points),
            debts::remaining.eq(points),
            debts::created_at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// A member's debts still owed, oldest first: `(entry_id, remaining)`.
pub fn open_debts(conn: &mut DbConnection, member_id: i64) -> QueryResult<Vec<(i64, i64)>> {
    debts::table
        .filter(debts::member_id.eq(member_id))
        .filter(debts::remaining.gt(0))
        .order(debts::entry_id)
        .select((debts::entry_id, debts::remaining))
        .load(conn)
}

/// Lowers what the debt of `entry_id` still lacks.
pub fn reduce_debt(conn: &mut DbConnection, entry_id: i64, points: i64) -> QueryResult<()> {
    diesel::update(debts::table.find(entry_id))
        .set(debts::remaining.eq(debts::remaining - points))
        .execute(conn)
        .map(drop)
}
