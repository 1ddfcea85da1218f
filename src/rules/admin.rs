//! What an admin does to a program's rules, each in its own transaction with its audit row.

use serde_json::{Value, json};

use super::{NewRule, Rule, RuleStatus};
use crate::audit::{self, Audit, Change};
use crate::db::{DbConn, DbConnection, now_utc, write_tx};
use crate::engine::rule::RuleDefinition;
use crate::error::AppResult;
use crate::programs;

/// Creates a rule in the program with this slug.
pub fn create(
    conn: &mut DbConn,
    program: &str,
    new: &NewRule,
    admin_id: Option<i64>,
    audit: &Audit,
) -> AppResult<Rule> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let rule = super::create(tx, &program, new, admin_id, now_utc())?;
        record(tx, audit, program.id, "rule.create", None, &rule)?;
        Ok(rule)
    })
}

/// Replaces a rule's definition with a new version.
pub fn update(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    definition: &RuleDefinition,
    admin_id: Option<i64>,
    audit: &Audit,
) -> AppResult<Rule> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let before = state(&super::require(tx, program.id, slug)?)?;
        let rule = super::update(tx, &program, slug, definition, admin_id, now_utc())?;
        record(tx, audit, program.id, "rule.update", Some(before), &rule)?;
        Ok(rule)
    })
}

/// Disables or enables a rule.
pub fn set_status(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    status: RuleStatus,
    audit: &Audit,
) -> AppResult<Rule> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let before = state(&super::require(tx, program.id, slug)?)?;
        let rule = super::set_status(tx, &program, slug, status, now_utc())?;
        let action = match status {
            RuleStatus::Active => "rule.enable",
            RuleStatus::Disabled => "rule.disable",
        };
        record(tx, audit, program.id, action, Some(before), &rule)?;
        Ok(rule)
    })
}

/// A rule as the audit log keeps it.
fn state(rule: &Rule) -> AppResult<Value> {
    Ok(json!({
        "version": rule.row.version,
        "status": rule.row.status,
        "definition": audit::snapshot(&rule.definition)?,
    }))
}

fn record(
    tx: &mut DbConnection,
    audit: &Audit,
    program_id: i64,
    action: &str,
    before: Option<Value>,
    rule: &Rule,
) -> AppResult<()> {
    let change = Change {
        program_id: Some(program_id),
        action,
        subject: &rule.row.slug,
        before,
        after: Some(state(rule)?),
    };
    audit.record(tx, change)
}
