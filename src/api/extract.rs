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
use crate::auth::key_limit::Usage;
use crate::db::DbConn;
use crate::db::models::api_keys::{self, ApiKeyRow, KeyState};
use crate::db::models::programs::ProgramRow;
use crate::domain::AdminRole;
use crate::error::{AppError, AppResult};
use crate::programs::Program;
use crate::programs::key_cache::{self, Confirmed, KeyCheck, VerifiedKey};
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
    pub scopes: BTreeSet<Scope>,
}

impl Storefront {
    /// Refuses with 403 unless the key carries `scope`.
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        require(&self.scopes, scope)
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

    /// Confirms the key with the database for this request: one statement, and no hash when
    /// this process verified the key before.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = state_and_key(req);
        let req = req.clone();
        Box::pin(async move {
            let (state, presented) = found?;
            let known = state.keys.get(&presented).map(|k| k.key_id);
            let key = verify(&state, presented, known).await?;
            limit(&state, &req, &key)?;
            Ok(Storefront {
                key_id: key.key_id,
                program_id: key.program.id,
                scopes: key.scopes.clone(),
            })
        })
    }
}

/// A storefront key as this process last verified it, not yet confirmed for this request:
/// the request's work confirms it in one of its own statements ([`CachedKey::run`]), so that
/// the request takes one hop to the database and no statement for the key. A key this process
/// has not seen is verified first, as [`Storefront`] does.
pub struct CachedKey {
    presented: String,
    key: Arc<VerifiedKey>,
    req: HttpRequest,
}

impl FromRequest for CachedKey {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = state_and_key(req);
        let req = req.clone();
        Box::pin(async move {
            let (state, presented) = found?;
            let key = match state.keys.get(&presented) {
                // A refusal is only ever made on the key's row as it is now.
                Some(key) if limit(&state, &req, &key).is_ok() => key,
                known => {
                    let key = verify(&state, presented.clone(), known.map(|k| k.key_id)).await?;
                    limit(&state, &req, &key)?;
                    key
                }
            };
            Ok(CachedKey {
                presented,
                key,
                req,
            })
        })
    }
}

impl CachedKey {
    /// The key's id.
    pub fn key_id(&self) -> i64 {
        self.key.key_id
    }

    /// The key's program's id.
    pub fn program_id(&self) -> i64 {
        self.key.program.id
    }

    /// Refuses with 403 unless the key carries `scope`, as its row says now when this process
    /// last saw it without: for a route that checks its body after its caller, before its work.
    pub async fn require(&mut self, state: &web::Data<AppState>, scope: Scope) -> AppResult<()> {
        if !self.key.scopes.contains(&scope) {
            let key = verify(state, self.presented.clone(), Some(self.key.key_id)).await?;
            self.req.extensions_mut().remove::<Usage>();
            limit(state, &self.req, &key)?;
            self.key = key;
        }
        require(&self.key.scopes, scope)
    }

    /// Runs `work` with the key (and its program) in one hop to the database; `work` returns the
    /// key's state, read by one of its own statements, beside its answer. The answer stands if
    /// the key is unchanged; a revoked key is refused, and a changed one (scopes, limit, program
    /// configuration) is verified afresh, the work done again and the request counted against
    /// the key's limit as it is now. Work that writes commits only when the state it read is
    /// the one the key was verified with (`VerifiedKey::confirm`), and rolls back otherwise.
    pub async fn run<T, F>(self, state: &web::Data<AppState>, scope: Scope, work: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConn, &VerifiedKey) -> AppResult<(KeyState, AppResult<T>)> + Send + 'static,
    {
        let CachedKey {
            presented,
            key: cached,
            req,
        } = self;
        let shared = state.clone();
        let first = cached.clone();
        let (answer, key) = state
            .run(move |conn| {
                let mut key = first;
                if !key.scopes.contains(&scope) {
                    key = reverify(conn, &shared, &presented, key.key_id)?;
                }
                // Twice at most: a key that changes between its check and the read again is
                // being changed as we speak, and the client may retry.
                for _ in 0..2 {
                    require(&key.scopes, scope)?;
                    let (now, answer) = work(conn, &key)?;
                    match key.confirm(&now) {
                        Confirmed::Same => return Ok((answer, key)),
                        Confirmed::Revoked => {
                            shared.keys.forget(&presented);
                            return Err(invalid_key());
                        }
                        Confirmed::Changed => {
                            key = reverify(conn, &shared, &presented, key.key_id)?;
                        }
                    }
                }
                Err(KeyCheck::changed())
            })
            .await?;
        if !Arc::ptr_eq(&key, &cached) {
            req.extensions_mut().remove::<Usage>();
            limit(state, &req, &key)?;
        }
        answer
    }
}

/// The application state and the `X-Api-Key` the request presents.
fn state_and_key(req: &HttpRequest) -> Result<(web::Data<AppState>, String), AppError> {
    Ok((state(req)?, presented_key(req)?))
}

fn presented_key(req: &HttpRequest) -> Result<String, AppError> {
    req.headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .ok_or_else(|| AppError::Unauthorized("an `X-Api-Key` header is required".into()))
}

fn invalid_key() -> AppError {
    AppError::Unauthorized("the API key is invalid or revoked".into())
}

fn require(scopes: &BTreeSet<Scope>, scope: Scope) -> Result<(), AppError> {
    if scopes.contains(&scope) {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "this API key lacks the `{scope}` scope"
        )))
    }
}

/// Verifies a presented key with one statement and remembers it: by its id when this process
/// verified it before (`known`), else by its prefix and its digest.
async fn verify(
    state: &web::Data<AppState>,
    presented: String,
    known: Option<i64>,
) -> AppResult<Arc<VerifiedKey>> {
    let shared = state.clone();
    state
        .run(move |conn| match known {
            Some(id) => reverify(conn, &shared, &presented, id),
            None => {
                let prefix = api_key::prefix_of(&presented).ok_or_else(invalid_key)?;
                let found = api_keys::find_active_by_prefix(conn, prefix)?
                    .filter(|(row, _)| api_key::matches(&presented, &row.secret_digest))
                    .ok_or_else(invalid_key)?;
                remember(&shared, &presented, found)
            }
        })
        .await
}

/// Reads a key this process verified before by its id (its digest matched then and never
/// changes), and remembers it as it is now; forgets it if it is revoked.
fn reverify(
    conn: &mut DbConn,
    state: &AppState,
    presented: &str,
    id: i64,
) -> AppResult<Arc<VerifiedKey>> {
    match api_keys::find_active_by_id(conn, id)? {
        Some(found) => remember(state, presented, found),
        None => {
            state.keys.forget(presented);
            Err(invalid_key())
        }
    }
}

fn remember(
    state: &AppState,
    presented: &str,
    (row, program): (ApiKeyRow, ProgramRow),
) -> AppResult<Arc<VerifiedKey>> {
    let key = Arc::new(VerifiedKey {
        key_id: row.id,
        program: Arc::new(Program::try_from(program)?),
        scopes: key_cache::parse_scopes(&row.scopes),
        // The database holds limits from 1 to 100000, or NULL for none.
        rate_limit: row
            .rate_limit
            .and_then(|n| u32::try_from(n).ok())
            .and_then(NonZeroU32::new),
    });
    state.keys.remember(presented, key.clone());
    Ok(key)
}

/// Counts the request against the key's limit, if it has one; the usage goes to the
/// response's `RateLimit` headers.
fn limit(state: &AppState, req: &HttpRequest, key: &VerifiedKey) -> Result<(), AppError> {
    if let Some(per_second) = key.rate_limit {
        let usage = state
            .key_limits
            .check(key.key_id, per_second)
            .map_err(AppError::RateLimited)?;
        req.extensions_mut().insert(usage);
    }
    Ok(())
}
