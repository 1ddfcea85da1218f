//! Bulk data for measuring the analytics at scale: a program with a million members and ten
//! million ledger entries takes hours through the API, minutes here. Rows are computed in
//! memory, consistently (every balance, lot and link as the ledger would have written them, so
//! `fidelio verify` stays clean, and the analytics' maintained totals with them), and written
//! with multi-row inserts. Purchases are recorded as ledger entries and totals, not as events.

use std::collections::HashMap;

use chrono::{Duration, NaiveDateTime, Timelike};
use diesel::prelude::*;
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::db::models::stats::{self, Delta};
use crate::db::schema::{
    cohort_activity, ledger_entries, lot_links, lots, member_event_counts, member_months, members,
};
use crate::db::{DbConn, DbConnection};
use crate::domain::MemberStatus;
use crate::engine::period::{self, Period};
use crate::error::AppResult;
use crate::programs::Program;

/// Members written per batch (with their entries, lots and links).
const BATCH: usize = 5_000;

#[derive(Insertable)]
#[diesel(table_name = members)]
struct MemberRow {
    id: i64,
    program_id: i64,
    external_id: String,
    referral_code: String,
    status: &'static str,
    points_available: i64,
    lifetime_earned: i64,
    lifetime_redeemed: i64,
    enrolled_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    last_event_at: Option<NaiveDateTime>,
    last_activity_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = ledger_entries)]
struct EntryRow {
    id: i64,
    program_id: i64,
    member_id: i64,
    kind: &'static str,
    points: i64,
    balance_after: i64,
    reason: &'static str,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = lots)]
struct LotRow {
    id: i64,
    member_id: i64,
    entry_id: i64,
    points: i64,
    remaining: i64,
    available_at: NaiveDateTime,
    pending: bool,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = lot_links)]
struct LinkRow {
    entry_id: i64,
    lot_id: i64,
    points: i64,
    created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = member_event_counts)]
struct CountRow {
    member_id: i64,
    event_type: &'static str,
    events: i64,
    amount_minor: i64,
}

#[derive(Insertable)]
#[diesel(table_name = member_months)]
struct MonthRow {
    member_id: i64,
    month: String,
}

#[derive(Default)]
struct Batch {
    members: Vec<MemberRow>,
    entries: Vec<EntryRow>,
    lots: Vec<LotRow>,
    links: Vec<LinkRow>,
    counts: Vec<CountRow>,
    months: Vec<MonthRow>,
}

/// Writes rows in chunks small enough for either backend's bind-parameter limit.
macro_rules! insert_chunks {
    ($conn:expr, $table:path, $rows:expr, $columns:expr) => {{
        let per_statement = (30_000 / $columns).max(1);
        for chunk in $rows.chunks(per_statement) {
            match $conn {
                DbConnection::Postgresql(pg) => {
                    diesel::insert_into($table).values(chunk).execute(pg)?
                }
                DbConnection::Sqlite(sqlite) => {
                    diesel::insert_into($table).values(chunk).execute(sqlite)?
                }
            };
        }
    }};
}

fn next_id(conn: &mut DbConnection, table: &str) -> AppResult<i64> {
    #[derive(QueryableByName)]
    struct Max {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let max = diesel::sql_query(format!(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS id FROM {table}"
    ))
    .get_result::<Max>(conn)?;
    Ok(max.id + 1)
}

/// Moves PostgreSQL's identity sequences past the ids written here.
fn advance_sequences(conn: &mut DbConnection) -> AppResult<()> {
    if let DbConnection::Postgresql(pg) = conn {
        for table in ["members", "ledger_entries", "lots", "lot_links"] {
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {table}))"
            ))
            .execute(pg)?;
        }
    }
    Ok(())
}

/// What was written.
#[derive(Debug, Default)]
pub struct Written {
    pub members: u64,
    pub entries: u64,
    pub lots: u64,
}

/// Writes `members` members and about `entries` entries (purchases earning 1 point per 1.00,
/// and redemptions) over the last year into `program`.
pub fn generate(
    conn: &mut DbConn,
    program: &Program,
    members: u64,
    entries: u64,
    seed: u64,
    now: NaiveDateTime,
    progress: &ProgressBar,
) -> AppResult<Written> {
    let mut rng = StdRng::seed_from_u64(seed);
    let per_member = (entries / members.max(1)).max(1);
    let tz = program.time_zone;
    let mut written = Written::default();
    let mut hourly: HashMap<NaiveDateTime, Delta> = HashMap::new();
    let mut cohorts: HashMap<(String, String), (i64, i64)> = HashMap::new();
    let (mut member_id, mut entry_id, mut lot_id) = (
        next_id(conn, "members")?,
        next_id(conn, "ledger_entries")?,
        next_id(conn, "lots")?,
    );
    let mut remaining = members;
    while remaining > 0 {
        let size = remaining.min(BATCH as u64);
        let mut batch = Batch::default();
        for _ in 0..size {
            let enrolled = now - Duration::minutes(rng.random_range(60..525_600));
            let hour = |at: NaiveDateTime| {
                at.with_minute(0)
                    .and_then(|t| t.with_second(0))
                    .and_then(|t| t.with_nanosecond(0))
                    .unwrap_or(at)
            };
            hourly.entry(hour(enrolled)).or_default().enrolments += 1;
            let count = rng
                .random_range(per_member / 2..=per_member + per_member / 2)
                .max(1);
            let span = (now - enrolled).num_minutes().max(1);
            let mut times: Vec<NaiveDateTime> = (0..count)
                .map(|_| enrolled + Duration::minutes(rng.random_range(0..span)))
                .collect();
            times.sort_unstable();
            let (mut balance, mut earned, mut redeemed, mut purchases, mut spent) =
                (0_i64, 0_i64, 0_i64, 0_i64, 0_i64);
            let mut open: Vec<(i64, i64)> = Vec::new();
            let mut months: Vec<String> = Vec::new();
            let first_lot = batch.lots.len();
            let cohort = Period::Month.key(period::local(tz, enrolled));
            for at in &times {
                let redeem = balance >= 100 && rng.random::<f64>() < 0.25;
                if redeem {
                    let points = [25, 60, 100][rng.random_range(0..3)].min(balance);
                    balance -= points;
                    redeemed += points;
                    batch.entries.push(EntryRow {
                        id: entry_id,
                        program_id: program.id,
                        member_id,
                        kind: "redeem",
                        points: -points,
                        balance_after: balance,
                        reason: "reward",
                        created_at: *at,
                    });
                    let mut left = points;
                    for (lot, lot_left) in open.iter_mut().filter(|(_, l)| *l > 0) {
                        let take = left.min(*lot_left);
                        *lot_left -= take;
                        left -= take;
                        batch.links.push(LinkRow {
                            entry_id,
                            lot_id: *lot,
                            points: -take,
                            created_at: *at,
                        });
                        if left == 0 {
                            break;
                        }
                    }
                    hourly.entry(hour(*at)).or_default().points_redeemed += points;
                } else {
                    let points = rng.random_range(3..40);
                    balance += points;
                    earned += points;
                    purchases += 1;
                    spent += points * 100;
                    batch.entries.push(EntryRow {
                        id: entry_id,
                        program_id: program.id,
                        member_id,
                        kind: "earn",
                        points,
                        balance_after: balance,
                        reason: "purchase",
                        created_at: *at,
                    });
                    open.push((lot_id, points));
                    batch.lots.push(LotRow {
                        id: lot_id,
                        member_id,
                        entry_id,
                        points,
                        remaining: points,
                        available_at: *at,
                        pending: false,
                        created_at: *at,
                    });
                    lot_id += 1;
                    let delta = hourly.entry(hour(*at)).or_default();
                    delta.purchases += 1;
                    delta.purchase_minor += points * 100;
                    delta.points_issued += points;
                    let month = Period::Month.key(period::local(tz, *at));
                    if !months.contains(&month) {
                        let previous = Period::Month.key(
                            period::local(tz, *at)
                                .checked_sub_months(chrono::Months::new(1))
                                .unwrap_or(*at),
                        );
                        let retained = i64::from(months.contains(&previous));
                        let cell = cohorts.entry((cohort.clone(), month.clone())).or_default();
                        cell.0 += 1;
                        cell.1 += retained;
                        months.push(month);
                    }
                }
                entry_id += 1;
            }
            // Each lot's remaining points, after the redemptions took the oldest.
            let left: HashMap<i64, i64> = open.iter().copied().collect();
            for lot in &mut batch.lots[first_lot..] {
                lot.remaining = left.get(&lot.id).copied().unwrap_or(0);
            }
            let last = times.last().copied();
            batch.members.push(MemberRow {
                id: member_id,
                program_id: program.id,
                external_id: format!("bulk-{member_id}"),
                referral_code: format!("B{member_id:011}"),
                status: MemberStatus::Active.as_str(),
                points_available: balance,
                lifetime_earned: earned,
                lifetime_redeemed: redeemed,
                enrolled_at: enrolled,
                updated_at: last.unwrap_or(enrolled),
                last_event_at: last,
                last_activity_at: last,
            });
            if purchases > 0 {
                batch.counts.push(CountRow {
                    member_id,
                    event_type: "purchase",
                    events: purchases,
                    amount_minor: spent,
                });
            }
            batch.months.extend(
                months
                    .into_iter()
                    .map(|month| MonthRow { member_id, month }),
            );
            written.entries += count;
            member_id += 1;
        }
        written.members += size;
        written.lots += batch.lots.len() as u64;
        write(conn, &batch)?;
        remaining -= size;
        progress.inc(size);
    }
    let conn: &mut DbConnection = conn;
    for (hour, delta) in hourly {
        stats::add(conn, program.id, hour, &delta)?;
    }
    for ((cohort, month), (active, retained)) in cohorts {
        diesel::insert_into(cohort_activity::table)
            .values((
                cohort_activity::program_id.eq(program.id),
                cohort_activity::cohort.eq(cohort),
                cohort_activity::month.eq(month),
                cohort_activity::shard.eq(0),
                cohort_activity::active.eq(active),
                cohort_activity::retained.eq(retained),
            ))
            .execute(conn)?;
    }
    advance_sequences(conn)?;
    Ok(written)
}

fn write(conn: &mut DbConn, batch: &Batch) -> AppResult<()> {
    crate::db::write_tx(conn, |tx| {
        insert_chunks!(tx, members::table, batch.members, 12);
        insert_chunks!(tx, ledger_entries::table, batch.entries, 8);
        insert_chunks!(tx, lots::table, batch.lots, 8);
        insert_chunks!(tx, lot_links::table, batch.links, 4);
        insert_chunks!(tx, member_event_counts::table, batch.counts, 4);
        insert_chunks!(tx, member_months::table, batch.months, 2);
        Ok::<_, crate::error::AppError>(())
    })
}
