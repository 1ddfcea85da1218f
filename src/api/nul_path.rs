//! Paths with a NUL (`%00`) are answered 404 before any route: no id or slug has one, and
//! PostgreSQL refuses a NUL in text, which would make the look-up fail as a 500.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;

use crate::error::AppError;

pub async fn refuse(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if req.uri().path().contains("%00") {
        let error = AppError::not_found("path: no resource has a NUL in its path");
        return Ok(req.error_response(error).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}
