//! What an admin does to a program's rules, each in its own transaction.

use super::{NewRule, Rule, RuleStatus};
use crate::db::{DbConn, now_utc, write_tx};
use crate::engine::rule::RuleDefinition;
use crate::error::AppResult;
use crate::programs;

/// Creates a rule in the program with this slug.
pub fn create(
    conn: &mut DbConn,
    program: &str,
    new: &NewRule,
    admin_id: Option<i64>,
) -> AppResult<Rule> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        super::create(tx, &program, new, admin_id, now_utc())
    })
}

/// Replaces a rule's definition with a new version.
pub fn update(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    definition: &RuleDefinition,
    admin_id: Option<i64>,
) -> AppResult<Rule> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        super::update(tx, &program, slug, definition, admin_id, now_utc())
    })
}

/// Disables or enables a rule.
pub fn set_status(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    status: RuleStatus,
) -> AppResult<Rule> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        super::set_status(tx, &program, slug, status, now_utc())
    })
}
