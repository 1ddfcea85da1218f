//! What an admin does to a program's rules, each in its own transaction with its audit row.

use serde_json::{Value, json};

use super::{NewRule, Rule, RuleStatus};
use crate::audit::{self, Audit, Audited};
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
    audit: &Audit,
) -> AppResult<Rule> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let rule = super::create(tx, &program, new, admin_id, now_utc())?;
        audit.changed(tx, Some(program.id), "rule.create", None, Some(&rule))?;
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
        let before = super::require(tx, program.id, slug)?;
        let rule = super::update(tx, &program, slug, definition, admin_id, now_utc())?;
        audit.changed(
            tx,
            Some(program.id),
            "rule.update",
            Some(&before),
            Some(&rule),
        )?;
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
        let before = super::require(tx, program.id, slug)?;
        let rule = super::set_status(tx, &program, slug, status, now_utc())?;
        let action = match status {
            RuleStatus::Active => "rule.enable",
            RuleStatus::Disabled => "rule.disable",
        };
        audit.changed(tx, Some(program.id), action, Some(&before), Some(&rule))?;
        Ok(rule)
    })
}

impl Audited for Rule {
    fn subject(&self) -> String {
        self.row.slug.clone()
    }

    fn state(&self) -> AppResult<Value> {
        Ok(json!({
            "version": self.row.version,
            "status": self.row.status,
            "definition": audit::snapshot(&self.definition)?,
        }))
    }
}
