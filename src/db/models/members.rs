//! Members and their stored balances.

use std::sync::LazyLock;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::debug_query;
use diesel::dsl::case_when;
use diesel::dsl::{AsSelect, SqlTypeOf};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel::sqlite::Sqlite;

use super::api_keys::KeyState;
use super::tiers::{Calendar, Sums, Term, sums_sql};
use crate::db::batch::{Bind, Raw};
use crate::db::schema::{api_keys, members, programs};
use crate::db::{DbConnection, lower};
use crate::domain::MemberStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = members)]
pub struct MemberRow {
    pub id: i64,
    pub program_id: i64,
    pub external_id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub referral_code: String,
    pub referred_by: Option<i64>,
    #[diesel(deserialize_as = String)]
    pub status: MemberStatus,
    pub points_available: i64,
    pub points_pending: i64,
    pub points_debt: i64,
    pub lifetime_earned: i64,
    pub lifetime_redeemed: i64,
    pub enrolled_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    pub tier: Option<String>,
    pub tier_since: Option<NaiveDateTime>,
    pub tier_held_until: Option<NaiveDateTime>,
    pub tier_qualified_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
    pub birthday_md: Option<i32>,
    pub last_event_at: Option<NaiveDateTime>,
    /// The rung of the engagement ladder, kept by the database's triggers.
    pub engagement: String,
}

impl MemberRow {
    /// The balance people see: released points minus any debt, plus pending points.
    pub fn balance_total(&self) -> i64 {
        self.points_available - self.points_debt + self.points_pending
    }
}

#[derive(Insertable)]
#[diesel(table_name = members)]
pub struct NewMember<'a> {
    pub program_id: i64,
    pub external_id: &'a str,
    pub email: Option<&'a str>,
    pub name: Option<&'a str>,
    pub birthday: Option<NaiveDate>,
    pub referral_code: &'a str,
    pub referred_by: Option<i64>,
    pub status: &'a str,
    pub enrolled_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub birthday_md: Option<i32>,
}

/// Profile changes; `Some(None)` clears a column.
#[derive(AsChangeset, Default)]
#[diesel(table_name = members)]
pub struct ProfileChanges<'a> {
    pub email: Option<Option<&'a str>>,
    pub name: Option<Option<&'a str>>,
    pub birthday: Option<Option<NaiveDate>>,
    pub birthday_md: Option<Option<i32>>,
    pub referred_by: Option<Option<i64>>,
    pub status: Option<&'a str>,
    pub closed_at: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
}

/// New stored balances of a member, written together (with, when given, the times of its
/// last event and last activity, so that an event updates the member's row once).
#[derive(AsChangeset)]
#[diesel(table_name = members)]
pub struct Balances {
    pub points_available: i64,
    pub points_pending: i64,
    pub points_debt: i64,
    pub lifetime_earned: i64,
    pub lifetime_redeemed: i64,
    pub updated_at: NaiveDateTime,
    pub last_event_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
}

/// The times of a member's last event and last activity (a purchase or a redemption), to move
/// forward; `None` leaves a column as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = members)]
pub struct Seen {
    pub last_event_at: Option<NaiveDateTime>,
    pub last_activity_at: Option<NaiveDateTime>,
}

impl Seen {
    /// What an event at `at` moves forward on `member` (a purchase is activity too).
    pub fn of(member: &MemberRow, at: NaiveDateTime, activity: bool) -> Seen {
        let later = |last: Option<NaiveDateTime>| last.is_none_or(|l| l < at).then_some(at);
        Seen {
            last_event_at: later(member.last_event_at),
            last_activity_at: if activity {
                later(member.last_activity_at)
            } else {
                None
            },
        }
    }
}

/// Moves a member's last event and activity forward (nothing to write: no statement).
pub fn set_seen(conn: &mut DbConnection, id: i64, seen: &Seen) -> QueryResult<()> {
    if *seen == Seen::default() {
        return Ok(());
    }
    diesel::update(members::table.find(id))
        .set(seen)
        .execute(conn)
        .map(drop)
}

pub fn insert(conn: &mut DbConnection, new: &NewMember<'_>) -> QueryResult<MemberRow> {
    diesel::insert_into(members::table)
        .values(new)
        .returning(members::all_columns)
        .get_result(conn)
}

pub fn find_by_external_id(
    conn: &mut DbConnection,
    program_id: i64,
    external_id: &str,
) -> QueryResult<Option<MemberRow>> {
    members::table
        .filter(members::program_id.eq(program_id))
        .filter(members::external_id.eq(external_id))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

/// A BIGINT 0 on both backends (a bare `0` is an INTEGER on PostgreSQL).
const ZERO: &str = "CAST(0 AS BIGINT)";

/// A member as its view shows it: with its referrer's external id and its tier sums.
pub struct MemberForView {
    pub member: MemberRow,
    pub referrer: Option<String>,
    pub sums: Sums,
    /// The member's program's configuration version, read with it.
    pub config_version: i64,
    /// The scopes (`None` once revoked) and limit of the key the read was made for, when one
    /// was named.
    pub key: Option<(Option<String>, Option<i32>)>,
}

/// Which member to read: by the storefront's id for it, or by ours (a member token's).
#[derive(Debug, Clone, Copy)]
pub enum MemberRef<'a> {
    External(&'a str),
    Id(i64),
}

/// Reads a member of the program with its referrer's external id and its program's
/// configuration version; when `calendar` is given (the program has tiers), its qualifying
/// activity in the tier window, since it qualified and in the last calendar year; and when
/// `key` is given, that key's scopes and limit: one statement, which reads at most a month of
/// single activities per sum.
///
/// Written by hand, its rows read by position: built with the query builder, its select list
/// of 30 columns beside hand-written sums was written out again on every read to find the
/// prepared statement, about a quarter of the service's CPU per balance read.
pub fn find_for_view(
    conn: &mut DbConnection,
    program_id: i64,
    member: MemberRef<'_>,
    calendar: Option<&Calendar>,
    key: Option<i64>,
) -> QueryResult<Option<MemberForView>> {
    let mut binds = Vec::new();
    let sums = match calendar {
        Some(calendar) => sums_sql(
            Term::Column("members.id"),
            Term::At(calendar.window_from),
            calendar.since_qualified.then_some(Term::Column(
                "COALESCE(members.tier_qualified_at, members.enrolled_at)",
            )),
            calendar
                .last_year
                .map(|(from, until)| (Term::At(from), Term::At(until))),
            None,
            &mut binds,
        ),
        None => std::array::from_fn(|_| ZERO.to_owned()),
    };
    let [in_window, since_qualified, last_year, _] = sums;
    let [scopes, rate_limit] = match key {
        Some(id) => {
            binds.extend([Bind::BigInt(id), Bind::BigInt(id)]);
            KEY_COLUMNS
        }
        None => ["NULL", "NULL"],
    };
    binds.push(Bind::BigInt(program_id));
    let which = match member {
        MemberRef::External(external_id) => {
            binds.push(Bind::Text(external_id.to_owned()));
            "members.external_id = ?"
        }
        MemberRef::Id(id) => {
            binds.push(Bind::BigInt(id));
            "members.id = ?"
        }
    };
    let sql = |columns: &str| {
        format!(
            "SELECT {columns}, referrers.external_id, {in_window}, {since_qualified}, \
             {last_year}, {CONFIG_VERSION}, {scopes}, {rate_limit} \
             FROM members LEFT JOIN members referrers ON referrers.id = members.referred_by \
             WHERE members.program_id = ? AND {which} LIMIT 1"
        )
    };
    // On the backend's own connection, which writes the statement's SQL once per run; diesel's
    // connection over both writes it again on each pass it makes over it.
    let [pg_columns, sqlite_columns] = &*MEMBER_COLUMNS;
    let found = match conn {
        DbConnection::Postgresql(c) => Raw::new(sql(pg_columns), binds)
            .typed::<Found<Pg>>()
            .get_result(c),
        DbConnection::Sqlite(c) => Raw::new(sql(sqlite_columns), binds)
            .typed::<Found<Sqlite>>()
            .get_result(c),
    };
    Ok(found.optional()?.map(
        |(member, referrer, in_window, since_qualified, last_year, config_version, state)| {
            MemberForView {
                member,
                referrer,
                sums: Sums {
                    in_window,
                    since_qualified,
                    last_year,
                    after: 0,
                },
                config_version,
                key: key.map(|_| state),
            }
        },
    ))
}

/// The SQL types of a row of [`find_for_view`], read by position.
type Found<DB> = (
    SqlTypeOf<AsSelect<MemberRow, DB>>,
    Nullable<Text>,
    BigInt,
    BigInt,
    BigInt,
    BigInt,
    (Nullable<Text>, Nullable<Integer>),
);

/// [`MemberRow`]'s columns as the query builder selects them, on PostgreSQL and on SQLite:
/// the hand-written read selects them in the same order and reads them by position.
static MEMBER_COLUMNS: LazyLock<[String; 2]> = LazyLock::new(|| {
    let select_list = |sql: String| {
        sql.strip_prefix("SELECT ")
            .and_then(|rest| rest.split_once(" FROM "))
            .map(|(columns, _)| columns.to_owned())
            .unwrap_or_default()
    };
    [
        select_list(
            debug_query::<Pg, _>(&members::table.select(MemberRow::as_select())).to_string(),
        ),
        select_list(
            debug_query::<Sqlite, _>(&members::table.select(MemberRow::as_select())).to_string(),
        ),
    ]
});

/// The scopes (NULL once revoked) and the limit of the key bound to each `?`.
const KEY_COLUMNS: [&str; 2] = [
    "(SELECT k.scopes FROM api_keys k WHERE k.id = ? AND k.revoked_at IS NULL)",
    "(SELECT k.rate_limit FROM api_keys k WHERE k.id = ?)",
];

/// The configuration version of the member's program.
const CONFIG_VERSION: &str =
    "(SELECT p.config_version FROM programs p WHERE p.id = members.program_id)";

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<MemberRow> {
    members::table
        .find(id)
        .select(MemberRow::as_select())
        .first(conn)
}

/// Reads a member and, on PostgreSQL, locks the row until the transaction ends, so that
/// whoever changes its balances next waits. (On SQLite the immediate transaction already holds
/// the database's write lock.) The lock is `FOR NO KEY UPDATE`: it excludes other lockers and
/// writers of the row, but not the key-share locks that inserting a row referencing the member
/// takes, so those never deadlock with it.
pub fn lock(conn: &mut DbConnection, id: i64) -> QueryResult<MemberRow> {
    match conn {
        DbConnection::Postgresql(pg) => members::table
            .find(id)
            .select(MemberRow::as_select())
            .for_no_key_update()
            .first(pg),
        DbConnection::Sqlite(sqlite) => members::table
            .find(id)
            .select(MemberRow::as_select())
            .first(sqlite),
    }
}

/// The program's member with this external id, locked as [`lock`] locks; with the state of
/// the API key `key` (its scopes unless revoked, its limit, the program's configuration
/// version), read by the same statement so that a write made with a cached key confirms it
/// without a statement of its own.
pub fn lock_by_external_id(
    conn: &mut DbConnection,
    program_id: i64,
    external_id: &str,
    key: Option<i64>,
) -> QueryResult<Option<(MemberRow, Option<KeyState>)>> {
    // A key id bound as NULL (no key) matches no row: both columns are then NULL.
    let the_key = || api_keys::table.filter(api_keys::id.nullable().eq(key));
    let columns = (
        members::all_columns,
        the_key()
            .filter(api_keys::revoked_at.is_null())
            .select(api_keys::scopes)
            .single_value(),
        the_key().select(api_keys::rate_limit).single_value(),
        programs::table
            .filter(programs::id.eq(members::program_id))
            .select(programs::config_version)
            .single_value(),
    );
    let query = members::table
        .filter(members::program_id.eq(program_id))
        .filter(members::external_id.eq(external_id))
        .select(columns);
    type Found = (MemberRow, Option<String>, Option<i32>, Option<i64>);
    let found: Option<Found> = match conn {
        DbConnection::Postgresql(pg) => query.for_no_key_update().first(pg).optional()?,
        DbConnection::Sqlite(sqlite) => query.first(sqlite).optional()?,
    };
    Ok(found.map(|(member, scopes, rate_limit, config_version)| {
        let state = key.map(|_| KeyState {
            scopes,
            rate_limit,
            config_version: config_version.unwrap_or_default(),
        });
        (member, state)
    }))
}

pub fn find_by_referral_code(
    conn: &mut DbConnection,
    program_id: i64,
    code: &str,
) -> QueryResult<Option<MemberRow>> {
    members::table
        .filter(members::program_id.eq(program_id))
        .filter(members::referral_code.eq(code))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()
}

pub fn referral_code_taken(
    conn: &mut DbConnection,
    program_id: i64,
    code: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        members::table
            .filter(members::program_id.eq(program_id))
            .filter(members::referral_code.eq(code)),
    ))
    .get_result(conn)
}

pub fn external_id_of(conn: &mut DbConnection, id: i64) -> QueryResult<String> {
    members::table
        .find(id)
        .select(members::external_id)
        .first(conn)
}

pub fn update_profile(
    conn: &mut DbConnection,
    id: i64,
    changes: &ProfileChanges<'_>,
) -> QueryResult<MemberRow> {
    diesel::update(members::table.find(id))
        .set(changes)
        .returning(members::all_columns)
        .get_result(conn)
}

pub fn set_balances(
    conn: &mut DbConnection,
    id: i64,
    balances: &Balances,
) -> QueryResult<MemberRow> {
    diesel::update(members::table.find(id))
        .set(balances)
        .returning(members::all_columns)
        .get_result(conn)
}

/// Takes `points` from a member's released points, only if they cover it: the debit is one
/// conditional write, so no two concurrent debits can both see the same points. `None` when
/// the member is closed or has too few points. A redemption is also activity (`activity`,
/// the member's last activity moves forward to it; inactivity expiry counts from the latest).
pub fn debit_available(
    conn: &mut DbConnection,
    id: i64,
    points: i64,
    deltas: (i64, i64),
    activity: Option<NaiveDateTime>,
    at: NaiveDateTime,
) -> QueryResult<Option<MemberRow>> {
    let (earned_delta, redeemed_delta) = deltas;
    // With no activity the bound NULL compares as unknown, and the column stays as it is.
    let last_activity = case_when(
        members::last_activity_at
            .is_null()
            .or(members::last_activity_at.lt(activity)),
        activity,
    )
    .otherwise(members::last_activity_at);
    diesel::update(
        members::table
            .find(id)
            .filter(members::points_available.ge(points))
            .filter(members::status.ne(MemberStatus::Closed.as_str())),
    )
    .set((
        members::points_available.eq(members::points_available - points),
        members::lifetime_earned.eq(members::lifetime_earned + earned_delta),
        members::lifetime_redeemed.eq(members::lifetime_redeemed + redeemed_delta),
        members::updated_at.eq(at),
        members::last_activity_at.eq(last_activity),
    ))
    .returning(members::all_columns)
    .get_result(conn)
    .optional()
}

/// Filters of the admin's member list.
pub struct MemberFilter<'a> {
    /// Matches the start of the external id or email, or any part of the name (any case).
    pub query: Option<&'a str>,
    pub status: Option<MemberStatus>,
}

/// A page of a program's members, in enrolment order, after the id `after`.
pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    filter: &MemberFilter<'_>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<MemberRow>> {
    let mut query = members::table
        .filter(members::program_id.eq(program_id))
        .filter(members::id.gt(after.unwrap_or(0)))
        .order(members::id)
        .limit(limit)
        .select(MemberRow::as_select())
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(members::status.eq(status.as_str()));
    }
    if let Some(text) = filter.query {
        let escaped = escape_like(&text.to_lowercase());
        query = query.filter(
            lower(members::external_id)
                .like(format!("{escaped}%"))
                .escape('\\')
                .or(members::email.like(format!("{escaped}%")).escape('\\'))
                .or(lower(members::name.assume_not_null())
                    .like(format!("%{escaped}%"))
                    .escape('\\')),
        );
    }
    query.load(conn)
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}
