//! Earning rules and their versions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{rule_versions, rules};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rules)]
pub struct RuleRow {
    pub id: i64,
    pub program_id: i64,
    pub slug: String,
    pub version: i32,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rule_versions)]
pub struct RuleVersionRow {
    pub id: i64,
    pub rule_id: i64,
    pub version: i32,
    pub definition: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    program_id: i64,
    slug: &str,
    at: NaiveDateTime,
) -> QueryResult<RuleRow> {
    diesel::insert_into(rules::table)
        .values((
            rules::program_id.eq(program_id),
            rules::slug.eq(slug),
            rules::version.eq(1),
            rules::status.eq("active"),
            rules::created_at.eq(at),
            rules::updated_at.eq(at),
        ))
        .returning(rules::all_columns)
        .get_result(conn)
}

pub fn insert_version(
    conn: &mut DbConnection,
    rule_id: i64,
    version: i32,
    definition: &str,
    created_by: Option<i64>,
    at: NaiveDateTime,
) -> QueryResult<RuleVersionRow> {
    diesel::insert_into(rule_versions::table)
        .values((
            rule_versions::rule_id.eq(rule_id),
            rule_versions::version.eq(version),
            rule_versions::definition.eq(definition),
            rule_versions::created_by.eq(created_by),
            rule_versions::created_at.eq(at),
        ))
        .returning(rule_versions::all_columns)
        .get_result(conn)
}

/// Moves a rule to `version` and `status`.
pub fn set_current(
    conn: &mut DbConnection,
    id: i64,
    version: i32,
    status: &str,
    at: NaiveDateTime,
) -> QueryResult<RuleRow> {
    diesel::update(rules::table.find(id))
        .set((
            rules::version.eq(version),
            rules::status.eq(status),
            rules::updated_at.eq(at),
        ))
        .returning(rules::all_columns)
        .get_result(conn)
}

/// A rule of the program with its current definition.
pub fn find(
    conn: &mut DbConnection,
    program_id: i64,
    slug: &str,
) -> QueryResult<Option<(RuleRow, RuleVersionRow)>> {
    rules::table
        .inner_join(
            rule_versions::table.on(rule_versions::rule_id
                .eq(rules::id)
                .and(rule_versions::version.eq(rules::version))),
        )
        .filter(rules::program_id.eq(program_id))
        .filter(rules::slug.eq(slug))
        .select((RuleRow::as_select(), RuleVersionRow::as_select()))
        .first(conn)
        .optional()
}

/// A page of the program's rules with their current definitions, in creation order.
pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(RuleRow, RuleVersionRow)>> {
    let mut query = rules::table
        .inner_join(
            rule_versions::table.on(rule_versions::rule_id
                .eq(rules::id)
                .and(rule_versions::version.eq(rules::version))),
        )
        .filter(rules::program_id.eq(program_id))
        .filter(rules::id.gt(after.unwrap_or(0)))
        .order(rules::id)
        .limit(limit)
        .select((RuleRow::as_select(), RuleVersionRow::as_select()))
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(rules::status.eq(status.to_owned()));
    }
    query.load(conn)
}

/// Every version of a rule, newest first.
pub fn versions(conn: &mut DbConnection, rule_id: i64) -> QueryResult<Vec<RuleVersionRow>> {
    rule_versions::table
        .filter(rule_versions::rule_id.eq(rule_id))
        .order(rule_versions::version.desc())
        .select(RuleVersionRow::as_select())
        .load(conn)
}

/// The program's active rules with their current definitions.
pub fn active(
    conn: &mut DbConnection,
    program_id: i64,
) -> QueryResult<Vec<(RuleRow, RuleVersionRow)>> {
    list(conn, program_id, Some("active"), None, i64::MAX)
}
