//! A program's badges: create, list, show, change, disable, enable, and grant one to members who
//! already qualify.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::audited;
use crate::api::extract::AdminUser;
use crate::api::query::Query;
use crate::db::now_utc;
use crate::engine::badges::BadgeDefinition;
use crate::error::{AppResult, Problem};
use crate::gamification::retro::{self, RetroGrant};
use crate::programs;
use crate::state::AppState;

super::game::element_routes! {
    definition: BadgeDefinition,
    one: "badge",
    many: "badges",
    slug: "Badge slug",
    paths: [
        "/v1/admin/programs/{program}/badges",
        "/v1/admin/programs/{program}/badges/{slug}",
        "/v1/admin/programs/{program}/badges/{slug}/disable",
        "/v1/admin/programs/{program}/badges/{slug}/enable",
    ],
    /// Creates a badge. The body is its `slug` beside its definition: a criterion (first event, event
    /// count, event sum, referrals, tier, streak, awarded by a challenge), one threshold or levels, and
    /// bonus points. Members earn it at their next qualifying event; `POST .../grant` gives it to those
    /// who already qualify.
    create,
    also: [grant],
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct GrantParams {
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
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    params: Query<GrantParams>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let (program, slug) = path.into_inner();
    let dry_run = params.dry_run;
    let shared = state.clone();
    let audit = audited::by_admin(&req, &admin);
    let result = state
        .run(move |conn| {
            let program = programs::require(conn, &program)?;
            let config = shared.game.get(conn, &program)?;
            retro::grant(conn, &program, &config, &slug, dry_run, now_utc(), &audit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(result))
}
