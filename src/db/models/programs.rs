//! Loyalty programs: one per brand; everything else belongs to exactly one.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::programs;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = programs)]
pub struct ProgramRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub time_zone: String,
    pub currency: String,
    pub point_name: String,
    pub point_value: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub auto_enrol: bool,
    pub config_version: i64,
    pub tier_policy: Option<String>,
    pub expiry_policy: Option<String>,
    pub birthday_policy: Option<String>,
    pub analytics_settings: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = programs)]
pub struct NewProgram<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub time_zone: &'a str,
    pub currency: &'a str,
    pub point_name: &'a str,
    pub point_value: &'a str,
    pub auto_enrol: bool,
    pub expiry_policy: Option<&'a str>,
    pub birthday_policy: Option<&'a str>,
    pub analytics_settings: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// The columns an admin may change; `None` leaves a column as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = programs)]
pub struct ProgramChanges<'a> {
    pub name: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    pub point_name: Option<&'a str>,
    pub point_value: Option<&'a str>,
    pub auto_enrol: Option<bool>,
    pub tier_policy: Option<Option<&'a str>>,
    pub expiry_policy: Option<Option<&'a str>>,
    pub birthday_policy: Option<Option<&'a str>>,
    pub analytics_settings: Option<Option<&'a str>>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, new: &NewProgram<'_>) -> QueryResult<ProgramRow> {
    diesel::insert_into(programs::table)
        .values(new)
        .returning(programs::all_columns)
        .get_result(conn)
}

pub fn update(
    conn: &mut DbConnection,
    id: i64,
    changes: &ProgramChanges<'_>,
) -> QueryResult<ProgramRow> {
    diesel::update(programs::table.find(id))
        .set(changes)
        .returning(programs::all_columns)
        .get_result(conn)
}

pub fn find_by_slug(conn: &mut DbConnection, slug: &str) -> QueryResult<Option<ProgramRow>> {
    programs::table
        .filter(programs::slug.eq(slug))
        .select(ProgramRow::as_select())
        .first(conn)
        .optional()
}

/// The ids and slugs of the programs among `slugs` that exist.
pub fn ids_by_slug(conn: &mut DbConnection, slugs: &[String]) -> QueryResult<Vec<(i64, String)>> {
    programs::table
        .filter(programs::slug.eq_any(slugs))
        .order(programs::id)
        .select((programs::id, programs::slug))
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<ProgramRow> {
    programs::table
        .find(id)
        .select(ProgramRow::as_select())
        .first(conn)
}

/// A page of programs in creation order, after the id `after`.
/// A page of programs, oldest first; only those in `only` when given.
pub fn list(
    conn: &mut DbConnection,
    only: Option<&[i64]>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ProgramRow>> {
    let mut query = programs::table
        .filter(programs::id.gt(after.unwrap_or(0)))
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(programs::id.eq_any(ids));
    }
    query
        .order(programs::id)
        .limit(limit)
        .select(ProgramRow::as_select())
        .load(conn)
}

/// Records a configuration change (rules, tiers, ...), so cached copies are reloaded.
pub fn bump_config_version(conn: &mut DbConnection, id: i64) -> QueryResult<()> {
    diesel::update(programs::table.find(id))
        .set(programs::config_version.eq(programs::config_version + 1))
        .execute(conn)
        .map(drop)
}

/// Gives a program another slug.
pub fn rename(conn: &mut DbConnection, id: i64, slug: &str) -> QueryResult<()> {
    diesel::update(programs::table.find(id))
        .set((
            programs::slug.eq(slug),
            programs::config_version.eq(programs::config_version + 1),
        ))
        .execute(conn)
        .map(drop)
}
