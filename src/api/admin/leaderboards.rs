//! A program's leaderboards: create, list, show, change, disable, enable, and read the standings.

use actix_web::{HttpResponse, get, post, put, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db::now_utc;
use crate::gamification::leaderboards::{self as boards, LeaderboardView, Reader};
use crate::{members, programs};

use super::game::{self, ElementListParams, ElementView};
use crate::api::json::Json;
use crate::api::pagination::Page;
use crate::api::query::Query;
use crate::auth::AdminUser;
use crate::engine::leaderboards::LeaderboardDefinition;
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
        .service(standings);
}

/// Creates a leaderboard: a metric (points earned, qualifying spend, a count of events), a period
/// (day, week, month, all time, a challenge's windows) and how many members its top shows. Scores
/// count from its creation on.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = NewElement<LeaderboardDefinition>, responses(
    (status = 201, body = ElementView<LeaderboardDefinition>),
    (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The leaderboard is invalid; `errors[0].field` names the part", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/leaderboards")]
async fn create(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<String>,
    body: Json<Value>,
) -> AppResult<HttpResponse> {
    game::create::<LeaderboardDefinition>(state, path.into_inner(), body.0).await
}

/// The program's leaderboards in creation order, optionally only `active` or `disabled` ones.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ElementListParams), responses(
    (status = 200, body = Page<ElementView<LeaderboardDefinition>>),
))]
#[get("/v1/admin/programs/{program}/leaderboards")]
async fn list(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<String>,
    params: Query<ElementListParams>,
) -> AppResult<HttpResponse> {
    game::list::<LeaderboardDefinition>(state, path.into_inner(), params.0).await
}

/// One leaderboard.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Leaderboard slug")), responses(
    (status = 200, body = ElementView<LeaderboardDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/leaderboards/{slug}")]
async fn show(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::show::<LeaderboardDefinition>(state, program, slug).await
}

/// Replaces the leaderboard's definition. What it measures cannot change (409 `measure-fixed`):
/// create a new leaderboard instead.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Leaderboard slug")),
    request_body = LeaderboardDefinition, responses(
    (status = 200, body = ElementView<LeaderboardDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[put("/v1/admin/programs/{program}/leaderboards/{slug}")]
async fn update(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
    body: Json<LeaderboardDefinition>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::update(state, program, slug, body.0).await
}

/// Disables the leaderboard: events stop moving it and members stop seeing it (what they earned
/// stays). Refused (409 `element-in-use`) while an active element names it.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Leaderboard slug")), responses(
    (status = 200, body = ElementView<LeaderboardDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/leaderboards/{slug}/disable")]
async fn disable(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::set_status::<LeaderboardDefinition>(state, program, slug, RuleStatus::Disabled).await
}

/// Enables a disabled leaderboard again.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Leaderboard slug")), responses(
    (status = 200, body = ElementView<LeaderboardDefinition>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "It names an element that is not active", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/leaderboards/{slug}/enable")]
async fn enable(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    game::set_status::<LeaderboardDefinition>(state, program, slug, RuleStatus::Active).await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct StandingsParams {
    /// A period key (`2026-W47`, `2026-10`, `lifetime`); default the current period.
    period: Option<String>,
    /// A member's external id: its rank and neighbours too.
    member: Option<String>,
}

/// The leaderboard's top N in a period (members by external id), and one member's rank and
/// neighbours if asked.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Leaderboard slug"), StandingsParams), responses(
    (status = 200, body = LeaderboardView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/leaderboards/{slug}/standings")]
async fn standings(
    state: web::Data<AppState>,
    _admin: AdminUser,
    path: web::Path<(String, String)>,
    params: Query<StandingsParams>,
) -> AppResult<HttpResponse> {
    let (program, slug) = path.into_inner();
    let StandingsParams { period, member } = params.0;
    let shared = state.clone();
    let view = state
        .run(move |conn| {
            let program = programs::require(conn, &program)?;
            let member = member
                .map(|external_id| members::require(conn, program.id, &external_id))
                .transpose()?;
            let config = shared.game.get(conn, &program)?;
            let reader = Reader::Admin(member.map(|m| m.id));
            boards::read(
                conn,
                &program,
                &config,
                &slug,
                period.as_deref(),
                reader,
                now_utc(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
