//! A program's badges: create, list, show, change, disable, enable, and grant one to members who
//! already qualify.

use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::now_utc;
use crate::gamification::retro::{self, RetroGrant};
use crate::programs;

use super::game::{self, ElementListParams, ElementView};
use crate::api::json::Json;
use crate::api::pagination::Page;
use crate::api::query::Query;
use crate::auth::AdminUser;
use crate::engine::badges::BadgeDefinition;
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
        .service(enable)
        .service(grant);
}

/// Creates a badge. The body is its `slug` beside its definition: a criterion (first event, event
/// count, event sum, referrals, tier, streak, awarded by a challenge), one threshold or levels, and
/// bonus points. Members earn it at their next qualifying event; `POST .../grant` gives it to those
/// who already qualify.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = NewElement<BadgeDefinition>, responses(
    (status = 201, body = ElementView<BadgeDefinition>),
    (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The badge is invalid; `errors[0].field` names the part", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/badges")]
async fn create(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<String>,
    body: Json<Value>,
) -> AppResult<HttpResponse> {
    game::create::<BadgeDefinition>(state, path.into_inner(), body.0).await
}

/// The program's badges in creation order, optionally only `active` or `disabled` ones.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ElementListParams), responses(
    (status = 200, body = Page<ElementView<BadgeDefinition>>),
))]
#[get("/v1/admin/programs/{program}/badges")]
async fn list(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<String>,
    params: Query<ElementListParams>,
) -> AppResult<HttpResponse> {
    game::list::<BadgeDefinition>(state, path.into_inner(), params.0).await
}

/// One badge.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Badge slug")), responses(
    (status = 200, body = ElementView<BadgeDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/badges/{slug}")]
async fn show(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::show::<BadgeDefinition>(state, program, slug).await
}

/// Replaces the badge's definition. What it measures cannot change (409 `measure-fixed`):
/// create a new badge instead.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Badge slug")),
    request_body = BadgeDefinition, responses(
    (status = 200, body = ElementView<BadgeDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[put("/v1/admin/programs/{program}/badges/{slug}")]
async fn update(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
    body: Json<BadgeDefinition>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::update(state, program, slug, body.0).await
}

/// Disables the badge: events stop moving it and members stop seeing it (what they earned
/// stays). Refused (409 `element-in-use`) while an active element names it.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Badge slug")), responses(
    (status = 200, body = ElementView<BadgeDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/badges/{slug}/disable")]
async fn disable(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::set_status::<BadgeDefinition>(state, program, slug, RuleStatus::Disabled).await
}

/// Enables a disabled badge again.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Badge slug")), responses(
    (status = 200, body = ElementView<BadgeDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "It names an element that is not active", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/badges/{slug}/enable")]
async fn enable(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::set_status::<BadgeDefinition>(state, program, slug, RuleStatus::Active).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct GrantParams {
    /// Count who would get it, and write nothing.
    #[serde(default)]
    dry_run: bool,
}

/// Grants the badge to every active member whose history already qualifies: levels reached and
/// their bonus points, counters raised to what history says. `?dry_run=true` answers how many
/// members would get each level, and writes nothing. Granting twice grants nothing twice.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Badge slug"), GrantParams), responses(
    (status = 200, body = RetroGrant),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`badge-not-active`: the badge is disabled", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/badges/{slug}/grant")]
async fn grant(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
    params: Query<GrantParams>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    let dry_run = params.dry_run;
    let shared = state.clone();
    let result = state
        .run(move |conn| {
            let program = programs::require(conn, &program)?;
            let config = shared.game.get(conn, &program)?;
            retro::grant(conn, &program, &config, &slug, dry_run, now_utc())
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}
