//! Enrolling, reading, changing and closing members; their ledgers and tokens.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::{CachedKey, Storefront};
use crate::api::json::Json;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::{EntryView, MemberView, TokenView};
use crate::api::{idempotent, member_actions};
use crate::auth::Scope;
use crate::error::{AppResult, Problem};
use crate::idempotency::Caller;
use crate::ledger::posting::Cause;
use crate::members::{EnrolMember, UpdateMember};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(enrol)
        .service(show)
        .service(update)
        .service(close)
        .service(ledger)
        .service(token);
}

/// Enrols a customer. Accepts `Idempotency-Key`.
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:write"])), params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer")), request_body = EnrolMember, responses(
    (status = 201, body = MemberView),
    (status = 409, description = "The external id exists", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/members")]
async fn enrol(
    state: web::Data<AppState>,
    store: Storefront,
    req: HttpRequest,
    body: Json<EnrolMember>,
) -> AppResult<HttpResponse> {
    store.require(Scope::MembersWrite)?;
    let body = body.into_inner()?;
    let keyed = idempotent::optional(
        &req,
        store.program_id,
        Caller::ApiKey(store.key_id),
        "members.enrol",
        &body,
    )?;
    let audit = audited::by_key(&req, store.key_id);
    let reply = member_actions::enrol(&state, store.program_id, body, keyed, audit).await?;
    Ok(idempotent::respond(reply))
}

/// A member with its balance.
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:read"])), params(("external_id" = String, Path)), responses(
    (status = 200, body = MemberView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/members/{external_id}")]
async fn show(
    state: web::Data<AppState>,
    key: CachedKey,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let external_id = path.into_inner();
    let view = key
        .run(&state, Scope::MembersRead, move |conn, key| {
            MemberView::read_by_key(conn, &key.program, &external_id, key.key_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Changes a member's email, name, birthday, or status (`active` / `suspended`). Accepts
/// `Idempotency-Key`.
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:write"])), params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer"), ("external_id" = String, Path)),
    request_body = UpdateMember, responses(
    (status = 200, body = MemberView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The member is closed", body = Problem, content_type = "application/problem+json"),
))]
#[patch("/v1/members/{external_id}")]
async fn update(
    state: web::Data<AppState>,
    store: Storefront,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<UpdateMember>,
) -> AppResult<HttpResponse> {
    store.require(Scope::MembersWrite)?;
    let body = body.into_inner()?;
    let keyed = idempotent::optional(
        &req,
        store.program_id,
        Caller::ApiKey(store.key_id),
        "members.update",
        &body,
    )?;
    let reply = member_actions::update(
        &state,
        store.program_id,
        path.into_inner(),
        body,
        keyed,
        audited::by_key(&req, store.key_id),
    )
    .await?;
    Ok(idempotent::respond(reply))
}

/// Closes a member: erases email, name and birthday, forfeits remaining points (one `expire`
/// entry) and keeps the ledger. Accepts `Idempotency-Key`.
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:write"])), params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer"), ("external_id" = String, Path)), responses(
    (status = 200, body = MemberView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/members/{external_id}/close")]
async fn close(
    state: web::Data<AppState>,
    store: Storefront,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    store.require(Scope::MembersWrite)?;
    let keyed = idempotent::optional(
        &req,
        store.program_id,
        Caller::ApiKey(store.key_id),
        "members.close",
        &(),
    )?;
    let cause = Cause {
        api_key_id: Some(store.key_id),
        ..Cause::default()
    };
    let reply = member_actions::close(
        &state,
        store.program_id,
        path.into_inner(),
        cause,
        keyed,
        audited::by_key(&req, store.key_id),
    )
    .await?;
    Ok(idempotent::respond(reply))
}

/// The member's ledger, newest first.
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:read"])), params(("external_id" = String, Path), PageParams), responses(
    (status = 200, body = Page<EntryView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/members/{external_id}/ledger")]
async fn ledger(
    state: web::Data<AppState>,
    store: Storefront,
    path: web::Path<String>,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    store.require(Scope::MembersRead)?;
    Ok(HttpResponse::Ok()
        .json(member_actions::ledger(&state, store.program_id, path.into_inner(), &page).await?))
}

/// A member token, for the member's own browser or app (`/v1/me...`). Accepts
/// `Idempotency-Key`: a retry gets the same token.
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:write"])), params(("Idempotency-Key" = Option<String>, Header, description = "Optional: a retry with the same key gets the first answer"), ("external_id" = String, Path)), responses(
    (status = 200, body = TokenView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "The member is closed", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/members/{external_id}/token")]
async fn token(
    state: web::Data<AppState>,
    store: Storefront,
    req: HttpRequest,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    store.require(Scope::MembersWrite)?;
    let keyed = idempotent::optional(
        &req,
        store.program_id,
        Caller::ApiKey(store.key_id),
        "members.token",
        &(),
    )?;
    let reply = member_actions::token(&state, store.program_id, path.into_inner(), keyed).await?;
    Ok(idempotent::respond(reply))
}
