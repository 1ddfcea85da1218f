//! Maintained totals for the analytics: hourly counters per program and shard, months each
//! member was active, and activity per enrolment cohort. Every write is one upsert, safe
//! under concurrency on both backends, into the writing connection's own shard.

use std::sync::LazyLock;

use chrono::{NaiveDateTime, Timelike};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};

/// The shard a write counts in. On PostgreSQL the writing connection's own (its backend pid):
/// concurrent transactions never wait on each other's counter rows, which they would hold
/// until they commit (a shard per member's id modulo 8 made every event wait on others' at 32
/// clients); the tick folds the rows of closed connections into shard 0 (see
/// `fold_closed_shards`). SQLite has one writer and keeps every row in shard 0.
fn shard(conn: &DbConnection) -> &'static str {
    match conn {
        DbConnection::Postgresql(_) => SHARD_OF_POSTGRES,
        DbConnection::Sqlite(_) => SHARD_OF_SQLITE,
    }
}

const SHARD_OF_POSTGRES: &str = "pg_backend_pid()";
const SHARD_OF_SQLITE: &str = "0";

/// Counter changes for one hour of one program.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    pub enrolments: i64,
    pub purchases: i64,
    pub purchase_minor: i64,
    pub refunds: i64,
    pub refund_minor: i64,
    pub reviews: i64,
    pub referrals_paid: i64,
    pub points_issued: i64,
    pub points_redeemed: i64,
    pub points_expired: i64,
    pub points_reversed: i64,
    pub vouchers_issued: i64,
    pub vouchers_used: i64,
    pub tier_upgrades: i64,
    pub tier_downgrades: i64,
}

pub const COUNTERS: [&str; 15] = [
    "enrolments",
    "purchases",
    "purchase_minor",
    "refunds",
    "refund_minor",
    "reviews",
    "referrals_paid",
    "points_issued",
    "points_redeemed",
    "points_expired",
    "points_reversed",
    "vouchers_issued",
    "vouchers_used",
    "tier_upgrades",
    "tier_downgrades",
];

impl Delta {
    fn values(&self) -> [i64; 15] {
        [
            self.enrolments,
            self.purchases,
            self.purchase_minor,
            self.refunds,
            self.refund_minor,
            self.reviews,
            self.referrals_paid,
            self.points_issued,
            self.points_redeemed,
            self.points_expired,
            self.points_reversed,
            self.vouchers_issued,
            self.vouchers_used,
            self.tier_upgrades,
            self.tier_downgrades,
        ]
    }
}

impl std::ops::AddAssign for Delta {
    fn add_assign(&mut self, other: Delta) {
        self.enrolments += other.enrolments;
        self.purchases += other.purchases;
        self.purchase_minor += other.purchase_minor;
        self.refunds += other.refunds;
        self.refund_minor += other.refund_minor;
        self.reviews += other.reviews;
        self.referrals_paid += other.referrals_paid;
        self.points_issued += other.points_issued;
        self.points_redeemed += other.points_redeemed;
        self.points_expired += other.points_expired;
        self.points_reversed += other.points_reversed;
        self.vouchers_issued += other.vouchers_issued;
        self.vouchers_used += other.vouchers_used;
        self.tier_upgrades += other.tier_upgrades;
        self.tier_downgrades += other.tier_downgrades;
    }
}

/// Adds `delta` to the program's counters for the hour of `at`, in the connection's shard;
/// `None` if it adds nothing.
pub fn upsert(
    conn: &DbConnection,
    program_id: i64,
    at: NaiveDateTime,
    delta: &Delta,
) -> Option<Raw> {
    if *delta == Delta::default() {
        return None;
    }
    let hour = at
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at);
    let mut binds = vec![Bind::BigInt(program_id), Bind::At(hour)];
    binds.extend(delta.values().iter().map(|v| Bind::BigInt(*v)));
    Some(Raw::new(upsert_sql(conn), binds))
}

/// The counters' upsert on each backend, written once: it goes with every entry and event.
fn upsert_sql(conn: &DbConnection) -> &'static str {
    static SQL: LazyLock<[String; 2]> = LazyLock::new(|| {
        let columns = COUNTERS.join(", ");
        let values = vec!["?"; COUNTERS.len()].join(", ");
        let updates: Vec<String> = COUNTERS
            .iter()
            .map(|c| format!("{c} = stats_hourly.{c} + excluded.{c}"))
            .collect();
        let updates = updates.join(", ");
        [SHARD_OF_POSTGRES, SHARD_OF_SQLITE].map(|shard| {
            format!(
                "INSERT INTO stats_hourly (program_id, hour, shard, {columns}) \
                 VALUES (?, ?, {shard}, {values}) \
                 ON CONFLICT (program_id, hour, shard) DO UPDATE SET {updates}"
            )
        })
    });
    let [postgres, sqlite] = &*SQL;
    match conn {
        DbConnection::Postgresql(_) => postgres,
        DbConnection::Sqlite(_) => sqlite,
    }
}

/// Adds `delta` to the program's counters for the hour of `at`, in the connection's shard.
pub fn add(
    conn: &mut DbConnection,
    program_id: i64,
    at: NaiveDateTime,
    delta: &Delta,
) -> QueryResult<()> {
    match upsert(conn, program_id, at, delta) {
        Some(write) => write.execute(conn).map(drop),
        None => Ok(()),
    }
}

/// Whether two instants fall in the same hour of the counters.
pub fn same_hour(a: NaiveDateTime, b: NaiveDateTime) -> bool {
    a.date() == b.date() && a.hour() == b.hour()
}

/// Counts a member's first event of a month (`month`, `cohort` in program time) as active in
/// its enrolment cohort, and as retained if it was active the month before; a month counted
/// already changes nothing. One statement on PostgreSQL (the cohort's count reads whether the
/// month's row was inserted); two on SQLite (the count goes on only if the insert before it
/// changed a row).
pub fn active_in_month(
    conn: &mut DbConnection,
    program_id: i64,
    member_id: i64,
    month: &str,
    previous_month: &str,
    cohort: &str,
) -> QueryResult<()> {
    let month_row =
        "INSERT INTO member_months (member_id, month) VALUES (?, ?) ON CONFLICT DO NOTHING";
    let count = format!(
        "INSERT INTO cohort_activity (program_id, cohort, month, shard, active, retained) \
         SELECT ?, ?, ?, {}, 1, CASE WHEN EXISTS (SELECT 1 FROM member_months \
         WHERE member_id = ? AND month = ?) THEN 1 ELSE 0 END",
        shard(conn)
    );
    let on_conflict = " ON CONFLICT (program_id, cohort, month, shard) DO UPDATE \
         SET active = cohort_activity.active + 1, \
         retained = cohort_activity.retained + excluded.retained";
    let month_binds = vec![Bind::BigInt(member_id), Bind::Text(month.to_owned())];
    let count_binds = vec![
        Bind::BigInt(program_id),
        Bind::Text(cohort.to_owned()),
        Bind::Text(month.to_owned()),
        Bind::BigInt(member_id),
        Bind::Text(previous_month.to_owned()),
    ];
    match conn {
        DbConnection::Postgresql(_) => Raw::new(
            format!("WITH first AS ({month_row} RETURNING 1) {count} FROM first{on_conflict}"),
            month_binds.into_iter().chain(count_binds).collect(),
        )
        .execute(conn)
        .map(drop),
        // `changes()`: the rows the statement just before changed. (A WHERE clause also keeps
        // SQLite from reading the upsert's ON CONFLICT as a join's.)
        DbConnection::Sqlite(_) => {
            Raw::new(month_row, month_binds).execute(conn)?;
            Raw::new(
                format!("{count} WHERE changes() = 1{on_conflict}"),
                count_binds,
            )
            .execute(conn)
            .map(drop)
        }
    }
}
