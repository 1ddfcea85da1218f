//! Server-to-server routes of a storefront (API key in `X-Api-Key`).

mod events;
mod members;
mod points;
mod redemptions;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    events::routes(cfg);
    members::routes(cfg);
    points::routes(cfg);
    redemptions::routes(cfg);
}
