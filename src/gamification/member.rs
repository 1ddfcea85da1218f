//! What a member does in the game layer, in its own transaction.

use super::challenges;
use crate::db::{DbConn, now_utc};
use crate::error::AppResult;
use crate::idempotency::{self, Done, Keyed, Reply};
use crate::{members, programs};

/// Joins an opt-in challenge for its current window, as the member whose token calls, once
/// per idempotency key.
pub fn join_challenge(
    conn: &mut DbConn,
    program_id: i64,
    member_id: i64,
    slug: &str,
    keyed: Option<&Keyed>,
) -> AppResult<Reply> {
    idempotency::execute(conn, keyed, 200, |tx| {
        let member = members::require_own(tx, program_id, member_id)?;
        let program = programs::by_id(tx, program_id)?;
        Ok(Done {
            body: challenges::join(tx, &program, member.id, slug, now_utc())?,
            entry_id: None,
        })
    })
}
