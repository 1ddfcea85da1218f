//! A member's own views (member JWT in `Authorization: Bearer`).

pub(super) mod game;

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::extract::MemberPrincipal;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::{EntryView, MemberView};
use crate::db::now_utc;
use crate::error::{AppError, AppResult, Problem};
use crate::gamification::streaks;
use crate::ledger::history;
use crate::members;
use crate::state::AppState;

mod rewards;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(me).service(my_ledger);
    rewards::routes(cfg);
    game::routes(cfg);
}

/// The member's own profile, balance, tier progress and streaks.
#[utoipa::path(tag = "member", security(("member_jwt" = [])), responses(
    (status = 200, body = MemberView),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/me")]
async fn me(state: web::Data<AppState>, who: MemberPrincipal) -> AppResult<HttpResponse> {
    let cached = state.programs.get(who.program_id);
    let shared = state.clone();
    let view = state
        .run(move |conn| {
            let mut program = match cached {
                Some(program) => program,
                None => shared.programs.load(conn, who.program_id)?,
            };
            // Twice at most: a program changed again between its read and the member's is
            // being changed as we speak, and the client may retry.
            for _ in 0..2 {
                let (version, view) = MemberView::read_own(conn, &program, who.member_id)?;
                if version == program.config_version {
                    let game = shared.game.get(conn, &program)?;
                    let streaks = streaks::member_view(
                        conn,
                        &program,
                        &game.streaks,
                        who.member_id,
                        now_utc(),
                    )?;
                    return Ok(MemberView {
                        streaks: Some(streaks),
                        ..view
                    });
                }
                program = shared.programs.load(conn, who.program_id)?;
            }
            Err(AppError::Unavailable(
                "the program changed during the request; try again".into(),
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The member's own ledger, newest first.
#[utoipa::path(tag = "member", security(("member_jwt" = [])), params(PageParams), responses(
    (status = 200, body = Page<EntryView>),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/me/ledger")]
async fn my_ledger(
    state: web::Data<AppState>,
    who: MemberPrincipal,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let (before, limit) = (page.cursor_id()?, page.limit());
    let rows = state
        .run(move |conn| {
            let member = members::require_own(conn, who.program_id, who.member_id)?;
            history::page(conn, member.id, before, limit + 1)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        rows,
        limit,
        |h| h.entry.id,
        EntryView::from,
    )))
}
