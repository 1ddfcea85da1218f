//! Read-only aggregate queries of the analytics: over the maintained totals and indexes, never
//! over the whole ledger.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::db::DbConnection;
use crate::db::schema::{challenge_progress, member_badges, members};

/// Sums of the hourly counters over a span.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct Totals {
    #[diesel(sql_type = BigInt)]
    pub enrolments: i64,
    #[diesel(sql_type = BigInt)]
    pub purchases: i64,
    #[diesel(sql_type = BigInt)]
    pub purchase_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub refunds: i64,
    #[diesel(sql_type = BigInt)]
    pub refund_minor: i64,
    #[diesel(sql_type = BigInt)]
    pub reviews: i64,
    #[diesel(sql_type = BigInt)]
    pub referrals_paid: i64,
    #[diesel(sql_type = BigInt)]
    pub points_issued: i64,
    #[diesel(sql_type = BigInt)]
    pub points_redeemed: i64,
    #[diesel(sql_type = BigInt)]
    pub points_expired: i64,
    #[diesel(sql_type = BigInt)]
    pub points_reversed: i64,
    #[diesel(sql_type = BigInt)]
    pub vouchers_issued: i64,
    #[diesel(sql_type = BigInt)]
    pub vouchers_used: i64,
    #[diesel(sql_type = BigInt)]
    pub tier_upgrades: i64,
    #[diesel(sql_type = BigInt)]
    pub tier_downgrades: i64,
}

const SUMS: &str = "CAST(COALESCE(SUM(enrolments), 0) AS BIGINT) AS enrolments, \
    CAST(COALESCE(SUM(purchases), 0) AS BIGINT) AS purchases, \
    CAST(COALESCE(SUM(purchase_minor), 0) AS BIGINT) AS purchase_minor, \
    CAST(COALESCE(SUM(refunds), 0) AS BIGINT) AS refunds, \
    CAST(COALESCE(SUM(refund_minor), 0) AS BIGINT) AS refund_minor, \
    CAST(COALESCE(SUM(reviews), 0) AS BIGINT) AS reviews, \
    CAST(COALESCE(SUM(referrals_paid), 0) AS BIGINT) AS referrals_paid, \
    CAST(COALESCE(SUM(points_issued), 0) AS BIGINT) AS points_issued, \
    CAST(COALESCE(SUM(points_redeemed), 0) AS BIGINT) AS points_redeemed, \
    CAST(COALESCE(SUM(points_expired), 0) AS BIGINT) AS points_expired, \
    CAST(COALESCE(SUM(points_reversed), 0) AS BIGINT) AS points_reversed, \
    CAST(COALESCE(SUM(vouchers_issued), 0) AS BIGINT) AS vouchers_issued, \
    CAST(COALESCE(SUM(vouchers_used), 0) AS BIGINT) AS vouchers_used, \
    CAST(COALESCE(SUM(tier_upgrades), 0) AS BIGINT) AS tier_upgrades, \
    CAST(COALESCE(SUM(tier_downgrades), 0) AS BIGINT) AS tier_downgrades";

/// The program's counters summed over `[from, until)` (UTC hours).
pub fn totals(
    conn: &mut DbConnection,
    program_id: i64,
    from: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Totals> {
    diesel::sql_query(format!(
        "SELECT {SUMS} FROM stats_hourly WHERE program_id = $1 AND hour >= $2 AND hour < $3"
    ))
    .bind::<BigInt, _>(program_id)
    .bind::<Timestamp, _>(from)
    .bind::<Timestamp, _>(until)
    .get_result(conn)
}

/// One hour's enrolments.
#[derive(Debug, QueryableByName)]
pub struct HourCount {
    #[diesel(sql_type = Timestamp)]
    pub hour: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Enrolments per UTC hour since `from`.
pub fn enrolments_by_hour(
    conn: &mut DbConnection,
    program_id: i64,
    from: NaiveDateTime,
) -> QueryResult<Vec<HourCount>> {
    diesel::sql_query(
        "SELECT hour, CAST(SUM(enrolments) AS BIGINT) AS count FROM stats_hourly \
         WHERE program_id = $1 AND hour >= $2 AND enrolments > 0 GROUP BY hour ORDER BY hour",
    )
    .bind::<BigInt, _>(program_id)
    .bind::<Timestamp, _>(from)
    .load(conn)
}

/// Members who posted an event since `since`.
pub fn active_since(
    conn: &mut DbConnection,
    program_id: i64,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    members::table
        .filter(members::program_id.eq(program_id))
        .filter(members::last_event_at.ge(since))
        .count()
        .get_result(conn)
}

/// Members by level name (`None`: the first level).
pub fn tier_distribution(
    conn: &mut DbConnection,
    program_id: i64,
) -> QueryResult<Vec<(Option<String>, i64)>> {
    members::table
        .filter(members::program_id.eq(program_id))
        .group_by(members::tier)
        .select((members::tier, diesel::dsl::count_star()))
        .load(conn)
}

/// Members enrolled with a referrer.
pub fn referred_members(conn: &mut DbConnection, program_id: i64) -> QueryResult<i64> {
    members::table
        .filter(members::program_id.eq(program_id))
        .filter(members::referred_by.is_not_null())
        .count()
        .get_result(conn)
}

/// A cohort's activity in one month.
#[derive(Debug, QueryableByName)]
pub struct CohortMonth {
    #[diesel(sql_type = Text)]
    pub cohort: String,
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = BigInt)]
    pub active: i64,
    #[diesel(sql_type = BigInt)]
    pub retained: i64,
}

/// Activity per enrolment cohort and month, from `first_month` on.
pub fn cohort_months(
    conn: &mut DbConnection,
    program_id: i64,
    first_month: &str,
) -> QueryResult<Vec<CohortMonth>> {
    diesel::sql_query(
        "SELECT cohort, month, CAST(SUM(active) AS BIGINT) AS active, CAST(SUM(retained) AS BIGINT) AS retained \
         FROM cohort_activity WHERE program_id = $1 AND month >= $2 GROUP BY cohort, month ORDER BY cohort, month",
    )
    .bind::<BigInt, _>(program_id)
    .bind::<Text, _>(first_month)
    .load(conn)
}

/// Points still held in lots, by the UTC instant they expire (`None`: never).
#[derive(Debug, QueryableByName)]
pub struct Expiring {
    #[diesel(sql_type = Nullable<Timestamp>)]
    pub expires_at: Option<NaiveDateTime>,
    #[diesel(sql_type = BigInt)]
    pub points: i64,
}

/// Lots that never expire are kept in `open_points` under this instant (a key cannot be NULL).
const NEVER: &str = "9999-12-31 00:00:00";

/// Open points of the program by expiry instant, as the lots' triggers keep them in
/// `open_points` (lots expire at local midnights, so the groups are few).
pub fn open_points_by_expiry(
    conn: &mut DbConnection,
    program_id: i64,
) -> QueryResult<Vec<Expiring>> {
    diesel::sql_query(format!(
        "SELECT CASE WHEN expires_at = '{NEVER}' THEN NULL ELSE expires_at END AS expires_at, \
         CAST(SUM(points) AS BIGINT) AS points FROM open_points \
         WHERE program_id = $1 GROUP BY expires_at HAVING SUM(points) <> 0 ORDER BY expires_at"
    ))
    .bind::<BigInt, _>(program_id)
    .load(conn)
}

/// Members by engagement level: `(level, members)`.
#[derive(Debug, QueryableByName)]
pub struct LevelCount {
    #[diesel(sql_type = Text)]
    pub level: String,
    #[diesel(sql_type = BigInt)]
    pub members: i64,
}

/// Open members on each rung of the engagement ladder, as the members' triggers keep them in
/// `engagement_counts`: advocates referred a member, contributors wrote 5 or more reviews,
/// creators at least one, consumers bought.
pub fn engagement_levels(conn: &mut DbConnection, program_id: i64) -> QueryResult<Vec<LevelCount>> {
    diesel::sql_query(
        "SELECT engagement AS level, CAST(SUM(members) AS BIGINT) AS members \
         FROM engagement_counts WHERE program_id = $1 GROUP BY engagement",
    )
    .bind::<BigInt, _>(program_id)
    .load(conn)
}

/// The maintained rows each PostgreSQL connection keeps for itself (shard = its backend pid):
/// `(table, key columns, value columns)`.
const SHARDED: [(&str, &str, &[&str]); 5] = [
    ("open_points", "program_id, expires_at", &["points"]),
    ("engagement_counts", "program_id, engagement", &["members"]),
    (
        "leaderboard_score_counts",
        "leaderboard_id, period_key, grain, score_from",
        &["members"],
    ),
    ("stats_hourly", "program_id, hour", &super::stats::COUNTERS),
    (
        "cohort_activity",
        "program_id, cohort, month",
        &["active", "retained"],
    ),
];

/// On PostgreSQL, folds the maintained rows of connections that have closed into shard 0, so a
/// read sums few rows however many connections came and went; keys they left at 0 add no row.
/// Rows of live connections are left alone, so no writer waits on this. SQLite keeps every row
/// in shard 0.
pub fn fold_closed_shards(conn: &mut DbConnection) -> QueryResult<()> {
    let DbConnection::Postgresql(pg) = conn else {
        return Ok(());
    };
    for (table, keys, values) in SHARDED {
        let list = values.join(", ");
        let sums: Vec<String> = values
            .iter()
            .map(|v| format!("CAST(SUM({v}) AS BIGINT)"))
            .collect();
        let any_moved: Vec<String> = values.iter().map(|v| format!("SUM({v}) <> 0")).collect();
        let added: Vec<String> = values
            .iter()
            .map(|v| format!("{v} = {table}.{v} + EXCLUDED.{v}"))
            .collect();
        diesel::sql_query(format!(
            "WITH closed AS (DELETE FROM {table} WHERE shard <> 0 \
               AND shard NOT IN (SELECT pid FROM pg_stat_activity) \
               RETURNING {keys}, {list}) \
             INSERT INTO {table} ({keys}, shard, {list}) \
             SELECT {keys}, 0, {} FROM closed \
             GROUP BY {keys} HAVING {} \
             ON CONFLICT ({keys}, shard) DO UPDATE SET {}",
            sums.join(", "),
            any_moved.join(" OR "),
            added.join(", "),
        ))
        .execute(pg)?;
    }
    Ok(())
}

/// Members holding each level of these badges: `(badge_id, level, members)`.
pub fn badge_levels(
    conn: &mut DbConnection,
    badge_ids: &[i64],
) -> QueryResult<Vec<(i64, i32, i64)>> {
    member_badges::table
        .filter(member_badges::badge_id.eq_any(badge_ids))
        .group_by((member_badges::badge_id, member_badges::level))
        .select((
            member_badges::badge_id,
            member_badges::level,
            diesel::dsl::count_star(),
        ))
        .load(conn)
}

/// Per challenge: member-windows taken part in (progress or joined) and completed.
pub fn challenge_totals(
    conn: &mut DbConnection,
    challenge_ids: &[i64],
) -> QueryResult<Vec<(i64, i64, i64)>> {
    challenge_progress::table
        .filter(challenge_progress::challenge_id.eq_any(challenge_ids))
        .group_by(challenge_progress::challenge_id)
        .select((
            challenge_progress::challenge_id,
            diesel::dsl::count_star(),
            diesel::dsl::count(challenge_progress::completed_at),
        ))
        .load(conn)
}

/// Per challenge: windows completed in `[start, end)`.
pub fn challenge_completions(
    conn: &mut DbConnection,
    challenge_ids: &[i64],
    start: NaiveDateTime,
    end: NaiveDateTime,
) -> QueryResult<Vec<(i64, i64)>> {
    challenge_progress::table
        .filter(challenge_progress::challenge_id.eq_any(challenge_ids))
        .filter(challenge_progress::completed_at.ge(start))
        .filter(challenge_progress::completed_at.lt(end))
        .group_by(challenge_progress::challenge_id)
        .select((challenge_progress::challenge_id, diesel::dsl::count_star()))
        .load(conn)
}
