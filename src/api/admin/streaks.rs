//! A program's streaks: create, list, show, change, disable, enable.

use actix_web::{HttpResponse, get, post, put, web};
use serde_json::Value;
use utoipa_actix_web::service_config::ServiceConfig;

use super::game::{self, ElementListParams, ElementView};
use crate::api::json::Json;
use crate::api::pagination::Page;
use crate::api::query::Query;
use crate::auth::AdminUser;
use crate::engine::streaks::StreakDefinition;
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

/// Creates a streak: consecutive days or weeks (program time) with an event of a type that meets
/// the conditions. Members see it in `GET /v1/me`; badges can require a length of it.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = NewElement<StreakDefinition>, responses(
    (status = 201, body = ElementView<StreakDefinition>),
    (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The streak is invalid; `errors[0].field` names the part", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/streaks")]
async fn create(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<String>,
    body: Json<Value>,
) -> AppResult<HttpResponse> {
    game::create::<StreakDefinition>(state, path.into_inner(), body.0).await
}

/// The program's streaks in creation order, optionally only `active` or `disabled` ones.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ElementListParams), responses(
    (status = 200, body = Page<ElementView<StreakDefinition>>),
))]
#[get("/v1/admin/programs/{program}/streaks")]
async fn list(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<String>,
    params: Query<ElementListParams>,
) -> AppResult<HttpResponse> {
    game::list::<StreakDefinition>(state, path.into_inner(), params.0).await
}

/// One streak.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Streak slug")), responses(
    (status = 200, body = ElementView<StreakDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/streaks/{slug}")]
async fn show(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::show::<StreakDefinition>(state, program, slug).await
}

/// Replaces the streak's definition. What it measures cannot change (409 `measure-fixed`):
/// create a new streak instead.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Streak slug")),
    request_body = StreakDefinition, responses(
    (status = 200, body = ElementView<StreakDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[put("/v1/admin/programs/{program}/streaks/{slug}")]
async fn update(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
    body: Json<StreakDefinition>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::update(state, program, slug, body.0).await
}

/// Disables the streak: events stop moving it and members stop seeing it (what they earned
/// stays). Refused (409 `element-in-use`) while an active element names it.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Streak slug")), responses(
    (status = 200, body = ElementView<StreakDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/streaks/{slug}/disable")]
async fn disable(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::set_status::<StreakDefinition>(state, program, slug, RuleStatus::Disabled).await
}

/// Enables a disabled streak again.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Streak slug")), responses(
    (status = 200, body = ElementView<StreakDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "It names an element that is not active", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/streaks/{slug}/enable")]
async fn enable(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::set_status::<StreakDefinition>(state, program, slug, RuleStatus::Active).await
}
