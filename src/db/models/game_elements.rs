//! A program's badges, challenges, streaks and leaderboards: one row each, by kind and slug,
//! with its definition as JSON.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::game_elements;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = game_elements)]
pub struct ElementRow {
    pub id: i64,
    pub program_id: i64,
    pub kind: String,
    pub slug: String,
    pub status: String,
    pub definition: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(
    conn: &mut DbConnection,
    program_id: i64,
    kind: &str,
    slug: &str,
    definition: &str,
    at: NaiveDateTime,
) -> QueryResult<ElementRow> {
    diesel::insert_into(game_elements::table)
        .values((
            game_elements::program_id.eq(program_id),
            game_elements::kind.eq(kind),
            game_elements::slug.eq(slug),
            game_elements::status.eq("active"),
            game_elements::definition.eq(definition),
            game_elements::created_at.eq(at),
            game_elements::updated_at.eq(at),
        ))
        .returning(game_elements::all_columns)
        .get_result(conn)
}

/// Replaces an element's definition and status.
pub fn update(
    conn: &mut DbConnection,
    id: i64,
    definition: &str,
    status: &str,
    at: NaiveDateTime,
) -> QueryResult<ElementRow> {
    diesel::update(game_elements::table.find(id))
        .set((
            game_elements::definition.eq(definition),
            game_elements::status.eq(status),
            game_elements::updated_at.eq(at),
        ))
        .returning(game_elements::all_columns)
        .get_result(conn)
}

pub fn find(
    conn: &mut DbConnection,
    program_id: i64,
    kind: &str,
    slug: &str,
) -> QueryResult<Option<ElementRow>> {
    game_elements::table
        .filter(game_elements::program_id.eq(program_id))
        .filter(game_elements::kind.eq(kind))
        .filter(game_elements::slug.eq(slug))
        .select(ElementRow::as_select())
        .first(conn)
        .optional()
}

/// A page of the program's elements of a kind, in creation order, after the id `after`.
pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    kind: &str,
    status: Option<&str>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<ElementRow>> {
    let mut query = game_elements::table
        .filter(game_elements::program_id.eq(program_id))
        .filter(game_elements::kind.eq(kind))
        .filter(game_elements::id.gt(after.unwrap_or(0)))
        .order(game_elements::id)
        .limit(limit)
        .select(ElementRow::as_select())
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(game_elements::status.eq(status.to_owned()));
    }
    query.load(conn)
}

/// Every element of the program, all kinds, in creation order.
pub fn all(conn: &mut DbConnection, program_id: i64) -> QueryResult<Vec<ElementRow>> {
    game_elements::table
        .filter(game_elements::program_id.eq(program_id))
        .order(game_elements::id)
        .select(ElementRow::as_select())
        .load(conn)
}
