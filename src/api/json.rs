//! Request bodies: JSON only, capped in size, and every failure a problem that names the field.

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::error::Category;

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
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType(
                    "the body must be JSON, sent with `Content-Type: application/json`".into(),
                ));
            }
            let bytes = body
                .await
                .map_err(|error| match error.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => AppError::PayloadTooLarge(format!(
                        "the body must be at most {MAX_BODY} bytes"
                    )),
                    _ => AppError::BadRequest(format!("the body could not be read: {error}")),
                })?;
            parse(&bytes).map(Json)
        })
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

/// Parses a JSON document into `T`, naming the offending field on failure.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        describe(&path, error.into_inner())
    })?;
    deserializer
        .end()
        .map_err(|e| AppError::MalformedJson(without_position(&e)))?;
    Ok(value)
}

fn describe(path: &str, error: serde_json::Error) -> AppError {
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            AppError::MalformedJson(error.to_string())
        }
        Category::Data => {
            let message = without_position(&error);
            // serde reports missing and unknown fields at their parent: name the field itself.
            let named = ["missing field `", "unknown field `"]
                .iter()
                .find_map(|start| message.strip_prefix(start))
                .and_then(|rest| rest.split('`').next());
            let field = match (path, named) {
                (".", Some(name)) => name.to_owned(),
                (parent, Some(name)) if !parent.ends_with(name) => format!("{parent}.{name}"),
                (".", None) => "body".to_owned(),
                (parent, _) => parent.to_owned(),
            };
            AppError::invalid(field.clone(), format!("{field}: {message}"))
        }
    }
}

fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        points: i64,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        quantity: u32,
    }

    fn field_of(json: &str) -> String {
        match parse::<Body>(json.as_bytes()) {
            Err(AppError::Validation(field)) => field.field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_offending_field() {
        assert_eq!(field_of(r#"{"items": []}"#), "points");
        assert_eq!(field_of(r#"{"points": "ten", "items": []}"#), "points");
        assert_eq!(
            field_of(r#"{"points": 1, "items": [{"quantity": -1}]}"#),
            "items[0].quantity"
        );
        assert_eq!(
            field_of(r#"{"points": 1, "items": [], "pionts": 2}"#),
            "pionts"
        );
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        assert!(matches!(
            parse::<Body>(b"{\"points\": "),
            Err(AppError::MalformedJson(_))
        ));
        assert!(matches!(
            parse::<Body>(br#"{"points": 1, "items": []} trailing"#),
            Err(AppError::MalformedJson(_))
        ));
    }
}
