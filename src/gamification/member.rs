//! What a member does in the game layer, in its own transaction.

use super::challenges::{self, MemberChallengeView};
use crate::db::{DbConn, now_utc, write_tx};
use crate::error::AppResult;
use crate::{members, programs};

/// Joins an opt-in challenge for its current window, as the member whose token calls.
pub fn join_challenge(
    conn: &mut DbConn,
    program_id: i64,
    member_id: i64,
    slug: &str,
) -> AppResult<MemberChallengeView> {
    write_tx(conn, |tx| {
        let member = members::require_own(tx, program_id, member_id)?;
        let program = programs::by_id(tx, program_id)?;
        challenges::join(tx, &program, member.id, slug, now_utc())
    })
}
