//! Storefront API keys (the secret itself is never stored).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::programs::ProgramRow;
use crate::db::DbConnection;
use crate::db::schema::{api_keys, programs};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: i64,
    pub program_id: i64,
    pub name: String,
    pub prefix: String,
    pub secret_digest: String,
    pub scopes: String,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    /// Requests per second the key may send; `None`: no limit.
    pub rate_limit: Option<i32>,
}

#[derive(Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub program_id: i64,
    pub name: &'a str,
    pub prefix: &'a str,
    pub secret_digest: &'a str,
    pub scopes: &'a str,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub rate_limit: Option<i32>,
}

pub fn insert(conn: &mut DbConnection, new: &NewApiKey<'_>) -> QueryResult<ApiKeyRow> {
    diesel::insert_into(api_keys::table)
        .values(new)
        .returning(api_keys::all_columns)
        .get_result(conn)
}

/// The key with this prefix, unless it has been revoked, with its program: one statement.
pub fn find_active_by_prefix(
    conn: &mut DbConnection,
    prefix: &str,
) -> QueryResult<Option<(ApiKeyRow, ProgramRow)>> {
    api_keys::table
        .inner_join(programs::table)
        .filter(api_keys::prefix.eq(prefix))
        .filter(api_keys::revoked_at.is_null())
        .select((ApiKeyRow::as_select(), ProgramRow::as_select()))
        .first(conn)
        .optional()
}

/// The key with this id, unless it has been revoked, with its program: one statement.
pub fn find_active_by_id(
    conn: &mut DbConnection,
    id: i64,
) -> QueryResult<Option<(ApiKeyRow, ProgramRow)>> {
    api_keys::table
        .inner_join(programs::table)
        .filter(api_keys::id.eq(id))
        .filter(api_keys::revoked_at.is_null())
        .select((ApiKeyRow::as_select(), ProgramRow::as_select()))
        .first(conn)
        .optional()
}

/// What a key's row and its program say now, read by the statement a cached key serves, to
/// confirm that nothing changed since the key was verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// The key's scopes; `None` once it is revoked.
    pub scopes: Option<String>,
    pub rate_limit: Option<i32>,
    /// The key's program's configuration version.
    pub config_version: i64,
}

/// The key's state alone, for a statement that found nothing to carry it.
pub fn state(conn: &mut DbConnection, id: i64) -> QueryResult<KeyState> {
    let found = api_keys::table
        .inner_join(programs::table)
        .filter(api_keys::id.eq(id))
        .select((
            api_keys::revoked_at,
            api_keys::scopes,
            api_keys::rate_limit,
            programs::config_version,
        ))
        .first::<(Option<NaiveDateTime>, String, Option<i32>, i64)>(conn)
        .optional()?;
    Ok(match found {
        Some((None, scopes, rate_limit, config_version)) => KeyState {
            scopes: Some(scopes),
            rate_limit,
            config_version,
        },
        Some((Some(_), _, rate_limit, config_version)) => KeyState {
            scopes: None,
            rate_limit,
            config_version,
        },
        None => KeyState {
            scopes: None,
            rate_limit: None,
            config_version: 0,
        },
    })
}

/// A key of the program, revoked or not.
pub fn find(conn: &mut DbConnection, program_id: i64, id: i64) -> QueryResult<Option<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::id.eq(id))
        .filter(api_keys::program_id.eq(program_id))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ApiKeyRow>> {
    api_keys::table
        .filter(api_keys::program_id.eq(program_id))
        .filter(api_keys::id.gt(after.unwrap_or(0)))
        .order(api_keys::id)
        .limit(limit)
        .select(ApiKeyRow::as_select())
        .load(conn)
}

/// Revokes a key of the program (once: revoking again keeps the first time); returns it, or
/// `None` if the program has no such key.
pub fn revoke(
    conn: &mut DbConnection,
    program_id: i64,
    id: i64,
    at: NaiveDateTime,
) -> QueryResult<Option<ApiKeyRow>> {
    match find(conn, program_id, id)? {
        Some(key) if key.revoked_at.is_none() => diesel::update(api_keys::table.find(id))
            .set(api_keys::revoked_at.eq(at))
            .returning(api_keys::all_columns)
            .get_result(conn)
            .map(Some),
        other => Ok(other),
    }
}

/// Sets the request limit of a key of the program; returns it, or `None` if the program has no
/// such key.
pub fn set_rate_limit(
    conn: &mut DbConnection,
    program_id: i64,
    id: i64,
    rate_limit: Option<i32>,
) -> QueryResult<Option<ApiKeyRow>> {
    diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::program_id.eq(program_id)),
    )
    .set(api_keys::rate_limit.eq(rate_limit))
    .returning(api_keys::all_columns)
    .get_result(conn)
    .optional()
}
