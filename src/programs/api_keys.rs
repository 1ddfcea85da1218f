//! Issuing, limiting and revoking a program's storefront keys.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::audit::{Audit, Audited};
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
    /// Requests per second the key may send (1 to 100000); absent or `null`: no limit.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000)]
    pub rate_limit: Option<i64>,
}

/// Changes to a key: absent fields stay, a `null` `rate_limit` lifts the limit.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateApiKey {
    /// Requests per second the key may send (1 to 100000); `null`: no limit.
    #[serde(default, deserialize_with = "crate::json::present")]
    #[schema(value_type = Option<i64>, minimum = 1, maximum = 100_000)]
    pub rate_limit: Option<Option<i64>>,
}

/// The most requests per second a key can be given.
const MAX_RATE_LIMIT: i64 = 100_000;

fn rate_limit(value: Option<i64>) -> AppResult<Option<i32>> {
    value
        .map(|n| match i32::try_from(n) {
            Ok(n) if (1..=MAX_RATE_LIMIT).contains(&i64::from(n)) => Ok(n),
            _ => Err(AppError::invalid(
                "rate_limit",
                format!("rate_limit: must be from 1 to {MAX_RATE_LIMIT} requests per second, or null for no limit"),
            )),
        })
        .transpose()
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
/// `audit` is `None` for a key issued from the command line.
pub fn issue(
    conn: &mut DbConn,
    program_id: i64,
    admin_id: i64,
    input: &CreateApiKey,
    audit: Option<&Audit>,
) -> AppResult<(ApiKeyRow, String)> {
    let name = domain::text("name", &input.name, 100)?;
    let rate_limit = rate_limit(input.rate_limit)?;
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
        rate_limit,
    };
    let row = write_tx(conn, |tx| {
        let row = rows::insert(tx, &new)?;
        if let Some(audit) = audit {
            audit.changed(tx, Some(program_id), "api_key.issue", None, Some(&row))?;
        }
        Ok::<_, AppError>(row)
    })?;
    Ok((row, generated.key))
}

/// Changes a key; 404 if the program has no such key. A new limit applies from the key's next
/// request, on every instance.
pub fn update(
    conn: &mut DbConn,
    program_id: i64,
    id: i64,
    changes: &UpdateApiKey,
    audit: &Audit,
) -> AppResult<ApiKeyRow> {
    let Some(limit) = changes.rate_limit else {
        return rows::find(conn, program_id, id)?.ok_or_else(|| missing(id));
    };
    let limit = rate_limit(limit)?;
    write_tx(conn, |tx| {
        let before = rows::find(tx, program_id, id)?.ok_or_else(|| missing(id))?;
        let after = rows::set_rate_limit(tx, program_id, id, limit)?.ok_or_else(|| missing(id))?;
        audit.changed(
            tx,
            Some(program_id),
            "api_key.update",
            Some(&before),
            Some(&after),
        )?;
        Ok(after)
    })
}

/// Revokes a key at once; 404 if the program has no such key. Revoking it again changes
/// nothing.
pub fn revoke(conn: &mut DbConn, program_id: i64, id: i64, audit: &Audit) -> AppResult<ApiKeyRow> {
    write_tx(conn, |tx| {
        let before = rows::find(tx, program_id, id)?.ok_or_else(|| missing(id))?;
        let after = rows::revoke(tx, program_id, id, now_utc())?.ok_or_else(|| missing(id))?;
        if before.revoked_at.is_none() {
            audit.changed(
                tx,
                Some(program_id),
                "api_key.revoke",
                Some(&before),
                Some(&after),
            )?;
        }
        Ok(after)
    })
}

fn missing(id: i64) -> AppError {
    AppError::not_found(format!("no API key {id} in this program"))
}

/// A key as the audit log keeps it: never its secret or the secret's digest.
impl Audited for ApiKeyRow {
    fn subject(&self) -> String {
        format!("key:{}", self.id)
    }

    fn state(&self) -> AppResult<Value> {
        Ok(json!({
            "name": self.name,
            "prefix": self.prefix,
            "scopes": self.scopes.split_whitespace().collect::<Vec<_>>(),
            "rate_limit": self.rate_limit,
            "revoked_at": self.revoked_at,
        }))
    }
}

pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Vec<ApiKeyRow>> {
    Ok(rows::list(conn, program_id, after, limit)?)
}
