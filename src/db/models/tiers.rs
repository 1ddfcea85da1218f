//! Tier state of members: qualifying activity, standings and their history.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};
use crate::db::schema::{members, tier_changes};

/// The first instant of the (UTC) calendar month of `at`: the month its activity is totalled in.
pub fn month_of(at: NaiveDateTime) -> NaiveDateTime {
    at.date()
        .with_day(1)
        .unwrap_or(at.date())
        .and_time(NaiveTime::MIN)
}

/// Records activity of a member, `(when, amount)`, with the event that caused it: one row per
/// activity, and the totals of their months (one write per month, as the writes may go in one
/// batch).
pub fn add_activity(
    member_id: i64,
    activity: &[(NaiveDateTime, i64)],
    event_id: Option<i64>,
) -> Vec<Raw> {
    if activity.is_empty() {
        return Vec::new();
    }
    let mut binds = Vec::new();
    for (at, amount) in activity {
        binds.extend([
            Bind::BigInt(member_id),
            Bind::At(*at),
            Bind::At(month_of(*at)),
            Bind::BigInt(*amount),
            Bind::MaybeBigInt(event_id),
        ]);
    }
    let rows = vec!["(?, ?, ?, ?, ?)"; activity.len()].join(", ");
    let mut writes = vec![Raw::new(
        format!(
            "INSERT INTO qualifying_activity (member_id, occurred_at, month, amount, event_id) \
             VALUES {rows}"
        ),
        binds,
    )];
    let mut months: BTreeMap<NaiveDateTime, i64> = BTreeMap::new();
    for (at, amount) in activity {
        *months.entry(month_of(*at)).or_default() += amount;
    }
    writes.extend(months.into_iter().map(|(month, amount)| {
        Raw::new(
            "INSERT INTO qualifying_months (member_id, month, amount) VALUES (?, ?, ?) \
             ON CONFLICT (member_id, month) DO UPDATE \
             SET amount = qualifying_months.amount + excluded.amount",
            vec![
                Bind::BigInt(member_id),
                Bind::At(month),
                Bind::BigInt(amount),
            ],
        )
    }));
    writes
}

/// Sums of a member's qualifying activity.
#[derive(Debug, Default, PartialEq, Eq, QueryableByName)]
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

/// The spans of a tier that are the same for every member at one instant: the window, the
/// last calendar year (when the ladder looks at it), and whether the ladder looks at the
/// activity since a level was reached.
#[derive(Debug, Clone, Copy)]
pub struct Calendar {
    pub window_from: NaiveDateTime,
    pub last_year: Option<(NaiveDateTime, NaiveDateTime)>,
    pub since_qualified: bool,
}

/// The instants that bound the spans [`sums`] adds up; a span the ladder does not look at is
/// `None` and sums to 0.
pub struct Spans {
    pub window_from: NaiveDateTime,
    pub qualified_at: Option<NaiveDateTime>,
    /// From, until (before).
    pub last_year: Option<(NaiveDateTime, NaiveDateTime)>,
    pub after: Option<NaiveDateTime>,
}

/// A value in the SQL of a sum: bound, or an expression of the row being read (the member view
/// reads the member and its sums in one statement).
#[derive(Clone, Copy)]
pub enum Term<'a> {
    Id(i64),
    At(NaiveDateTime),
    Column(&'a str),
}

impl Term<'_> {
    fn put(self, binds: &mut Vec<Bind>) -> String {
        match self {
            Term::Id(id) => binds.push(Bind::BigInt(id)),
            Term::At(at) => binds.push(Bind::At(at)),
            Term::Column(sql) => return sql.to_owned(),
        }
        "?".to_owned()
    }
}

/// SQL (with `?` for the values it appends to `binds`) for `member`'s activity from `from`
/// (inclusive, or after it when `after`): the totals of the months that start after `from`,
/// plus the single activities of `from`'s own month (the latest month with activity up to
/// `from`). A sum reads at most one month of single activities, however long the member's
/// history.
fn activity_from(member: Term<'_>, from: Term<'_>, after: bool, binds: &mut Vec<Bind>) -> String {
    let op = if after { ">" } else { ">=" };
    let whole = format!(
        "(SELECT COALESCE(SUM(amount), 0) FROM qualifying_months \
         WHERE member_id = {} AND month > {})",
        member.put(binds),
        from.put(binds)
    );
    let first = format!(
        "(SELECT COALESCE(SUM(amount), 0) FROM qualifying_activity WHERE member_id = {} \
         AND month = (SELECT MAX(month) FROM qualifying_months WHERE member_id = {} AND month <= {}) \
         AND occurred_at {op} {})",
        member.put(binds),
        member.put(binds),
        from.put(binds),
        from.put(binds)
    );
    format!("{whole} + {first}")
}

/// SQL for the four [`Sums`] of `member` (in order: in the window, since qualifying, last
/// year, after the instant measured), each cast to BIGINT; a span that is `None` is 0.
pub fn sums_sql(
    member: Term<'_>,
    window_from: Term<'_>,
    qualified_at: Option<Term<'_>>,
    last_year: Option<(Term<'_>, Term<'_>)>,
    after: Option<Term<'_>>,
    binds: &mut Vec<Bind>,
) -> [String; 4] {
    let cast = |sql: Option<String>| format!("CAST({} AS BIGINT)", sql.as_deref().unwrap_or("0"));
    let in_window = cast(Some(activity_from(member, window_from, false, binds)));
    let since = cast(qualified_at.map(|at| activity_from(member, at, true, binds)));
    let last_year = cast(last_year.map(|(from, until)| {
        let from = activity_from(member, from, false, binds);
        let until = activity_from(member, until, false, binds);
        format!("({from}) - ({until})")
    }));
    let after = cast(after.map(|at| activity_from(member, at, true, binds)));
    [in_window, since, last_year, after]
}

/// SQL for the four [`Sums`] of a member over `spans`.
pub fn spans_sql(member_id: i64, spans: &Spans, binds: &mut Vec<Bind>) -> [String; 4] {
    sums_sql(
        Term::Id(member_id),
        Term::At(spans.window_from),
        spans.qualified_at.map(Term::At),
        spans
            .last_year
            .map(|(from, until)| (Term::At(from), Term::At(until))),
        spans.after.map(Term::At),
        binds,
    )
}

/// Sums the member's activity over the spans the tier decisions use, in one statement.
pub fn sums(conn: &mut DbConnection, member_id: i64, spans: &Spans) -> QueryResult<Sums> {
    let mut binds = Vec::new();
    let [in_window, since, last_year, after] = spans_sql(member_id, spans, &mut binds);
    Raw::new(
        format!(
            "SELECT {in_window} AS in_window, {since} AS since_qualified, \
             {last_year} AS last_year, {after} AS after"
        ),
        binds,
    )
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
