//! A program's challenges: create, list, show, change, disable, enable.

use actix_web::{HttpResponse, get, post, put, web};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use super::game::{self, ElementListParams, ElementView};
use crate::api::json::Json;
use crate::api::pagination::Page;
use crate::api::query::Query;
use crate::auth::AdminUser;
use crate::engine::challenges::ChallengeDefinition;
use crate::error::{AppResult, Problem};
use crate::gamification::elements::NewElement;
use crate::rules::RuleStatus;
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(show)
        .service(update)
        .service(disable)
        .service(enable);
}

/// Creates a challenge: a goal (a count, or money over events or items), a window (fixed dates, or
/// every day, week or month in program time), automatic or opt-in enrolment, optional tiers, and a
/// reward (points, a badge, a voucher) paid once per member and window.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = NewElement<ChallengeDefinition>, responses(
    (status = 201, body = ElementView<ChallengeDefinition>),
    (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The challenge is invalid; `errors[0].field` names the part", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/challenges")]
async fn create(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<String>,
    body: Json<Value>,
) -> AppResult<HttpResponse> {
    game::create::<ChallengeDefinition>(state, path.into_inner(), body.0).await
}

/// The program's challenges in creation order, optionally only `active` or `disabled` ones.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ElementListParams), responses(
    (status = 200, body = Page<ElementView<ChallengeDefinition>>),
))]
#[get("/v1/admin/programs/{program}/challenges")]
async fn list(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<String>,
    params: Query<ElementListParams>,
) -> AppResult<HttpResponse> {
    game::list::<ChallengeDefinition>(state, path.into_inner(), params.0).await
}

/// One challenge.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Challenge slug")), responses(
    (status = 200, body = ElementView<ChallengeDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/challenges/{slug}")]
async fn show(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::show::<ChallengeDefinition>(state, program, slug).await
}

/// Replaces the challenge's definition. What it measures cannot change (409 `measure-fixed`):
/// create a new challenge instead.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Challenge slug")),
    request_body = ChallengeDefinition, responses(
    (status = 200, body = ElementView<ChallengeDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[put("/v1/admin/programs/{program}/challenges/{slug}")]
async fn update(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
    body: Json<ChallengeDefinition>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::update(state, program, slug, body.0).await
}

/// Disables the challenge: events stop moving it and members stop seeing it (what they earned
/// stays). Refused (409 `element-in-use`) while an active element names it.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Challenge slug")), responses(
    (status = 200, body = ElementView<ChallengeDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/challenges/{slug}/disable")]
async fn disable(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::set_status::<ChallengeDefinition>(state, program, slug, RuleStatus::Disabled).await
}

/// Enables a disabled challenge again.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Challenge slug")), responses(
    (status = 200, body = ElementView<ChallengeDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "It names an element that is not active", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/challenges/{slug}/enable")]
async fn enable(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::set_status::<ChallengeDefinition>(state, program, slug, RuleStatus::Active).await
}
