//! Extractors that authenticate a request: `AdminUser` (admin JWT), `MemberPrincipal` (member
//! JWT) and `Storefront` (API key). A handler that names one cannot run without it.

use std::collections::BTreeSet;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::admins;
use crate::auth::Scope;
use crate::auth::api_key;
use crate::auth::jwt::Audience;
use crate::db::models::api_keys;
use crate::domain::AdminRole;
use crate::error::AppError;
use crate::programs::Program;
use crate::state::AppState;

/// An admin, from an admin JWT, with its role and programs as they are now (read on every
/// request, so that a demotion takes effect at once). What it may do: `api::admin::access`.
#[derive(Debug, Clone)]
pub struct AdminUser {
    pub id: i64,
    pub email: String,
    pub role: AdminRole,
    /// The programs (id, slug) of a manager or analyst; none for an owner.
    pub programs: Vec<(i64, String)>,
}

/// A member, from a member JWT.
#[derive(Debug, Clone, Copy)]
pub struct MemberPrincipal {
    pub member_id: i64,
    pub program_id: i64,
}

/// A storefront, from its API key: the key's program and scopes.
#[derive(Debug, Clone)]
pub struct Storefront {
    pub key_id: i64,
    pub program_id: i64,
    /// The key's program, read with the key.
    pub program: Arc<Program>,
    pub scopes: BTreeSet<Scope>,
}

impl Storefront {
    /// Refuses with 403 unless the key carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        if self.scopes.contains(&scope) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "this API key lacks the `{scope}` scope"
            )))
        }
    }
}

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("application state is missing")))
}

fn bearer_token(req: &HttpRequest) -> Result<&str, AppError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        AppError::Unauthorized("an `Authorization: Bearer <token>` header is required".into())
    })?;
    value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            AppError::Unauthorized("the Authorization header must be `Bearer <token>`".into())
        })
}

fn verified_claims(
    req: &HttpRequest,
    audience: Audience,
) -> Result<crate::auth::jwt::Claims, AppError> {
    let state = state(req)?;
    let token = bearer_token(req)?;
    state
        .tokens
        .verify(token, audience)
        .map_err(AppError::Unauthorized)
}

impl FromRequest for AdminUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = verified_claims(req, Audience::Admin).and_then(|claims| {
            claims
                .sub
                .parse::<i64>()
                .map_err(|_| AppError::Unauthorized("the token's subject is invalid".into()))
        });
        let state = state(req);
        Box::pin(async move {
            let (id, state) = (id?, state?);
            let account = state
                .run(move |conn| admins::find(conn, id))
                .await?
                .ok_or_else(|| {
                    AppError::Unauthorized("the token's admin no longer exists".into())
                })?;
            Ok(AdminUser {
                id: account.id,
                email: account.email,
                role: account.role,
                programs: account.programs,
            })
        })
    }
}

impl FromRequest for MemberPrincipal {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(verified_claims(req, Audience::Member).and_then(|claims| {
            let invalid = || AppError::Unauthorized("the token's subject is invalid".into());
            let member_id = claims.sub.parse().map_err(|_| invalid())?;
            let program_id = claims.prg.ok_or_else(invalid)?;
            Ok(MemberPrincipal {
                member_id,
                program_id,
            })
        }))
    }
}

impl FromRequest for Storefront {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let presented = req
            .headers()
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let state = state(req);
        let req = req.clone();
        Box::pin(async move {
            let state = state?;
            let key = presented.ok_or_else(|| {
                AppError::Unauthorized("an `X-Api-Key` header is required".into())
            })?;
            let invalid = || AppError::Unauthorized("the API key is invalid or revoked".into());
            let prefix = api_key::prefix_of(&key).ok_or_else(invalid)?.to_owned();
            let (row, program) = state
                .run(move |conn| Ok(api_keys::find_active_by_prefix(conn, &prefix)?))
                .await?
                .filter(|(row, _)| api_key::matches(&key, &row.secret_digest))
                .ok_or_else(invalid)?;
            // The database holds limits from 1 to 100000, or NULL for none.
            let limit = row.rate_limit.and_then(|n| u32::try_from(n).ok());
            if let Some(per_second) = limit.and_then(NonZeroU32::new) {
                let usage = state
                    .key_limits
                    .check(row.id, per_second)
                    .map_err(AppError::RateLimited)?;
                req.extensions_mut().insert(usage);
            }
            let scopes = row
                .scopes
                .split_whitespace()
                .filter_map(|s| s.parse().ok())
                .collect();
            Ok(Storefront {
                key_id: row.id,
                program_id: row.program_id,
                program: Arc::new(Program::try_from(program)?),
                scopes,
            })
        })
    }
}
