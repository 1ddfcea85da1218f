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
        std::future::ready(parse(req.query_string()).map(Query))
    }
}

/// Parses a query string (without the `?`) into `T`; errors name the parameter. A NUL is
/// refused: no parameter needs one, and PostgreSQL cannot take one in text.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    if let Some((key, _)) = pairs
        .clone()
        .find(|(key, value)| key.contains('\0') || value.contains('\0'))
    {
        let field = match key.replace('\0', "\\0") {
            empty if empty.is_empty() => "\"\"".to_owned(),
            named => named,
        };
        return Err(AppError::invalid(
            field.clone(),
            format!("{field}: must not contain NUL characters"),
        ));
    }
    let deserializer = serde_urlencoded::Deserializer::new(pairs);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let field = error.path().to_string();
        let message = error.into_inner().to_string();
        let field = match (field.as_str(), message.strip_prefix("unknown field `")) {
            (_, Some(rest)) => match rest.split('`').next().unwrap_or_default() {
                // A parameter named by the empty string is shown as `""`.
                "" => "\"\"".to_owned(),
                name => name.to_owned(),
            },
            (".", None) => "query".to_owned(),
            (path, None) => path.to_owned(),
        };
        AppError::invalid(field.clone(), format!("{field}: {message}"))
    })
}
