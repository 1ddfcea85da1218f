//! People who run programs, their roles and the programs a manager or analyst works in.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::{admin_programs, admins, programs};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = admins)]
pub struct Admin {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
    pub role: String,
}

#[derive(Insertable)]
#[diesel(table_name = admins)]
pub struct NewAdmin<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, new: &NewAdmin<'_>) -> QueryResult<Admin> {
    diesel::insert_into(admins::table)
        .values(new)
        .returning(admins::all_columns)
        .get_result(conn)
}

/// Finds an admin by email, ignoring case.
pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<Admin>> {
    admins::table
        .filter(admins::email.eq(email.to_lowercase()))
        .select(Admin::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Admin>> {
    admins::table
        .find(id)
        .select(Admin::as_select())
        .first(conn)
        .optional()
}

/// A page of admins, oldest first.
pub fn list(conn: &mut DbConnection, after: Option<i64>, limit: i64) -> QueryResult<Vec<Admin>> {
    admins::table
        .filter(admins::id.gt(after.unwrap_or(0)))
        .order(admins::id)
        .limit(limit)
        .select(Admin::as_select())
        .load(conn)
}

pub fn set_role(conn: &mut DbConnection, id: i64, role: &str) -> QueryResult<()> {
    diesel::update(admins::table.find(id))
        .set(admins::role.eq(role))
        .execute(conn)
        .map(drop)
}

/// The ids of the owners, locked on PostgreSQL until the transaction ends, so that two
/// owners demoting each other at once cannot leave none.
pub fn lock_owners(conn: &mut DbConnection) -> QueryResult<Vec<i64>> {
    let owners = admins::table
        .filter(admins::role.eq("owner"))
        .order(admins::id)
        .select(admins::id);
    match conn {
        DbConnection::Postgresql(pg) => owners.for_update().load(pg),
        // SQLite write transactions already hold the database's write lock.
        DbConnection::Sqlite(sqlite) => owners.load(sqlite),
    }
}

/// The programs (id and slug) of each admin in `ids`, by program id.
pub fn programs_of(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, i64, String)>> {
    admin_programs::table
        .inner_join(programs::table)
        .filter(admin_programs::admin_id.eq_any(ids))
        .order((admin_programs::admin_id, programs::id))
        .select((admin_programs::admin_id, programs::id, programs::slug))
        .load(conn)
}

/// Makes `program_ids` the admin's programs.
pub fn replace_programs(
    conn: &mut DbConnection,
    admin_id: i64,
    program_ids: &[i64],
) -> QueryResult<()> {
    diesel::delete(admin_programs::table.filter(admin_programs::admin_id.eq(admin_id)))
        .execute(conn)?;
    for &program_id in program_ids {
        diesel::insert_into(admin_programs::table)
            .values((
                admin_programs::admin_id.eq(admin_id),
                admin_programs::program_id.eq(program_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}
