//! Creating, listing and changing programs.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::AdminUser;
use crate::api::json::Json;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::ProgramView;
use crate::error::{AppResult, Problem};
use crate::programs::{self, CreateProgram, UpdateProgram};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(show)
        .service(update);
}

/// Creates a program (owners only).
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), request_body = CreateProgram, responses(
    (status = 201, body = ProgramView),
    (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A field is invalid", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs")]
async fn create(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    body: Json<CreateProgram>,
) -> AppResult<HttpResponse> {
    admin.require_owner()?;
    let body = body.into_inner()?;
    let audit = audited::by_admin(&req, &admin);
    let program = state
        .run(move |conn| programs::admin::create(conn, &body, &audit))
        .await?;
    Ok(HttpResponse::Created().json(ProgramView::from(program)))
}

/// Lists the programs the admin may see, oldest first.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(PageParams), responses(
    (status = 200, body = Page<ProgramView>),
))]
#[get("/v1/admin/programs")]
async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let only = admin.visible_programs();
    let (after, limit) = (page.cursor_id()?, page.limit());
    let rows = state
        .run(move |conn| programs::list(conn, only.as_deref(), after, limit + 1))
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |p| p.id, ProgramView::from)))
}

/// One program.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")), responses(
    (status = 200, body = ProgramView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}")]
async fn show(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let program = state
        .run(move |conn| programs::require(conn, &path))
        .await?;
    Ok(HttpResponse::Ok().json(ProgramView::from(program)))
}

/// Changes a program's name, time zone, point name or point value.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = UpdateProgram, responses(
    (status = 200, body = ProgramView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/v1/admin/programs/{program}")]
async fn update(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<UpdateProgram>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path)?;
    let body = body.into_inner()?;
    let audit = audited::by_admin(&req, &admin);
    let program = state
        .run(move |conn| programs::admin::update(conn, &path, &body, &audit))
        .await?;
    Ok(HttpResponse::Ok().json(ProgramView::from(program)))
}
