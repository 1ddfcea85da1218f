//! What an admin does to a program's game layer, each in its own transaction: badges,
//! challenges, streaks and leaderboards created, changed, disabled and enabled; a member's level
//! set by hand, with the tier badges it earns (here rather than in `tiers`, which the game layer
//! builds on).

use serde_json::{Value, json};
use utoipa::ToSchema;

use super::elements::{self, Definition, Element, NewElement};
use super::{GameCache, badges};
use crate::audit::{self, Audit, Audited};
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::db::{DbConn, now_utc, write_tx};
use crate::error::AppResult;
use crate::members;
use crate::programs::{self, Program};
use crate::rules::RuleStatus;
use crate::tiers::{self, ManualTier};

/// Creates an element in the program with this slug.
pub fn create_element<D: Definition + ToSchema>(
    conn: &mut DbConn,
    program: &str,
    new: &NewElement<D>,
    audit: &Audit,
) -> AppResult<Element<D>> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let element = elements::create(tx, &program, new, now_utc())?;
        audit.changed(
            tx,
            Some(program.id),
            &action::<D>("create"),
            None,
            Some(&element),
        )?;
        Ok(element)
    })
}

/// Replaces an element's definition.
pub fn update_element<D: Definition>(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    definition: &D,
    audit: &Audit,
) -> AppResult<Element<D>> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let before = elements::require::<D>(tx, program.id, slug)?;
        let element = elements::update(tx, &program, slug, definition, now_utc())?;
        let action = action::<D>("update");
        audit.changed(tx, Some(program.id), &action, Some(&before), Some(&element))?;
        Ok(element)
    })
}

/// Disables or enables an element.
pub fn set_element_status<D: Definition>(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    status: RuleStatus,
    audit: &Audit,
) -> AppResult<Element<D>> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let before = elements::require::<D>(tx, program.id, slug)?;
        let element = elements::set_status::<D>(tx, &program, slug, status, now_utc())?;
        let action = action::<D>(match status {
            RuleStatus::Active => "enable",
            RuleStatus::Disabled => "disable",
        });
        audit.changed(tx, Some(program.id), &action, Some(&before), Some(&element))?;
        Ok(element)
    })
}

/// Sets a member's level by hand and grants the badges for reaching it. Answers the program and
/// the member as they are after.
pub fn set_member_tier(
    conn: &mut DbConn,
    game: &GameCache,
    program: &str,
    external_id: &str,
    manual: &ManualTier<'_>,
    audit: &Audit,
) -> AppResult<(Program, MemberRow)> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let config = game.get(tx, &program)?;
        let found = members::require(tx, program.id, external_id)?;
        // Locked like any balance change, so a concurrent event sees the new level.
        let member = member_rows::lock(tx, found.id)?;
        let now = now_utc();
        tiers::set_by_admin(tx, &program, &member, manual, now)?;
        badges::after_tier_set(tx, &program, &config, member.id, now)?;
        let after = members::require(tx, program.id, external_id)?;
        audit.changed(
            tx,
            Some(program.id),
            "tier.assign",
            Some(&member),
            Some(&after),
        )?;
        Ok((program, after))
    })
}

/// `badge.create`, `streak.disable` and so on.
fn action<D: Definition>(verb: &str) -> String {
    format!("{}.{verb}", D::KIND.as_str())
}

impl<D: Definition> Audited for Element<D> {
    fn subject(&self) -> String {
        self.row.slug.clone()
    }

    fn state(&self) -> AppResult<Value> {
        Ok(json!({
            "status": self.row.status,
            "definition": audit::snapshot(&self.definition)?,
        }))
    }
}
