//! A program's tier ladder, and members' levels.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::AdminUser;
use crate::api::json::Json;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::{MemberView, utc};
use crate::db::models::tiers::{self as tier_rows, TierChangeRow};
use crate::domain;
use crate::engine::tiers::TierPolicy;
use crate::error::{AppError, AppResult, Problem};
use crate::gamification::admin;
use crate::state::AppState;
use crate::tiers::ManualTier;
use crate::{members, programs};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(show)
        .service(replace)
        .service(remove)
        .service(set_member_tier)
        .service(history);
}

/// The program's tier ladder.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")), responses(
    (status = 200, body = TierPolicy),
    (status = 404, description = "No such program, or it has no tiers", body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/tiers")]
async fn show(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let program = state
        .run(move |conn| programs::require(conn, &path))
        .await?;
    let policy = program
        .tiers
        .ok_or_else(|| AppError::not_found("this program has no tiers"))?;
    Ok(HttpResponse::Ok().json(policy))
}

/// Sets the program's tier ladder: the metric, the window and the levels, lowest first.
/// Members keep their level until their next activity or the end of its hold.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = TierPolicy, responses(
    (status = 200, body = TierPolicy),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[put("/v1/admin/programs/{program}/tiers")]
async fn replace(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<TierPolicy>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path)?;
    let body = body.into_inner()?;
    let audit = audited::by_admin(&req, &admin);
    let program = state
        .run(move |conn| programs::admin::set_tiers(conn, &path, Some(&body), &audit))
        .await?;
    Ok(HttpResponse::Ok().json(program.tiers))
}

/// Removes the program's tiers.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")), responses(
    (status = 204, description = "Removed"),
))]
#[delete("/v1/admin/programs/{program}/tiers")]
async fn remove(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path)?;
    let audit = audited::by_admin(&req, &admin);
    state
        .run(move |conn| programs::admin::set_tiers(conn, &path, None, &audit))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A level set by hand.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct SetTier {
    tier: String,
    /// Why; kept in the tier history.
    reason: String,
    /// Until when the level is held; by default a full window from now.
    held_until: Option<DateTime<Utc>>,
}

/// Sets a member's level by hand, with a reason; badges for reaching that tier are granted.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("external_id" = String, Path)),
    request_body = SetTier, responses(
    (status = 200, body = MemberView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`no-tiers`: the program has no tiers", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/members/{external_id}/tier")]
async fn set_member_tier(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Json<SetTier>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let body = body.into_inner()?;
    let (slug, external_id) = path.into_inner();
    let SetTier {
        tier,
        reason,
        held_until,
    } = body;
    let reason = domain::text("reason", &reason, 500)?;
    let shared = state.clone();
    let audit = audited::by_admin(&req, &admin);
    let view = state
        .run(move |conn| {
            let manual = ManualTier {
                tier: &tier,
                reason: &reason,
                held_until: held_until.map(|t| t.naive_utc()),
                admin_id: admin.id,
            };
            let (program, member) =
                admin::set_member_tier(conn, &shared.game, &slug, &external_id, &manual, &audit)?;
            MemberView::load(conn, &program, member)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// One change of a member's level.
#[derive(Debug, Serialize, ToSchema)]
struct TierChangeView {
    from: Option<String>,
    to: String,
    /// `upgrade`, `downgrade` or `manual`.
    change: String,
    reason: String,
    held_until: Option<DateTime<Utc>>,
    /// The admin who set it, for manual changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    admin_id: Option<i64>,
    at: DateTime<Utc>,
}

impl From<TierChangeRow> for TierChangeView {
    fn from(row: TierChangeRow) -> Self {
        TierChangeView {
            from: row.from_tier,
            to: row.to_tier,
            change: row.change,
            reason: row.reason,
            held_until: row.held_until.map(utc),
            admin_id: row.admin_id,
            at: utc(row.created_at),
        }
    }
}

/// A member's tier changes, newest first.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("external_id" = String, Path), PageParams), responses(
    (status = 200, body = Page<TierChangeView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/members/{external_id}/tier-history")]
async fn history(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(String, String)>,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path.0)?;
    let (slug, external_id) = path.into_inner();
    let (before, limit) = (page.cursor_id()?, page.limit());
    let rows = state
        .run(move |conn| {
            let program = programs::require(conn, &slug)?;
            let member = members::require(conn, program.id, &external_id)?;
            Ok(tier_rows::changes(conn, member.id, before, limit + 1)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |c| c.id, TierChangeView::from)))
}
