//! Rewards redeemed for members, and the vouchers' lifecycle at the storefront.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::Storefront;
use crate::api::idempotent;
use crate::api::json::{Json, OptionalJson};
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::redemption_actions::{self, RedeemReward};
use crate::auth::Scope;
use crate::db::models::rewards as reward_rows;
use crate::domain;
use crate::error::{AppResult, Problem};
use crate::idempotency::Caller;
use crate::ledger::posting::Cause;
use crate::rewards::redeem::{Source, Voucher};
use crate::rewards::vouchers;
use crate::state::AppState;
use crate::{members, programs};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(redeem)
        .service(member_vouchers)
        .service(use_voucher)
        .service(cancel)
        .service(show)
        .service(by_code);
}

/// Redeems a reward for a member: points debited, stock taken, voucher issued, at once.
/// Accepts `Idempotency-Key`.
#[utoipa::path(tag = "storefront", security(("api_key" = ["points:redeem"])), params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer"), ("external_id" = String, Path)),
    request_body = RedeemReward, responses(
    (status = 201, body = Voucher),
    (status = 404, description = "No such member or reward", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`insufficient-points`, `negative-balance`, `tier-required`, `out-of-stock`, `limit-reached`, `reward-inactive`, `member-suspended`, `member-closed`",
        body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/members/{external_id}/redemptions")]
async fn redeem(
    state: web::Data<AppState>,
    store: Storefront,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<RedeemReward>,
) -> AppResult<HttpResponse> {
    store.require(Scope::PointsRedeem)?;
    let body = body.into_inner()?;
    let keyed = idempotent::optional(
        &req,
        store.program_id,
        Caller::ApiKey(store.key_id),
        "rewards.redeem",
        &body,
    )?;
    let external_id = path.into_inner();
    let member = state
        .run(move |conn| members::require(conn, store.program_id, &external_id))
        .await?;
    let source = Source::Storefront {
        api_key_id: store.key_id,
    };
    let audit = audited::by_key(&req, store.key_id);
    let reply = redemption_actions::redeem(
        &state,
        store.program_id,
        member.id,
        body,
        source,
        keyed,
        Some(audit),
    )
    .await?;
    Ok(idempotent::respond(reply))
}

/// A member's vouchers, newest first.
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:read"])), params(("external_id" = String, Path), PageParams), responses(
    (status = 200, body = Page<Voucher>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/members/{external_id}/redemptions")]
async fn member_vouchers(
    state: web::Data<AppState>,
    store: Storefront,
    path: web::Path<String>,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    store.require(Scope::MembersRead)?;
    let (before, limit) = (page.cursor_id()?, page.limit());
    let external_id = path.into_inner();
    let page = state
        .run(move |conn| {
            let program = programs::by_id(conn, store.program_id)?;
            let member = members::require(conn, store.program_id, &external_id)?;
            let found = reward_rows::for_member(conn, member.id, before, limit + 1)?;
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

/// Settling a voucher at the till.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct UseVoucher {
    /// The order the voucher was honoured in.
    order_id: Option<String>,
}

/// Marks a voucher used: the storefront honoured it. Using it twice is 409 `voucher-used`.
/// Accepts `Idempotency-Key`: a retry gets the first answer instead of the 409.
#[utoipa::path(tag = "storefront", security(("api_key" = ["points:redeem"])), params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer"), ("id" = String, Path, description = "Voucher id")),
    request_body(content = Option<UseVoucher>), responses(
    (status = 200, body = Voucher),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`voucher-used`, `voucher-cancelled`, `voucher-expired`", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/redemptions/{id}/use")]
async fn use_voucher(
    state: web::Data<AppState>,
    store: Storefront,
    req: HttpRequest,
    path: web::Path<String>,
    body: OptionalJson<UseVoucher>,
) -> AppResult<HttpResponse> {
    store.require(Scope::PointsRedeem)?;
    let order_id = body
        .into_inner()?
        .and_then(|b| b.order_id)
        .map(|o| domain::text("order_id", &o, 128))
        .transpose()?;
    let keyed = idempotent::optional(
        &req,
        store.program_id,
        Caller::ApiKey(store.key_id),
        "vouchers.use",
        &order_id,
    )?;
    let reply = redemption_actions::use_voucher(
        &state,
        store.program_id,
        path.into_inner(),
        order_id,
        keyed,
        audited::by_key(&req, store.key_id),
    )
    .await?;
    Ok(idempotent::respond(reply))
}

/// Cancels an unused voucher: its points come back (a `reverse` entry, to the lots they came
/// from) and its stock is restored. Accepts `Idempotency-Key`.
#[utoipa::path(tag = "storefront", security(("api_key" = ["points:redeem"])), params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer"), ("id" = String, Path, description = "Voucher id")), responses(
    (status = 200, body = Voucher),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`voucher-used`, `voucher-cancelled`, `voucher-expired`", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/redemptions/{id}/cancel")]
async fn cancel(
    state: web::Data<AppState>,
    store: Storefront,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    store.require(Scope::PointsRedeem)?;
    let keyed = idempotent::optional(
        &req,
        store.program_id,
        Caller::ApiKey(store.key_id),
        "vouchers.cancel",
        &(),
    )?;
    let cause = Cause {
        api_key_id: Some(store.key_id),
        reason: Some("voucher cancelled".into()),
        ..Cause::default()
    };
    let audit = audited::by_key(&req, store.key_id);
    let reply = redemption_actions::cancel(
        &state,
        store.program_id,
        path.into_inner(),
        cause,
        keyed,
        audit,
    )
    .await?;
    Ok(idempotent::respond(reply))
}

/// One voucher.
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:read"])), params(("id" = String, Path, description = "Voucher id")), responses(
    (status = 200, body = Voucher),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/redemptions/{id}")]
async fn show(
    state: web::Data<AppState>,
    store: Storefront,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    store.require(Scope::MembersRead)?;
    let voucher = state
        .run(move |conn| {
            let program = programs::by_id(conn, store.program_id)?;
            let redemption = vouchers::require(conn, store.program_id, &path)?;
            vouchers::view(conn, &program, redemption)
        })
        .await?;
    Ok(HttpResponse::Ok().json(voucher))
}

/// Looks a voucher up by the code a customer shows (any case, dashes optional).
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:read"])), params(("code" = String, Path, description = "Voucher code")), responses(
    (status = 200, body = Voucher),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/vouchers/{code}")]
async fn by_code(
    state: web::Data<AppState>,
    store: Storefront,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    store.require(Scope::MembersRead)?;
    let voucher = state
        .run(move |conn| {
            let program = programs::by_id(conn, store.program_id)?;
            vouchers::by_code(conn, &program, &path)
        })
        .await?;
    Ok(HttpResponse::Ok().json(voucher))
}
