//! Values the service keeps for itself.

use diesel::prelude::*;

use crate::db::schema::settings;
use crate::db::{DbConnection, now_utc};

/// Returns the stored value of `name`, storing `candidate` first if there is none. Safe when
/// several instances start at once: all of them end up with the first value stored.
pub fn get_or_insert(conn: &mut DbConnection, name: &str, candidate: &str) -> QueryResult<String> {
    if let Some(value) = get(conn, name)? {
        return Ok(value);
    }
    let inserted = diesel::insert_into(settings::table)
        .values((
            settings::name.eq(name),
            settings::value.eq(candidate),
            settings::created_at.eq(now_utc()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(candidate.to_owned()),
        Err(e) if crate::db::is_unique_violation(&e) => {
            get(conn, name)?.ok_or(diesel::result::Error::NotFound)
        }
        Err(e) => Err(e),
    }
}

pub fn get(conn: &mut DbConnection, name: &str) -> QueryResult<Option<String>> {
    settings::table
        .find(name)
        .select(settings::value)
        .first(conn)
        .optional()
}

/// Stores `value` under `name`, replacing the value stored before if any. Run it in a write
/// transaction: two writers at once could both find nothing to update.
pub fn put(conn: &mut DbConnection, name: &str, value: &str) -> QueryResult<()> {
    let updated = diesel::update(settings::table.find(name))
        .set(settings::value.eq(value))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(settings::table)
            .values((
                settings::name.eq(name),
                settings::value.eq(value),
                settings::created_at.eq(now_utc()),
            ))
            .execute(conn)?;
    }
    Ok(())
}
