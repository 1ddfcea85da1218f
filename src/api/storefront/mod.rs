//! Server-to-server routes of a storefront (API key in `X-Api-Key`).

mod members;
mod points;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    members::routes(cfg);
    points::routes(cfg);
}
