//! Posting events and reading their outcomes.

use actix_web::{HttpResponse, get, post, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::extract::{CachedKey, Storefront};
use crate::api::json::Json;
use crate::auth::Scope;
use crate::db::models::events as event_rows;
use crate::db::now_utc;
use crate::engine::input::EventInput;
use crate::error::{AppError, AppResult, Problem};
use crate::events::outcome::EventOutcome;
use crate::events::{self, Recorded};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(post_event).service(show);
}

/// Records an event and answers with what it earned. Its `id` is its idempotency key: posting
/// it again returns 200 with the identical outcome and `Idempotent-Replayed: true`; the same id
/// with a different body is 409.
#[utoipa::path(tag = "storefront", security(("api_key" = ["events:write"])), request_body = EventInput, responses(
    (status = 201, description = "Recorded", body = EventOutcome),
    (status = 200, description = "Already recorded: the first outcome", body = EventOutcome),
    (status = 404, description = "Unknown member (unless the program enrols on first event)", body = Problem, content_type = "application/problem+json"),
    (status = 409, description = "`event-conflict`: the id was used with a different body; `member-closed`", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/events")]
async fn post_event(
    state: web::Data<AppState>,
    mut key: CachedKey,
    body: Json<EventInput>,
) -> AppResult<HttpResponse> {
    key.require(&state, Scope::EventsWrite).await?;
    let body = body.into_inner()?;
    let shared = state.clone();
    // The key is confirmed by the member's lock: one hop to the database, no statement of its
    // own.
    let recorded = key
        .run(&state, Scope::EventsWrite, move |conn, key| {
            events::record_by_key(conn, &shared.rules, &shared.game, key, &body, now_utc())
        })
        .await?;
    let (mut response, json) = match recorded {
        Recorded::Created(json) => (HttpResponse::Created(), json),
        Recorded::Replayed(json) => {
            let mut replay = HttpResponse::Ok();
            replay.insert_header(("Idempotent-Replayed", "true"));
            (replay, json)
        }
    };
    Ok(response.content_type("application/json").body(json))
}

/// The outcome an event was answered with.
#[utoipa::path(tag = "storefront", security(("api_key" = ["members:read"])), params(("id" = String, Path, description = "The storefront's event id")), responses(
    (status = 200, body = EventOutcome),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/events/{id}")]
async fn show(
    state: web::Data<AppState>,
    store: Storefront,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    store.require(Scope::MembersRead)?;
    let row = state
        .run(move |conn| {
            event_rows::find(conn, store.program_id, &path)?
                .ok_or_else(|| AppError::not_found(format!("no event `{path}`")))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(row.outcome))
}
