//! What a request that no route takes is answered: 405 with `Allow` when its path exists with
//! other methods, else 404; and `HEAD` on every `GET` route.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ResourceDef, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, ResponseError, web};
use utoipa::openapi::OpenApi;

use crate::error::AppError;

/// Every path the service serves, with its methods: the OpenAPI document's, and the
/// documentation's own.
pub struct RouteTable {
    routes: Vec<(ResourceDef, Vec<Method>)>,
}

impl RouteTable {
    pub fn new(openapi: &OpenApi) -> RouteTable {
        let mut routes: Vec<(ResourceDef, Vec<Method>)> = openapi
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                let methods = methods
                    .into_iter()
                    .filter_map(|(method, served)| served.then_some(method))
                    .collect();
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        for path in ["/openapi.json", "/docs", "/docs/{_:.*}"] {
            routes.push((ResourceDef::new(path), vec![Method::GET]));
        }
        RouteTable { routes }
    }

    /// The name of the variable segment at `index` of `path` (`program` for 4 in
    /// `/v1/admin/programs/{program}`), by the route that matches it.
    fn segment_name(&self, path: &str, index: usize) -> Option<String> {
        let (def, _) = self.best(path)?;
        let segment = def.pattern()?.split('/').nth(index)?;
        let name = segment.strip_prefix('{')?.strip_suffix('}')?;
        Some(name.to_owned())
    }

    fn best(&self, path: &str) -> Option<&(ResourceDef, Vec<Method>)> {
        self.routes
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .min_by_key(|(def, _)| def.pattern().map_or(0, |p| p.matches('{').count()))
    }

    /// The methods `path` is served with, `HEAD` wherever `GET` is; empty for an unknown path.
    /// Where several routes match (`/rules/preview` and `/rules/{slug}`), the one with the
    /// fewest variable segments names them.
    fn allowed(&self, path: &str) -> Vec<Method> {
        let best = self.best(path);
        let mut allowed = best.map(|(_, methods)| methods.clone()).unwrap_or_default();
        if allowed.contains(&Method::GET) {
            allowed.push(Method::HEAD);
        }
        allowed
    }
}

/// Marks a request that came as `HEAD` and is routed as `GET`.
struct Head;

/// The default service: 405 with `Allow` for a known path, else 404; both problem documents.
pub async fn unmatched(req: HttpRequest, table: web::Data<RouteTable>) -> HttpResponse {
    let method = match req.extensions().get::<Head>() {
        Some(Head) => Method::HEAD,
        None => req.method().clone(),
    };
    let allowed = table.allowed(req.path());
    if allowed.is_empty() {
        return AppError::NotFound(format!("no route for {method} {}", req.path()))
            .error_response();
    }
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = AppError::MethodNotAllowed(format!(
        "{method} is not allowed on {}; allowed: {allow}",
        req.path()
    ))
    .error_response();
    if let Ok(value) = HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Serves `HEAD` as `GET`: the HTTP layer, which saw the request as `HEAD`, sends the headers
/// (with the body's length) and leaves the body out.
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
        req.extensions_mut().insert(Head);
    }
    next.call(req).await
}

/// Answers a path with a NUL character (`%00`) in a segment 404, naming the segment: no slug,
/// id or external id can hold one, and PostgreSQL refuses to compare one.
pub async fn refuse_nul_in_path(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let path = req.path();
    let Some(index) = path.split('/').position(|segment| segment.contains("%00")) else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let field = req
        .app_data::<web::Data<RouteTable>>()
        .and_then(|table| table.segment_name(path, index))
        .unwrap_or_else(|| "path".to_owned());
    let response = AppError::NotFound(format!(
        "{field}: nothing here has a NUL character in its name"
    ))
    .error_response();
    Ok(req.into_response(response).map_into_right_body())
}
