//! People who run programs.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::admins;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = admins)]
pub struct Admin {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub created_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = admins)]
pub struct NewAdmin<'a> {
    pub email: &'a str,
    pub password_hash: &'a str,
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
