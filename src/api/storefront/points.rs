//! Burning and adjusting points; both need an `Idempotency-Key`.

use actix_web::{HttpRequest, HttpResponse, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::Storefront;
use crate::api::json::Json;
use crate::api::views::PointsMovement;
use crate::api::{idempotent, member_actions};
use crate::auth::Scope;
use crate::error::{AppResult, Problem};
use crate::idempotency::Caller;
use crate::members::points::{Actor, AdjustPoints, RedeemPoints};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(redeem).service(adjust);
}

/// Burns points at checkout, from the lots that expire first. Needs `Idempotency-Key`.
#[utoipa::path(tag = "storefront", security(("api_key" = ["points:redeem"])),
    params(("external_id" = String, Path), ("Idempotency-Key" = String, Header, description = "Unique per intended operation")),
    request_body = RedeemPoints, responses(
    (status = 201, body = PointsMovement, headers(("Idempotent-Replayed" = bool, description = "Present on a replay"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`insufficient-points`, `negative-balance`, `member-suspended` or `member-closed`",
        body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "A field is invalid, or the key was used with another request",
        body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/members/{external_id}/points/redeem")]
async fn redeem(
    state: web::Data<AppState>,
    store: Storefront,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<RedeemPoints>,
) -> AppResult<HttpResponse> {
    store.require(Scope::PointsRedeem)?;
    let body = body.into_inner()?;
    let keyed = idempotent::required(
        &req,
        store.program_id,
        Caller::ApiKey(store.key_id),
        "points.redeem",
        &body,
    )?;
    let reply = member_actions::redeem(
        &state,
        store.program_id,
        path.into_inner(),
        keyed,
        body,
        Actor::ApiKey(store.key_id),
        audited::by_key(&req, &store),
    )
    .await?;
    Ok(idempotent::respond(reply))
}

/// Adds (positive) or takes (negative) points by hand. Needs `Idempotency-Key`.
#[utoipa::path(tag = "storefront", security(("api_key" = ["points:adjust"])),
    params(("external_id" = String, Path), ("Idempotency-Key" = String, Header, description = "Unique per intended operation")),
    request_body = AdjustPoints, responses(
    (status = 201, body = PointsMovement, headers(("Idempotent-Replayed" = bool, description = "Present on a replay"))),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "Taking more than is available", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/members/{external_id}/points/adjust")]
async fn adjust(
    state: web::Data<AppState>,
    store: Storefront,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<AdjustPoints>,
) -> AppResult<HttpResponse> {
    store.require(Scope::PointsAdjust)?;
    let body = body.into_inner()?;
    let keyed = idempotent::required(
        &req,
        store.program_id,
        Caller::ApiKey(store.key_id),
        "points.adjust",
        &body,
    )?;
    let actor = Actor::ApiKey(store.key_id);
    let reply = member_actions::adjust(
        &state,
        store.program_id,
        path.into_inner(),
        Some(keyed),
        body,
        actor,
        audited::by_key(&req, &store),
    )
    .await?;
    Ok(idempotent::respond(reply))
}
