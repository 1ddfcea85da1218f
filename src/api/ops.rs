//! Health, readiness and metrics.

use actix_web::{HttpResponse, get, web};
use prometheus::{Encoder, Registry, TextEncoder};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

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

/// The process is up and its database answers.
#[utoipa::path(tag = "operations", responses(
    (status = 200, body = Health),
    (status = 503, description = "The database does not answer", body = crate::error::Problem,
        content_type = "application/problem+json"),
))]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    use diesel::r2d2::R2D2Connection;
    let backend = state.db.backend().to_string();
    state
        .run(|conn| {
            (**conn)
                .ping()
                .map_err(|e| AppError::Unavailable(format!("the database does not answer: {e}")))
        })
        .await?;
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
