//! The HTTP side of idempotency: the `Idempotency-Key` header in, `Idempotent-Replayed` out.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::idempotency::{Caller, Keyed, Reply};

const HEADER: &str = "Idempotency-Key";

/// The request's key, if it sent one; `caller`'s alone.
pub fn optional<T: Serialize>(
    req: &HttpRequest,
    program_id: i64,
    caller: Caller,
    operation: &'static str,
    body: &T,
) -> AppResult<Option<Keyed>> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| AppError::invalid(HEADER, "Idempotency-Key: must be visible ASCII"))?;
    let body = serde_json::to_string(body).map_err(|e| AppError::Internal(e.into()))?;
    let request = format!("{} {}\n{body}", req.method(), req.path());
    Keyed::new(program_id, caller, key, operation, &request).map(Some)
}

/// The request's key; refused with 422 when it sent none.
pub fn required<T: Serialize>(
    req: &HttpRequest,
    program_id: i64,
    caller: Caller,
    operation: &'static str,
    body: &T,
) -> AppResult<Keyed> {
    optional(req, program_id, caller, operation, body)?.ok_or_else(|| {
        AppError::invalid(
            HEADER,
            "Idempotency-Key: this request moves points and needs the header",
        )
    })
}

/// The response for a reply, marked when it is a replay.
pub fn respond(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    response.content_type("application/json");
    if reply.replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(reply.body)
}
