//! Burning and adjusting points; both need an `Idempotency-Key`.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Serialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::CachedKey;
use crate::api::idempotent;
use crate::api::json::Json;
use crate::api::member_actions::{self, Movement, Mover};
use crate::api::views::PointsMovement;
use crate::auth::Scope;
use crate::error::{AppResult, Problem};
use crate::idempotency::Caller;
use crate::members::points::{Actor, AdjustPoints, RedeemPoints};
use crate::programs::key_cache::KeyCheck;
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
    key: CachedKey,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<RedeemPoints>,
) -> AppResult<HttpResponse> {
    let what = (
        Scope::PointsRedeem,
        "points.redeem",
        Movement::Redeem as fn(_) -> _,
    );
    move_points(state, key, req, path, body, what).await
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
    key: CachedKey,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<AdjustPoints>,
) -> AppResult<HttpResponse> {
    let what = (
        Scope::PointsAdjust,
        "points.adjust",
        Movement::Adjust as fn(_) -> _,
    );
    move_points(state, key, req, path, body, what).await
}

/// Moves the member's points as `what` says (the scope it needs, its operation's name, the
/// movement its body asks for), in one hop to the database: the member's lock confirms the
/// key.
async fn move_points<B: Serialize>(
    state: web::Data<AppState>,
    mut key: CachedKey,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<B>,
    what: (Scope, &'static str, fn(B) -> Movement),
) -> AppResult<HttpResponse> {
    let (scope, operation, movement) = what;
    key.require(&state, scope).await?;
    let body = body.into_inner()?;
    let caller = Caller::ApiKey(key.key_id());
    let keyed = idempotent::required(&req, key.program_id(), caller, operation, &body)?;
    let mover = Mover {
        actor: Actor::ApiKey(key.key_id()),
        audit: audited::by_key(&req, key.key_id()),
        keyed: Some(keyed),
    };
    let (external_id, movement) = (path.into_inner(), movement(body));
    let reply = key
        .run(&state, scope, move |conn, key| {
            let mut check = KeyCheck::new(Some(key));
            let reply = member_actions::move_points(
                conn,
                &key.program,
                &external_id,
                &movement,
                &mover,
                &mut check,
            );
            Ok((check.into_state(conn, key)?, reply))
        })
        .await?;
    Ok(idempotent::respond(reply))
}
