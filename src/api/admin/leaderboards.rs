//! A program's leaderboards: create, list, show, change, disable, enable, and read the standings.

use actix_web::{HttpResponse, get, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::extract::AdminUser;
use crate::api::query::Query;
use crate::db::now_utc;
use crate::engine::leaderboards::LeaderboardDefinition;
use crate::error::{AppResult, Problem};
use crate::gamification::leaderboards::{self as boards, LeaderboardView, Reader};
use crate::state::AppState;
use crate::{members, programs};

super::game::element_routes! {
    definition: LeaderboardDefinition,
    one: "leaderboard",
    many: "leaderboards",
    slug: "Leaderboard slug",
    paths: [
        "/v1/admin/programs/{program}/leaderboards",
        "/v1/admin/programs/{program}/leaderboards/{slug}",
        "/v1/admin/programs/{program}/leaderboards/{slug}/disable",
        "/v1/admin/programs/{program}/leaderboards/{slug}/enable",
    ],
    /// Creates a leaderboard: a metric (points earned, qualifying spend, a count of events), a period
    /// (day, week, month, all time, a challenge's windows) and how many members its top shows. Scores
    /// count from its creation on.
    create,
    also: [standings],
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct StandingsParams {
    /// A period key (`2026-W47`, `2026-10`, `lifetime`); absent or empty: the current period.
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
    admin: AdminUser,
    path: web::Path<(String, String)>,
    params: Query<StandingsParams>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path.0)?;
    let (program, slug) = path.into_inner();
    let StandingsParams { period, member } = params.0;
    let period = period.filter(|p| !p.is_empty());
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
