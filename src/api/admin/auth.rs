//! Admin sign-in.

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::admins;
use crate::api::json::Json;
use crate::api::views::TokenView;
use crate::auth::jwt::Audience;
use crate::error::{AppError, AppResult, Problem};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(login);
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginRequest {
    email: String,
    password: String,
}

/// Exchanges an admin's email and password for an admin token. After 5 failures for one email
/// or 20 from one address, attempts are refused with 429 (and `Retry-After`); one failure is
/// given back every 3 minutes per email, every 45 seconds per address.
#[utoipa::path(tag = "admin", request_body = LoginRequest, responses(
    (status = 200, body = TokenView),
    (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
    (status = 429, description = "Too many failed attempts", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/auth/login")]
async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let LoginRequest { email, password } = body.into_inner()?;
    // The TCP peer, not `X-Forwarded-For`, which any client can set: behind a reverse proxy,
    // every client shares the proxy's address.
    let address = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    state
        .login_limiter
        .check(&email, &address)
        .map_err(|retry_after_secs| AppError::TooManyRequests {
            detail: "too many failed logins; wait before trying again".into(),
            retry_after_secs,
        })?;
    let attempt_email = email.clone();
    let admin = state
        .run(move |conn| admins::authenticate(conn, &attempt_email, &password))
        .await?;
    let Some(admin) = admin else {
        state.login_limiter.record_failure(&email, &address);
        return Err(AppError::Unauthorized(
            "the email or password is wrong".into(),
        ));
    };
    let ttl = state.token_lifetimes.admin_secs;
    let access_token = state
        .tokens
        .issue(Audience::Admin, admin.id.to_string(), None, ttl)?;
    Ok(HttpResponse::Ok().json(TokenView {
        access_token,
        token_type: "Bearer",
        expires_in: ttl,
    }))
}
