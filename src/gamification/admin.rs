//! What an admin does to a program's game layer, each in its own transaction: badges,
//! challenges, streaks and leaderboards created, changed, disabled and enabled; a member's level
//! set by hand, with the tier badges it earns (here rather than in `tiers`, which the game layer
//! builds on).

use utoipa::ToSchema;

use super::elements::{self, Definition, Element, NewElement};
use super::{GameCache, badges};
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
) -> AppResult<Element<D>> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        elements::create(tx, &program, new, now_utc())
    })
}

/// Replaces an element's definition.
pub fn update_element<D: Definition>(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    definition: &D,
) -> AppResult<Element<D>> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        elements::update(tx, &program, slug, definition, now_utc())
    })
}

/// Disables or enables an element.
pub fn set_element_status<D: Definition>(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    status: RuleStatus,
) -> AppResult<Element<D>> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        elements::set_status::<D>(tx, &program, slug, status, now_utc())
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
        let member = members::require(tx, program.id, external_id)?;
        Ok((program, member))
    })
}
