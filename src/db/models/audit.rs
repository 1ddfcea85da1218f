//! The audit log: append-only (the database refuses UPDATE and DELETE).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{api_keys, audit_log, programs};
use crate::db::{DbConnection, coalesce};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub program_id: Option<i64>,
    pub actor: String,
    pub actor_label: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: String,
}

/// A row to append; its label is `actor_label`, or the name of the API key `label_key` when one
/// is given, read by the insert itself.
pub struct NewAuditRow<'a> {
    pub at: NaiveDateTime,
    pub program_id: Option<i64>,
    pub actor: &'a str,
    pub actor_label: &'a str,
    pub label_key: Option<i64>,
    pub action: &'a str,
    pub subject: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub request_id: &'a str,
}

pub fn insert(conn: &mut DbConnection, new: &NewAuditRow<'_>) -> QueryResult<()> {
    // A key id bound as NULL (no key) matches no row.
    let key_name = api_keys::table
        .filter(api_keys::id.nullable().eq(new.label_key))
        .select(api_keys::name)
        .single_value();
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(new.at),
            audit_log::program_id.eq(new.program_id),
            audit_log::actor.eq(new.actor),
            audit_log::actor_label.eq(coalesce(key_name, new.actor_label)),
            audit_log::action.eq(new.action),
            audit_log::subject.eq(new.subject),
            audit_log::before.eq(new.before),
            audit_log::after.eq(new.after),
            audit_log::request_id.eq(new.request_id),
        ))
        .execute(conn)
        .map(drop)
}

/// Which rows a reader asks for; `programs` limits them to those programs when given.
pub struct AuditFilter<'a> {
    pub programs: Option<&'a [i64]>,
    pub actor: Option<&'a str>,
    pub since: Option<NaiveDateTime>,
}

/// A page of rows with their program's slug, newest first, before the row `before`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter<'_>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(AuditRow, Option<String>)>> {
    let mut query = audit_log::table.left_join(programs::table).into_boxed();
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    if let Some(programs) = filter.programs {
        query = query.filter(audit_log::program_id.eq_any(programs));
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_log::actor.eq(actor));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_log::at.ge(since));
    }
    query
        .order(audit_log::id.desc())
        .limit(limit)
        .select((AuditRow::as_select(), programs::slug.nullable()))
        .load(conn)
}
