//! Issuing and revoking a program's storefront keys.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Scope, api_key};
use crate::db::models::api_keys::{self as rows, ApiKeyRow, NewApiKey};
use crate::db::{DbConn, DbConnection, now_utc, write_tx};
use crate::domain;
use crate::error::{AppError, AppResult};

/// A key to create.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// What the key is for, e.g. `web storefront`.
    pub name: String,
    /// What the key may do: `members:read`, `members:write`, `events:write`, `points:redeem`,
    /// `points:adjust`.
    pub scopes: Vec<String>,
}

fn parse_scopes(scopes: &[String]) -> AppResult<Vec<Scope>> {
    if scopes.is_empty() {
        return Err(AppError::invalid(
            "scopes",
            "scopes: give at least one scope",
        ));
    }
    let mut parsed = scopes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.parse::<Scope>()
                .map_err(|e| AppError::invalid(format!("scopes[{i}]"), format!("scopes[{i}]: {e}")))
        })
        .collect::<AppResult<Vec<_>>>()?;
    parsed.sort();
    parsed.dedup();
    Ok(parsed)
}

/// Issues a key for the program; returns the stored row and the key, which is never stored.
pub fn issue(
    conn: &mut DbConn,
    program_id: i64,
    admin_id: i64,
    input: &CreateApiKey,
) -> AppResult<(ApiKeyRow, String)> {
    let name = domain::text("name", &input.name, 100)?;
    let scopes: Vec<&str> = parse_scopes(&input.scopes)?
        .into_iter()
        .map(Scope::as_str)
        .collect();
    let generated = api_key::generate();
    let scopes = scopes.join(" ");
    let new = NewApiKey {
        program_id,
        name: &name,
        prefix: &generated.prefix,
        secret_digest: &generated.digest,
        scopes: &scopes,
        created_by: Some(admin_id),
        created_at: now_utc(),
    };
    let row = write_tx(conn, |conn| rows::insert(conn, &new))?;
    Ok((row, generated.key))
}

/// Revokes a key at once; 404 if the program has no such key.
pub fn revoke(conn: &mut DbConn, program_id: i64, id: i64) -> AppResult<ApiKeyRow> {
    write_tx(conn, |conn| rows::revoke(conn, program_id, id, now_utc()))?
        .ok_or_else(|| AppError::not_found(format!("no API key {id} in this program")))
}

pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Vec<ApiKeyRow>> {
    Ok(rows::list(conn, program_id, after, limit)?)
}
