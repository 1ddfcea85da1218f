//! Reading a member's ledger.

use crate::db::DbConnection;
use crate::db::models::ledger::{self as rows, EntryRow};
use crate::error::AppResult;

/// Up to `limit` entries of a member, newest first, older than the entry `before`. Pages stay
/// stable while new entries arrive, because they are cut by entry id.
pub fn page(
    conn: &mut DbConnection,
    member_id: i64,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<EntryRow>> {
    Ok(rows::entries_page(conn, member_id, before, limit)?)
}
