//! The member's view of the catalogue, and its vouchers.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::extract::MemberPrincipal;
use crate::api::idempotent;
use crate::api::json::Json;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::redemption_actions::{self, RedeemReward};
use crate::db::models::rewards as reward_rows;
use crate::db::now_utc;
use crate::error::{AppResult, Problem};
use crate::idempotency::Caller;
use crate::rewards::redeem::{Source, Voucher};
use crate::rewards::{self, Reward};
use crate::state::AppState;
use crate::{members, programs, tiers};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(catalogue).service(redeem).service(my_vouchers);
}

/// A reward as a member sees it: whether it can be redeemed now, and if not, why.
#[derive(Debug, Serialize, ToSchema)]
struct CatalogueItem {
    slug: String,
    name: String,
    description: Option<String>,
    cost: i64,
    kind: String,
    amount: Option<String>,
    percent: Option<i32>,
    /// The lowest tier that may redeem it.
    min_tier: Option<String>,
    /// Whether the member's tier may redeem it.
    tier_ok: bool,
    /// Whether the member has the points for it now.
    affordable: bool,
    /// Points still missing (0 when affordable).
    points_missing: i64,
    in_stock: bool,
}

/// The catalogue, each reward marked `affordable`, with the points still missing and whether
/// the member's tier allows it.
#[utoipa::path(tag = "member", security(("member_jwt" = [])), responses(
    (status = 200, body = Vec<CatalogueItem>),
    (status = 401, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/me/rewards")]
async fn catalogue(state: web::Data<AppState>, who: MemberPrincipal) -> AppResult<HttpResponse> {
    let items = state
        .run(move |conn| {
            let member = members::require_own(conn, who.program_id, who.member_id)?;
            let program = programs::by_id(conn, who.program_id)?;
            let now = now_utc();
            let level = program.tiers.as_ref().map(|policy| tiers::standing(policy, &member).level);
            let available = member.points_available - member.points_debt;
            let items: Vec<CatalogueItem> = rewards::list(conn, program.id, true, None, i64::MAX)?
                .into_iter()
                .filter(|r: &Reward| r.is_active_at(now))
                .map(|r| {
                    let row = r.row;
                    let needed = row.min_tier.as_deref().and_then(|t| program.tiers.as_ref()?.level(t).map(|(i, _)| i));
                    let tier_ok = row.min_tier.is_none() || matches!((needed, level), (Some(needed), Some(level)) if level >= needed);
                    CatalogueItem {
                        affordable: available >= row.cost,
                        points_missing: (row.cost - available).max(0),
                        in_stock: row.stock.is_none_or(|s| s > 0),
                        amount: row.amount_minor.map(|a| program.currency.format_minor(a)),
                        tier_ok,
                        slug: row.slug,
                        name: row.name,
                        description: row.description,
                        cost: row.cost,
                        kind: row.kind,
                        percent: row.percent,
                        min_tier: row.min_tier,
                    }
                })
                .collect();
            Ok(items)
        })
        .await?;
    Ok(HttpResponse::Ok().json(items))
}

/// Redeems a reward. Accepts `Idempotency-Key`.
#[utoipa::path(tag = "member", security(("member_jwt" = [])), params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer")), request_body = RedeemReward, responses(
    (status = 201, body = Voucher),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`insufficient-points`, `negative-balance`, `tier-required`, `out-of-stock`, `limit-reached`, `reward-inactive`",
        body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/me/redemptions")]
async fn redeem(
    state: web::Data<AppState>,
    who: MemberPrincipal,
    req: HttpRequest,
    body: Json<RedeemReward>,
) -> AppResult<HttpResponse> {
    let body = body.into_inner()?;
    let keyed = idempotent::optional(
        &req,
        who.program_id,
        Caller::Member(who.member_id),
        "rewards.redeem",
        &body,
    )?;
    state
        .run(move |conn| members::require_own(conn, who.program_id, who.member_id))
        .await?;
    let reply = redemption_actions::redeem(
        &state,
        who.program_id,
        who.member_id,
        body,
        Source::Member,
        keyed,
        None,
    )
    .await?;
    Ok(idempotent::respond(reply))
}

/// The member's vouchers with their status, newest first.
#[utoipa::path(tag = "member", security(("member_jwt" = [])), params(PageParams), responses(
    (status = 200, body = Page<Voucher>),
))]
#[get("/v1/me/redemptions")]
async fn my_vouchers(
    state: web::Data<AppState>,
    who: MemberPrincipal,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    let (before, limit) = (page.cursor_id()?, page.limit());
    let page = state
        .run(move |conn| {
            members::require_own(conn, who.program_id, who.member_id)?;
            let program = programs::by_id(conn, who.program_id)?;
            let found = reward_rows::for_member(conn, who.member_id, before, limit + 1)?;
            Ok(Page::from_rows(
                found,
                limit,
                |(r, _)| r.id,
                |(r, reward)| Voucher::new(&program, r, &reward),
            ))
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
