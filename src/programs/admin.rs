//! What an admin does to programs, each in its own transaction with its audit row.

use serde_json::{Value, json};

use super::{CreateProgram, Program, UpdateProgram};
use crate::audit::{Audit, Audited};
use crate::db::{DbConn, write_tx};
use crate::engine::tiers::TierPolicy;
use crate::error::AppResult;

/// Creates a program; 409 `program-exists` if the slug is taken.
pub fn create(conn: &mut DbConn, input: &CreateProgram, audit: &Audit) -> AppResult<Program> {
    write_tx(conn, |tx| {
        let program = super::insert(tx, input)?;
        audit.changed(tx, Some(program.id), "program.create", None, Some(&program))?;
        Ok(program)
    })
}

/// Changes a program's settings.
pub fn update(
    conn: &mut DbConn,
    slug: &str,
    input: &UpdateProgram,
    audit: &Audit,
) -> AppResult<Program> {
    write_tx(conn, |tx| {
        let before = super::require(tx, slug)?;
        let program = super::apply_changes(tx, &before, input)?;
        audit.changed(
            tx,
            Some(program.id),
            "program.update",
            Some(&before),
            Some(&program),
        )?;
        Ok(program)
    })
}

/// Replaces the program's tier ladder (`tiers.set`), or removes it (`tiers.remove`).
pub fn set_tiers(
    conn: &mut DbConn,
    slug: &str,
    policy: Option<&TierPolicy>,
    audit: &Audit,
) -> AppResult<Program> {
    write_tx(conn, |tx| {
        let before = super::require(tx, slug)?;
        let program = super::apply_tiers(tx, &before, policy)?;
        let action = if policy.is_some() {
            "tiers.set"
        } else {
            "tiers.remove"
        };
        audit.changed(tx, Some(program.id), action, Some(&before), Some(&program))?;
        Ok(program)
    })
}

impl Audited for Program {
    fn subject(&self) -> String {
        self.slug.clone()
    }

    fn state(&self) -> AppResult<Value> {
        Ok(json!({
            "name": self.name,
            "time_zone": self.time_zone.name(),
            "currency": self.currency.code,
            "point_name": self.point_name,
            "point_value": self.point_value.to_string(),
            "auto_enrol": self.auto_enrol,
            "tiers": self.tiers,
            "expiry": self.expiry,
            "birthday": self.birthday,
            "analytics": self.analytics,
        }))
    }
}
