//! A program's members, as admins see them: search, profile, status, ledger, adjustments.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::AdminUser;
use crate::api::json::Json;
use crate::api::member_actions::Mover;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::{EntryView, MemberView, PointsMovement};
use crate::api::{idempotent, member_actions};
use crate::db::models::members::MemberFilter;
use crate::domain::MemberStatus;
use crate::error::{AppResult, Problem};
use crate::idempotency::Caller;
use crate::ledger::posting::Cause;
use crate::members::points::{Actor, AdjustPoints};
use crate::members::{self, UpdateMember};
use crate::programs;
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list)
        .service(show)
        .service(update)
        .service(close)
        .service(ledger)
        .service(adjust);
}

async fn program_id(state: &web::Data<AppState>, slug: String) -> AppResult<i64> {
    state
        .run(move |conn| Ok(programs::require(conn, &slug)?.id))
        .await
}

/// Search and page parameters of the member list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct MemberSearch {
    /// Matches the start of the external id or email, or any part of the name (any case).
    q: Option<String>,
    status: Option<MemberStatus>,
    /// Items per page: 50 by default, at most 200 (larger values are capped).
    pub(crate) limit: Option<i64>,
    /// The `next_cursor` of the previous page (digits); empty for the first page.
    #[param(pattern = r"^([0-9]{1,18})?$")]
    pub(crate) cursor: Option<String>,
}

/// The program's members in enrolment order, optionally searched and filtered by status.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), MemberSearch), responses(
    (status = 200, body = Page<MemberView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/members")]
async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    search: Query<MemberSearch>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let search = search.0;
    let page = PageParams {
        limit: search.limit,
        cursor: search.cursor,
    };
    let (after, limit) = (page.cursor_id()?, page.limit());
    let slug = path.into_inner();
    let rows = state
        .run(move |conn| {
            let program = programs::require(conn, &slug)?;
            let filter = MemberFilter {
                query: search.q.as_deref(),
                status: search.status,
            };
            members::list(conn, program.id, &filter, after, limit + 1)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |m| m.id,
        |m| MemberView::new(m, None),
    )))
}

/// One member with its balance.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("external_id" = String, Path)), responses(
    (status = 200, body = MemberView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/members/{external_id}")]
async fn show(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path.0)?;
    let (slug, external_id) = path.into_inner();
    let program_id = program_id(&state, slug).await?;
    Ok(HttpResponse::Ok().json(member_actions::show(&state, program_id, external_id).await?))
}

/// Changes a member's profile or status (`active` / `suspended`). Accepts `Idempotency-Key`.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer"), ("program" = String, Path, description = "Program slug"), ("external_id" = String, Path)),
    request_body = UpdateMember, responses(
    (status = 200, body = MemberView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[patch("/v1/admin/programs/{program}/members/{external_id}")]
async fn update(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Json<UpdateMember>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let body = body.into_inner()?;
    let (slug, external_id) = path.into_inner();
    let program_id = program_id(&state, slug).await?;
    let keyed = idempotent::optional(
        &req,
        program_id,
        Caller::Admin(admin.id),
        "members.update",
        &body,
    )?;
    let reply = member_actions::update(
        &state,
        program_id,
        external_id,
        body,
        keyed,
        audited::by_admin(&req, &admin),
    )
    .await?;
    Ok(idempotent::respond(reply))
}

/// Closes a member: erases personal data, forfeits remaining points, keeps the ledger.
/// Accepts `Idempotency-Key`.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer"), ("program" = String, Path, description = "Program slug"), ("external_id" = String, Path)), responses(
    (status = 200, body = MemberView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/members/{external_id}/close")]
async fn close(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let (slug, external_id) = path.into_inner();
    let program_id = program_id(&state, slug).await?;
    let keyed = idempotent::optional(
        &req,
        program_id,
        Caller::Admin(admin.id),
        "members.close",
        &(),
    )?;
    let cause = Cause {
        admin_id: Some(admin.id),
        ..Cause::default()
    };
    let reply = member_actions::close(
        &state,
        program_id,
        external_id,
        cause,
        keyed,
        audited::by_admin(&req, &admin),
    )
    .await?;
    Ok(idempotent::respond(reply))
}

/// The member's ledger, newest first.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("external_id" = String, Path), PageParams), responses(
    (status = 200, body = Page<EntryView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/members/{external_id}/ledger")]
async fn ledger(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(String, String)>,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path.0)?;
    let (slug, external_id) = path.into_inner();
    let program_id = program_id(&state, slug).await?;
    Ok(HttpResponse::Ok()
        .json(member_actions::ledger(&state, program_id, external_id, &page).await?))
}

/// Adds (positive) or takes (negative) points by hand. Accepts `Idempotency-Key`.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("external_id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer")),
    request_body = AdjustPoints, responses(
    (status = 201, body = PointsMovement),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/members/{external_id}/points/adjust")]
async fn adjust(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Json<AdjustPoints>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let body = body.into_inner()?;
    let (slug, external_id) = path.into_inner();
    let program_id = program_id(&state, slug).await?;
    let keyed = idempotent::optional(
        &req,
        program_id,
        Caller::Admin(admin.id),
        "points.adjust",
        &body,
    )?;
    let mover = Mover {
        actor: Actor::Admin(admin.id),
        audit: audited::by_admin(&req, &admin),
        keyed,
    };
    let reply = member_actions::adjust(&state, program_id, external_id, body, mover).await?;
    Ok(idempotent::respond(reply))
}
