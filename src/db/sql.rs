//! Small SQL helpers shared by the models.

use chrono::{NaiveDateTime, SubsecRound, Utc};
use diesel::result::{DatabaseErrorKind, Error};

diesel::define_sql_function! {
    /// SQL `lower(text)`, the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

diesel::define_sql_function! {
    /// SQL `coalesce(text, text)`: the first, unless it is NULL.
    fn coalesce(x: diesel::sql_types::Nullable<diesel::sql_types::Text>, y: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Whether a failed statement broke a unique constraint.
pub fn is_unique_violation(error: &Error) -> bool {
    matches!(
        error,
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
    )
}

/// The current UTC time at the precision both backends store (microseconds), so a value
/// written and read back compares equal.
pub fn now_utc() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// The earliest instant the service stores or asks about (PostgreSQL refuses
/// `crate::db::earliest()`): the Unix epoch.
pub fn earliest() -> NaiveDateTime {
    chrono::DateTime::UNIX_EPOCH.naive_utc()
}
