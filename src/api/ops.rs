//! Health, readiness and metrics.

use std::time::Duration;

use actix_web::{HttpResponse, get, web};
use prometheus::{Encoder, Registry, TextEncoder};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::db;
use crate::error::{AppError, AppResult};
use crate::shutdown::Drain;
use crate::state::AppState;

/// How long `/readyz` waits for the database before answering that it is not ready, so that
/// it answers within a second whatever the database does.
const READY_WITHIN: Duration = Duration::from_millis(800);

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(metrics);
}

#[derive(Serialize, ToSchema)]
struct Health {
    status: &'static str,
    /// `sqlite` or `postgres`.
    #[serde(skip_serializing_if = "Option::is_none")]
    database: Option<String>,
}

/// The process is up.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
    })
}

/// The service takes requests: it is not shutting down, and its database answers (PostgreSQL)
/// or takes a write (SQLite), within 0.8 s.
#[utoipa::path(tag = "operations", responses(
    (status = 200, body = Health),
    (status = 503, description = "Shutting down, or the database does not answer or refuses writes",
        body = crate::error::Problem, content_type = "application/problem+json"),
))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>, drain: web::Data<Drain>) -> AppResult<HttpResponse> {
    if drain.is_draining() {
        return Err(AppError::Unavailable("the service is shutting down".into()));
    }
    let backend = state.db.backend().to_string();
    let check = state.run(|conn| {
        db::check_ready(conn)
            .map_err(|e| AppError::Unavailable(format!("the database is not ready: {e}")))
    });
    tokio::time::timeout(READY_WITHIN, check)
        .await
        .map_err(|_| {
            AppError::Unavailable(format!(
                "the database did not answer within {READY_WITHIN:?}"
            ))
        })??;
    Ok(HttpResponse::Ok().json(Health {
        status: "ready",
        database: Some(backend),
    }))
}

/// Prometheus metrics: requests and latency by route and status, and the connection pool.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
async fn metrics(registry: web::Data<Registry>) -> AppResult<HttpResponse> {
    let mut buffer = Vec::new();
    let encoder = TextEncoder::new();
    encoder
        .encode(&registry.gather(), &mut buffer)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type(encoder.format_type())
        .body(buffer))
}
