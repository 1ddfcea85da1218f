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

/// A JSON request body, parsed into `T`. It is read before the handler runs, but a bad body is
/// reported only when the handler takes it with [`Json::into_inner`], after checking who
/// calls: actix-web runs a handler's extractors together, so a caller who may not call the
/// route would otherwise learn how its body is checked (a 422 before the 401 or 403).
pub struct Json<T>(Result<T, AppError>);

impl<T> Json<T> {
    pub fn into_inner(self) -> Result<T, AppError> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = OptionalJson::<T>::from_request(req, payload);
        Box::pin(async move {
            let body = body.await?.into_inner().and_then(|body| match body {
                _ if !is_json => Err(not_json()),
                Some(body) => Ok(body),
                // No body: refused as the empty document it is.
                None => parse(&[]),
            });
            Ok(Json(body))
        })
    }
}

/// A JSON body that may be left out: no body at all, or `null`, is `None`; any other body is read as
/// [`Json`] reads it (a wrong content type or an unknown field is refused, not ignored), and
/// its failure is reported as late.
pub struct OptionalJson<T>(Result<Option<T>, AppError>);

impl<T> OptionalJson<T> {
    pub fn into_inner(self) -> Result<Option<T>, AppError> {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for OptionalJson<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let read = match body.await {
                Err(error) => Err(unreadable(error)),
                Ok(bytes) if bytes.trim_ascii().is_empty() || bytes.trim_ascii() == b"null" => {
                    Ok(None)
                }
                Ok(_) if !is_json => Err(not_json()),
                Ok(bytes) => parse(&bytes).map(Some),
            };
            Ok(OptionalJson(read))
        })
    }
}

/// Parses a body as the extractors do; it must be an object: serde would read an array into a
/// struct, field by position.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
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
