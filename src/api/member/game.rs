//! A member's own badges, challenges and leaderboard ranks (member JWT).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::extract::MemberPrincipal;
use crate::api::idempotent;
use crate::api::query::Query;
use crate::db::now_utc;
use crate::error::{AppResult, Problem};
use crate::gamification::badges::{self, MemberBadgeView};
use crate::gamification::challenges::{self, MemberChallengeView};
use crate::gamification::leaderboards::{self as boards, LeaderboardView, Reader};
use crate::gamification::member;
use crate::idempotency::Caller;
use crate::state::AppState;
use crate::{members, programs};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(my_badges)
        .service(my_challenges)
        .service(join_challenge)
        .service(my_leaderboard);
}

/// The member's badges: every one earned (with the levels and when), and the visible ones not
/// earned yet with progress to their next level. Hidden badges appear once earned.
#[utoipa::path(tag = "member", security(("member_jwt" = [])), responses(
    (status = 200, body = Vec<MemberBadgeView>),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/me/badges")]
async fn my_badges(state: web::Data<AppState>, who: MemberPrincipal) -> AppResult<HttpResponse> {
    let views = state
        .run(move |conn| {
            let member = members::require_own(conn, who.program_id, who.member_id)?;
            let program = programs::by_id(conn, who.program_id)?;
            badges::member_view(conn, &program, &member, now_utc())
        })
        .await?;
    Ok(HttpResponse::Ok().json(views))
}

/// The program's challenges in their current window, with the member's progress; opt-in ones
/// say whether the member joined.
#[utoipa::path(tag = "member", security(("member_jwt" = [])), responses(
    (status = 200, body = Vec<MemberChallengeView>),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/me/challenges")]
async fn my_challenges(
    state: web::Data<AppState>,
    who: MemberPrincipal,
) -> AppResult<HttpResponse> {
    let views = state
        .run(move |conn| {
            let member = members::require_own(conn, who.program_id, who.member_id)?;
            let program = programs::by_id(conn, who.program_id)?;
            challenges::member_view(conn, &program, &member, now_utc())
        })
        .await?;
    Ok(HttpResponse::Ok().json(views))
}

/// Joins an opt-in challenge for its current window: events from now on count (earlier ones
/// never do). Joining again changes nothing. Accepts `Idempotency-Key`.
#[utoipa::path(tag = "member", security(("member_jwt" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer"), ("slug" = String, Path, description = "Challenge slug")), responses(
    (status = 200, body = MemberChallengeView),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`challenge-automatic`, `challenge-not-eligible` (tier) or `challenge-ended`", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/me/challenges/{slug}/join")]
async fn join_challenge(
    state: web::Data<AppState>,
    who: MemberPrincipal,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let keyed = idempotent::optional(
        &req,
        who.program_id,
        Caller::Member(who.member_id),
        "challenges.join",
        &(),
    )?;
    let reply = state
        .run(move |conn| {
            member::join_challenge(conn, who.program_id, who.member_id, &path, keyed.as_ref())
        })
        .await?;
    Ok(idempotent::respond(reply))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct LeaderboardParams {
    /// A period key (`2026-W47`); default the current period.
    period: Option<String>,
}

/// A leaderboard: its top N (other members by first name and initial), and the member's own
/// rank with its neighbours.
#[utoipa::path(tag = "member", security(("member_jwt" = [])),
    params(("slug" = String, Path, description = "Leaderboard slug"), LeaderboardParams), responses(
    (status = 200, body = LeaderboardView),
    (status = 401, body = Problem, content_type = "application/problem+json"),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/me/leaderboards/{slug}")]
async fn my_leaderboard(
    state: web::Data<AppState>,
    who: MemberPrincipal,
    path: web::Path<String>,
    params: Query<LeaderboardParams>,
) -> AppResult<HttpResponse> {
    let shared = state.clone();
    let period = params.0.period;
    let view = state
        .run(move |conn| {
            let member = members::require_own(conn, who.program_id, who.member_id)?;
            let program = programs::by_id(conn, who.program_id)?;
            let config = shared.game.get(conn, &program)?;
            let reader = Reader::Member(member.id);
            boards::read(
                conn,
                &program,
                &config,
                &path,
                period.as_deref(),
                reader,
                now_utc(),
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
