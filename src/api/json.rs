//! Request bodies: JSON only, capped in size, and every failure a problem that names the field.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// The largest body accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// A JSON request body, parsed into `T`.
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = OptionalJson::<T>::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(not_json());
            }
            match body.await?.0 {
                Some(body) => Ok(Json(body)),
                // No body: refused as the empty document it is.
                None => parse(&[]).map(Json),
            }
        })
    }
}

/// A JSON body that may be left out: no body at all is `None`; any other body is read as
/// [`Json`] reads it (a wrong content type or an unknown field is refused, not ignored).
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(unreadable)?;
            if bytes.is_empty() {
                return Ok(OptionalJson(None));
            }
            if !is_json {
                return Err(not_json());
            }
            parse(&bytes).map(|body| OptionalJson(Some(body)))
        })
    }
}

/// Parses a body, which must be an object: serde would read an array into a struct, field by
/// position.
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(AppError::invalid("body", "body: expected an object"));
    }
    crate::json::parse(bytes)
}

fn not_json() -> AppError {
    AppError::UnsupportedMediaType(
        "the body must be JSON, sent with `Content-Type: application/json`".into(),
    )
}

fn unreadable(error: actix_web::Error) -> AppError {
    match error.as_error::<PayloadError>() {
        Some(PayloadError::Overflow) => {
            AppError::PayloadTooLarge(format!("the body must be at most {MAX_BODY} bytes"))
        }
        _ => AppError::BadRequest(format!("the body could not be read: {error}")),
    }
}

fn is_json(req: &HttpRequest) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}
