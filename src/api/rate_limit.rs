//! The `RateLimit-Policy` and `RateLimit` headers on every response to a storefront key that
//! has a `rate_limit`; the `Storefront` extractor leaves the key's usage in the request. (A
//! refused request carries them in its 429.)

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

use crate::auth::key_limit::Usage;

pub async fn send_usage(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let usage = response.request().extensions().get::<Usage>().copied();
    for (name, value) in usage.iter().flat_map(Usage::headers) {
        if let Ok(value) = HeaderValue::try_from(value) {
            response
                .headers_mut()
                .insert(HeaderName::from_static(name), value);
        }
    }
    Ok(response)
}
