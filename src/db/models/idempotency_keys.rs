//! Stored responses of idempotent requests.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use diesel::sql_types::BigInt;

use crate::db::DbConnection;
use crate::db::batch::{Bind, Raw};
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
/// `None` when the key is taken: by a request committed before this one (on PostgreSQL a
/// concurrent claim waits for the other transaction to end), or by one ahead of it in the same
/// transaction (SQLite's group commit). Either way its stored reply is there to read.
pub fn claim(
    conn: &mut DbConnection,
    program_id: i64,
    owner: &str,
    key: &str,
    operation: &str,
    digest: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<i64>> {
    #[derive(QueryableByName)]
    struct Claimed {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    Raw::new(
        "INSERT INTO idempotency_keys (program_id, owner, idempotency_key, operation, \
         request_digest, status_code, response_body, created_at) \
         VALUES (?, ?, ?, ?, ?, 0, '', ?) ON CONFLICT DO NOTHING RETURNING id",
        vec![
            Bind::BigInt(program_id),
            Bind::Text(owner.to_owned()),
            Bind::Text(key.to_owned()),
            Bind::Text(operation.to_owned()),
            Bind::Text(digest.to_owned()),
            Bind::At(at),
        ],
    )
    .get_result::<Claimed>(conn)
    .optional()
    .map(|claimed| claimed.map(|c| c.id))
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
