//! Query strings, parsed so that errors name the parameter.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A query string parsed into `T`.
pub struct Query<T>(pub T);

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        // PostgreSQL cannot take a NUL character in a string.
        if let Some((name, _)) = pairs.clone().find(|(_, value)| value.contains('\0')) {
            return std::future::ready(Err(AppError::invalid(
                name.to_string(),
                format!("{name}: must not contain a NUL character"),
            )));
        }
        let deserializer = serde_urlencoded::Deserializer::new(pairs);
        std::future::ready(
            serde_path_to_error::deserialize(deserializer)
                .map(Query)
                .map_err(|error| {
                    let field = error.path().to_string();
                    let message = error.into_inner().to_string();
                    let field = match (field.as_str(), message.strip_prefix("unknown field `")) {
                        (_, Some(rest)) => rest.split('`').next().unwrap_or_default().to_owned(),
                        (".", None) => "query".to_owned(),
                        (path, None) => path.to_owned(),
                    };
                    AppError::invalid(field.clone(), format!("{field}: {message}"))
                }),
        )
    }
}
