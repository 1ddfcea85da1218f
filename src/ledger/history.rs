//! Reading a member's ledger.

use crate::db::DbConnection;
use crate::db::models::ledger::{self as rows, EntryRow};
use crate::error::AppResult;

/// An entry with what caused it, by the names people use.
pub struct HistoryEntry {
    pub entry: EntryRow,
    /// The storefront's id of the event behind the entry.
    pub event: Option<String>,
    /// The slug of the rule behind the entry.
    pub rule: Option<String>,
}

/// Up to `limit` entries of a member, newest first, older than the entry `before`. Pages stay
/// stable while new entries arrive, because they are cut by entry id.
pub fn page(
    conn: &mut DbConnection,
    member_id: i64,
    before: Option<i64>,
    limit: i64,
) -> AppResult<Vec<HistoryEntry>> {
    Ok(rows::entries_page(conn, member_id, before, limit)?
        .into_iter()
        .map(|(entry, event, rule)| HistoryEntry { entry, event, rule })
        .collect())
}
