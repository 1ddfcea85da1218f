//! A program's storefront keys.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::AdminUser;
use crate::api::json::Json;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::ApiKeyView;
use crate::error::{AppResult, Problem};
use crate::programs::{self, api_keys, api_keys::CreateApiKey, api_keys::UpdateApiKey};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(update)
        .service(revoke);
}

/// A new key: the only time `key` is shown.
#[derive(Serialize, ToSchema)]
struct CreatedApiKey {
    id: i64,
    /// The secret key, for the `X-Api-Key` header. Store it now: it cannot be shown again.
    key: String,
    name: String,
    prefix: String,
    scopes: Vec<String>,
    /// Requests per second the key may send; `null`: no limit.
    rate_limit: Option<i32>,
    created_at: DateTime<Utc>,
}

/// Issues a storefront key for the program.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = CreateApiKey, responses(
    (status = 201, body = CreatedApiKey),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/api-keys")]
async fn create(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<CreateApiKey>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path)?;
    let body = body.into_inner()?;
    let audit = audited::by_admin(&req, &admin);
    let (row, key) = state
        .run(move |conn| {
            let program = programs::require(conn, &path)?;
            api_keys::issue(conn, program.id, admin.id, &body, Some(&audit))
        })
        .await?;
    let view = ApiKeyView::from(row);
    Ok(HttpResponse::Created().json(CreatedApiKey {
        id: view.id,
        key,
        name: view.name,
        prefix: view.prefix,
        scopes: view.scopes,
        rate_limit: view.rate_limit,
        created_at: view.created_at,
    }))
}

/// Lists the program's keys (without secrets), revoked ones included.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), PageParams), responses(
    (status = 200, body = Page<ApiKeyView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/api-keys")]
async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let (after, limit) = (page.cursor_id()?, page.limit());
    let rows = state
        .run(move |conn| {
            let program = programs::require(conn, &path)?;
            api_keys::list(conn, program.id, after, limit + 1)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |k| k.id, ApiKeyView::from)))
}

/// Changes a key's `rate_limit` (`null` lifts it); it applies from the key's next request.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("id" = i64, Path, description = "Key id")),
    request_body = UpdateApiKey, responses(
    (status = 200, body = ApiKeyView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/v1/admin/programs/{program}/api-keys/{id}")]
async fn update(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, i64)>,
    body: Json<UpdateApiKey>,
) -> AppResult<HttpResponse> {
    let (slug, id) = path.into_inner();
    admin.require_change(&slug)?;
    let body = body.into_inner()?;
    let audit = audited::by_admin(&req, &admin);
    let row = state
        .run(move |conn| {
            let program = programs::require(conn, &slug)?;
            api_keys::update(conn, program.id, id, &body, &audit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ApiKeyView::from(row)))
}

/// Revokes a key: it stops working at once.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("id" = i64, Path, description = "Key id")), responses(
    (status = 200, body = ApiKeyView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[delete("/v1/admin/programs/{program}/api-keys/{id}")]
async fn revoke(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, i64)>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let (slug, id) = path.into_inner();
    let audit = audited::by_admin(&req, &admin);
    let row = state
        .run(move |conn| {
            let program = programs::require(conn, &slug)?;
            api_keys::revoke(conn, program.id, id, &audit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ApiKeyView::from(row)))
}
