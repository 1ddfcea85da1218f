//! `src/db/schema.rs` against the migrated database of the backend under test: every table
//! loads through diesel with its row type, and every column has the name, type and
//! nullability `schema.rs` says. A migration of either dialect that drifts fails here.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::sql_types::{Bool, Text};
use diesel::{Column, Expression, QueryDsl, QueryableByName, RunQueryDsl, Table, sql_query};
use fidelio::db::DbConnection;
use fidelio::db::models::{
    admins::Admin, api_keys::ApiKeyRow, audit::AuditRow, badges::MemberBadgeRow,
    challenges::ChallengeProgressRow, events::EventRow, game_elements::ElementRow,
    idempotency_keys::StoredRequest, ledger::EntryRow, ledger::LotRow, members::MemberRow,
    programs::ProgramRow, rewards::RedemptionRow, rewards::RewardRow, rules::RuleRow,
    rules::RuleVersionRow, streaks::StreakRow, tiers::TierChangeRow,
};
use fidelio::db::schema;

use crate::helpers::TestDatabase;

/// The type of a column in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ColumnType {
    sql_type: String,
    nullable: bool,
}

#[derive(QueryableByName)]
struct DatabaseColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    sql_type: String,
    #[diesel(sql_type = Bool)]
    nullable: bool,
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

/// The column types a diesel SQL type maps to on the backend (SQLite: as declared).
fn database_types(conn: &DbConnection, diesel_type: &str) -> &'static [&'static str] {
    let postgres = matches!(conn, DbConnection::Postgresql(_));
    match (diesel_type, postgres) {
        ("BigInt", true) => &["int8"],
        // `INTEGER PRIMARY KEY` is SQLite's 64-bit rowid.
        ("BigInt", false) => &["BIGINT", "INTEGER"],
        ("Integer", true) => &["int4"],
        ("Integer", false) => &["INTEGER"],
        ("Text", true) => &["text"],
        ("Text", false) => &["TEXT"],
        ("Timestamp", true) => &["timestamp"],
        ("Timestamp", false) => &["TIMESTAMP"],
        ("Date", true) => &["date"],
        ("Date", false) => &["DATE"],
        ("Bool", true) => &["bool"],
        ("Bool", false) => &["BOOLEAN"],
        (other, _) => panic!("tests/api/schema.rs: map the diesel type `{other}`"),
    }
}

/// The name, diesel type and nullability of a `schema.rs` column.
fn schema_column<C: Column + Expression>() -> (&'static str, &'static str, bool) {
    let full = std::any::type_name::<C::SqlType>();
    let nullable = full.contains("Nullable<");
    let inner = full
        .trim_end_matches('>')
        .rsplit("::")
        .next()
        .unwrap_or(full);
    (C::NAME, inner, nullable)
}

/// The columns of a table in the migrated database, by name.
fn database_columns(conn: &mut DbConnection, table: &str) -> BTreeMap<String, ColumnType> {
    let columns: Vec<DatabaseColumn> = match conn {
        DbConnection::Postgresql(pg) => sql_query(
            "SELECT column_name::text AS name, udt_name::text AS sql_type,
                    is_nullable = 'YES' AS nullable
             FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind::<Text, _>(table)
        .load(pg),
        // A primary key is NOT NULL to diesel; SQLite only enforces it for INTEGER keys.
        DbConnection::Sqlite(sqlite) => sql_query(
            "SELECT name, upper(type) AS sql_type, (\"notnull\" = 0 AND pk = 0) AS nullable
             FROM pragma_table_info(?)",
        )
        .bind::<Text, _>(table)
        .load(sqlite),
    }
    .unwrap();
    columns
        .into_iter()
        .map(|c| {
            let column = ColumnType {
                sql_type: c.sql_type,
                nullable: c.nullable,
            };
            (c.name, column)
        })
        .collect()
}

/// The differences between the columns `schema.rs` gives a table and the database's.
fn column_drift(
    conn: &mut DbConnection,
    table: &str,
    schema_columns: &[(&'static str, &'static str, bool)],
) -> Vec<String> {
    let mut found = database_columns(conn, table);
    let mut drift = Vec::new();
    for &(name, diesel_type, nullable) in schema_columns {
        let Some(column) = found.remove(name) else {
            drift.push(format!("{table}.{name}: in schema.rs, not in the database"));
            continue;
        };
        if !database_types(conn, diesel_type).contains(&column.sql_type.as_str()) {
            drift.push(format!(
                "{table}.{name}: schema.rs says {diesel_type}, the database {}",
                column.sql_type
            ));
        }
        if column.nullable != nullable {
            drift.push(format!(
                "{table}.{name}: schema.rs says nullable = {nullable}, the database {}",
                column.nullable
            ));
        }
    }
    drift.extend(
        found
            .into_keys()
            .map(|name| format!("{table}.{name}: in the database, not in schema.rs")),
    );
    drift
}

/// Loads no rows of every column of a `schema.rs` table as `$row`, then compares each column
/// with the database. The column list must be the table's `all_columns`, in order, or this
/// does not compile, so a column added to `schema.rs` cannot be missed here.
macro_rules! check_table {
    ($conn:expr, $drift:expr, $table:ident as $row:ty: [$($column:ident),+ $(,)?]) => {{
        use schema::$table;
        let _all: <$table::table as Table>::AllColumns = ($($table::$column,)+);
        let loaded = $table::table
            .select($table::all_columns)
            .limit(0)
            .load::<$row>($conn);
        if let Err(error) = loaded {
            $drift.push(format!("{}: cannot load its rows: {error}", stringify!($table)));
        }
        let columns = [$(schema_column::<$table::$column>()),+];
        $drift.extend(column_drift($conn, stringify!($table), &columns));
        stringify!($table)
    }};
}

fn database_tables(conn: &mut DbConnection) -> Vec<String> {
    let tables: Vec<TableName> = match conn {
        DbConnection::Postgresql(pg) => sql_query(
            "SELECT table_name::text AS name FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'
               AND table_name <> '__diesel_schema_migrations'",
        )
        .load(pg),
        DbConnection::Sqlite(sqlite) => sql_query(
            "SELECT name FROM sqlite_master
             WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
               AND name <> '__diesel_schema_migrations'",
        )
        .load(sqlite),
    }
    .unwrap();
    let mut names: Vec<String> = tables.into_iter().map(|t| t.name).collect();
    names.sort();
    names
}

#[test]
fn every_table_and_column_of_schema_rs_matches_the_migrated_database() {
    let database = TestDatabase::create();
    let db = database.open();
    let mut pooled = db.get().unwrap();
    let conn: &mut DbConnection = &mut pooled;
    let mut drift: Vec<String> = Vec::new();

    let mut tables = vec![
        check_table!(conn, drift, settings as (String, String, NaiveDateTime): [
            name, value, created_at
        ]),
        check_table!(conn, drift, admins as Admin: [id, email, password_hash, created_at, role]),
        check_table!(conn, drift, admin_programs as (i64, i64): [admin_id, program_id]),
        check_table!(conn, drift, audit_log as AuditRow: [
            id, at, program_id, actor, actor_label, action, subject, before, after, request_id
        ]),
        check_table!(conn, drift, programs as ProgramRow: [
            id, slug, name, time_zone, currency, point_name, point_value, created_at, updated_at,
            auto_enrol, config_version, tier_policy, expiry_policy, birthday_policy,
            analytics_settings
        ]),
        check_table!(conn, drift, api_keys as ApiKeyRow: [
            id, program_id, name, prefix, secret_digest, scopes, created_by, created_at,
            revoked_at, rate_limit
        ]),
        check_table!(conn, drift, members as MemberRow: [
            id, program_id, external_id, email, name, birthday, referral_code, referred_by,
            status, points_available, points_pending, points_debt, lifetime_earned,
            lifetime_redeemed, enrolled_at, updated_at, closed_at, tier, tier_since,
            tier_held_until, tier_qualified_at, last_activity_at, birthday_md, last_event_at,
            engagement
        ]),
        check_table!(conn, drift, ledger_entries as EntryRow: [
            id, program_id, member_id, kind, points, balance_after, reason, order_id,
            reverses_entry_id, api_key_id, admin_id, created_at, event_id, rule_id, rule_version,
            redemption_id
        ]),
        check_table!(conn, drift, lots as LotRow: [
            id, member_id, entry_id, points, remaining, available_at, expires_at, pending,
            created_at
        ]),
        check_table!(conn, drift, lot_links as (i64, i64, i64, i64, NaiveDateTime): [
            id, entry_id, lot_id, points, created_at
        ]),
        check_table!(conn, drift, debts as (i64, i64, i64, i64, NaiveDateTime): [
            entry_id, member_id, points, remaining, created_at
        ]),
        check_table!(conn, drift, idempotency_keys as StoredRequest: [
            id, program_id, idempotency_key, operation, request_digest, status_code,
            response_body, entry_id, created_at, owner
        ]),
        check_table!(conn, drift, rules as RuleRow: [
            id, program_id, slug, version, status, created_at, updated_at
        ]),
        check_table!(conn, drift, rule_versions as RuleVersionRow: [
            id, rule_id, version, definition, created_by, created_at
        ]),
        check_table!(conn, drift, events as EventRow: [
            id, program_id, external_id, member_id, kind, occurred_at, received_at,
            request_digest, payload, outcome, order_id, amount_minor, points_earned,
            refunded_minor, points_reversed, api_key_id, qualifying_minor
        ]),
        check_table!(conn, drift, qualifying_activity as (i64, i64, NaiveDateTime, i64, Option<i64>, NaiveDateTime): [
            id, member_id, occurred_at, amount, event_id, month
        ]),
        check_table!(conn, drift, qualifying_months as (i64, NaiveDateTime, i64): [
            member_id, month, amount
        ]),
        check_table!(conn, drift, tier_changes as TierChangeRow: [
            id, member_id, from_tier, to_tier, change, reason, held_until, event_id, admin_id,
            created_at
        ]),
        check_table!(conn, drift, birthday_grants as (i64, i64, i32, String, NaiveDateTime, NaiveDateTime, Option<i64>): [
            id, member_id, year, reward, valid_until, created_at, redemption_id
        ]),
        check_table!(conn, drift, stats_hourly as (i64, NaiveDateTime, i32, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64, i64): [
            program_id, hour, shard, enrolments, purchases, purchase_minor, refunds, refund_minor,
            reviews, referrals_paid, points_issued, points_redeemed, points_expired,
            points_reversed, vouchers_issued, vouchers_used, tier_upgrades, tier_downgrades
        ]),
        check_table!(conn, drift, member_months as (i64, String): [member_id, month]),
        check_table!(conn, drift, cohort_activity as (i64, String, String, i32, i64, i64): [
            program_id, cohort, month, shard, active, retained
        ]),
        check_table!(conn, drift, rewards as RewardRow: [
            id, program_id, slug, name, description, cost, kind, amount_minor, percent, min_tier,
            stock, per_member_limit, limit_period, active_from, active_until, voucher_days,
            refund_on_expiry, status, created_at, updated_at
        ]),
        check_table!(conn, drift, redemptions as RedemptionRow: [
            id, public_id, code, program_id, member_id, reward_id, points_spent, entry_id,
            reverse_entry_id, status, source, order_id, api_key_id, issued_at, expires_at,
            settled_at
        ]),
        check_table!(conn, drift, rule_usage as (i64, i64, String, i64, i64): [
            member_id, rule_id, period_key, uses, points
        ]),
        check_table!(conn, drift, member_event_counts as (i64, String, i64, i64): [
            member_id, event_type, events, amount_minor
        ]),
        check_table!(conn, drift, game_elements as ElementRow: [
            id, program_id, kind, slug, status, definition, created_at, updated_at
        ]),
        check_table!(conn, drift, member_badges as MemberBadgeRow: [
            id, member_id, badge_id, level, points, source, event_id, earned_at
        ]),
        check_table!(conn, drift, badge_progress as (i64, i64, i64, NaiveDateTime): [
            member_id, badge_id, progress, updated_at
        ]),
        check_table!(conn, drift, challenge_progress as ChallengeProgressRow: [
            member_id, challenge_id, window_key, progress, joined_at, completed_at,
            completed_event_id, reward_points, updated_at
        ]),
        check_table!(conn, drift, member_streaks as StreakRow: [
            member_id, streak_id, current_length, longest_length, last_period, updated_at
        ]),
        check_table!(conn, drift, leaderboard_scores as (i64, String, i64, i64, i64, NaiveDateTime): [
            leaderboard_id, period_key, member_id, score, reached_seq, updated_at
        ]),
        check_table!(conn, drift, leaderboard_score_counts as (i64, String, i32, i64, i32, i64): [
            leaderboard_id, period_key, grain, score_from, shard, members
        ]),
        check_table!(conn, drift, open_points as (i64, NaiveDateTime, i32, i64): [
            program_id, expires_at, shard, points
        ]),
        check_table!(conn, drift, engagement_counts as (i64, String, i32, i64): [
            program_id, engagement, shard, members
        ]),
    ];

    tables.sort_unstable();
    assert_eq!(
        database_tables(conn),
        tables,
        "the migrations create exactly the tables schema.rs names (and this test checks)"
    );
    assert!(
        drift.is_empty(),
        "schema.rs and the {} migrations disagree:\n{}",
        database.backend(),
        drift.join("\n")
    );
}
