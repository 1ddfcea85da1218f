//! Admin accounts: created from the command line, signed in with a password.

use crate::auth::password;
use crate::db::models::admins::{self as rows, Admin, NewAdmin};
use crate::db::{DbConn, is_unique_violation, now_utc, write_tx};
use crate::domain;
use crate::error::{AppError, AppResult, ErrorCode};

/// Creates an admin. Hashing costs tens of milliseconds: call this off the async threads.
pub fn create(conn: &mut DbConn, email: &str, password: &str) -> AppResult<Admin> {
    let email = domain::email("email", email)?;
    password::check_strength(password)
        .map_err(|e| AppError::invalid("password", format!("password: {e}")))?;
    let hash = password::hash(password)?;
    let new = NewAdmin {
        email: &email,
        password_hash: &hash,
        created_at: now_utc(),
    };
    write_tx(conn, |conn| match rows::insert(conn, &new) {
        Err(e) if is_unique_violation(&e) => Err(AppError::conflict(
            ErrorCode::AdminExists,
            format!("an admin with email `{email}` exists"),
        )),
        other => Ok(other?),
    })
}

/// The admin whose email and password these are, or `None`. Takes the same time whether or
/// not the email exists. Call it off the async threads.
pub fn authenticate(conn: &mut DbConn, email: &str, password: &str) -> AppResult<Option<Admin>> {
    match rows::find_by_email(conn, email.trim())? {
        Some(admin) if password::verify(password, &admin.password_hash) => Ok(Some(admin)),
        Some(_) => Ok(None),
        None => {
            password::verify_against_dummy(password);
            Ok(None)
        }
    }
}
