//! Admin accounts, managed by owners: create, list, change role and programs.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admins::{self, Account, ChangeAdmin, CreateAdmin};
use crate::api::audited;
use crate::api::extract::AdminUser;
use crate::api::json::Json;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::utc;
use crate::domain::AdminRole;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create).service(list).service(update);
}

/// An admin: never its password or its hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminView {
    pub id: i64,
    pub email: String,
    pub role: AdminRole,
    /// The slugs of the programs a manager or analyst works in; empty for an owner.
    pub programs: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Account> for AdminView {
    fn from(account: Account) -> Self {
        AdminView {
            id: account.id,
            email: account.email,
            role: account.role,
            programs: account.programs.into_iter().map(|(_, slug)| slug).collect(),
            created_at: utc(account.created_at),
        }
    }
}

/// Creates an admin (owners only): an `owner`, or a `manager` or `analyst` of named programs.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), request_body = CreateAdmin, responses(
    (status = 201, body = AdminView),
    (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A field is invalid: role, programs, email or password", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/admins")]
async fn create(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    body: Json<CreateAdmin>,
) -> AppResult<HttpResponse> {
    admin.require_owner()?;
    let body = body.into_inner()?;
    let audit = audited::by_admin(&req, &admin);
    let account = state
        .run(move |conn| admins::add(conn, &body, &audit))
        .await?;
    Ok(HttpResponse::Created().json(AdminView::from(account)))
}

/// Lists admins, oldest first (owners only).
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(PageParams), responses(
    (status = 200, body = Page<AdminView>),
    (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/admins")]
async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    admin.require_owner()?;
    let (after, limit) = (page.cursor_id()?, page.limit());
    let rows = state
        .run(move |conn| admins::list(conn, after, limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |a| a.id, AdminView::from)))
}

/// Changes an admin's role or programs (owners only). The last owner cannot be demoted.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("id" = i64, Path, description = "Admin id")),
    request_body = ChangeAdmin, responses(
    (status = 200, body = AdminView),
    (status = 403, description = "Not an owner", body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`last-owner`: it is the last owner", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/v1/admin/admins/{id}")]
async fn update(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<i64>,
    body: Json<ChangeAdmin>,
) -> AppResult<HttpResponse> {
    admin.require_owner()?;
    let body = body.into_inner()?;
    let id = path.into_inner();
    let audit = audited::by_admin(&req, &admin);
    let account = state
        .run(move |conn| admins::change(conn, id, &body, &audit))
        .await?;
    Ok(HttpResponse::Ok().json(AdminView::from(account)))
}
