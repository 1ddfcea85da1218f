//! Stored responses of idempotent requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::idempotency_keys;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = idempotency_keys)]
pub struct StoredRequest {
    pub id: i64,
    pub program_id: i64,
    pub idempotency_key: String,
    pub operation: String,
    pub request_digest: String,
    pub status_code: i32,
    pub response_body: String,
    pub entry_id: Option<i64>,
    pub created_at: NaiveDateTime,
    /// Who sent it: `key:ID`, `member:ID` or `admin:ID`.
    pub owner: String,
}

/// The stored request of `owner` (who sent it) with this key.
pub fn find(
    conn: &mut DbConnection,
    program_id: i64,
    owner: &str,
    key: &str,
) -> QueryResult<Option<StoredRequest>> {
    idempotency_keys::table
        .filter(idempotency_keys::program_id.eq(program_id))
        .filter(idempotency_keys::owner.eq(owner))
        .filter(idempotency_keys::idempotency_key.eq(key))
        .select(StoredRequest::as_select())
        .first(conn)
        .optional()
}

/// Claims a key before the request's work runs; the row is completed in the same transaction.
/// A concurrent claim of the same key waits for this transaction, then fails as a unique
/// violation.
pub fn claim(
    conn: &mut DbConnection,
    program_id: i64,
    owner: &str,
    key: &str,
    operation: &str,
    digest: &str,
    at: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::program_id.eq(program_id),
            idempotency_keys::owner.eq(owner),
            idempotency_keys::idempotency_key.eq(key),
            idempotency_keys::operation.eq(operation),
            idempotency_keys::request_digest.eq(digest),
            idempotency_keys::status_code.eq(0),
            idempotency_keys::response_body.eq(""),
            idempotency_keys::created_at.eq(at),
        ))
        .returning(idempotency_keys::id)
        .get_result(conn)
}

pub fn complete(
    conn: &mut DbConnection,
    id: i64,
    status: i32,
    body: &str,
    entry_id: Option<i64>,
) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find(id))
        .set((
            idempotency_keys::status_code.eq(status),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::entry_id.eq(entry_id),
        ))
        .execute(conn)
        .map(drop)
}
