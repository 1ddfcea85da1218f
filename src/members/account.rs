//! Changing and closing a member's account, each in its own transaction; storefronts and admins
//! call them alike.

use super::UpdateMember;
use crate::db::models::members::MemberRow;
use crate::db::{DbConn, now_utc, write_tx};
use crate::error::AppResult;
use crate::ledger::posting::Cause;

/// Changes a member's profile or status (active or suspended).
pub fn update(
    conn: &mut DbConn,
    program_id: i64,
    external_id: &str,
    input: &UpdateMember,
) -> AppResult<MemberRow> {
    write_tx(conn, |tx| {
        super::update(tx, program_id, external_id, input, now_utc())
    })
}

/// Closes a member: personal data erased, points forfeited.
pub fn close(
    conn: &mut DbConn,
    program_id: i64,
    external_id: &str,
    cause: Cause,
) -> AppResult<MemberRow> {
    write_tx(conn, |tx| {
        super::close(tx, program_id, external_id, cause, now_utc())
    })
}
