//! The HTTP API: the extractors that say who is calling, thin handlers grouped by client, and
//! the OpenAPI document they generate.

mod admin;
mod audited;
pub mod extract;
pub mod idempotent;
pub mod json;
mod member;
mod member_actions;
pub mod observe;
mod openapi;
mod ops;
pub mod pagination;
pub mod problems_doc;
pub mod query;
pub mod rate_limit;
mod redemption_actions;
pub mod schema_rules;
mod storefront;
#[cfg(test)]
mod tests_hostile;
pub mod unmatched;
mod views;

pub use openapi::ApiDoc;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every route. actix-web tries routes in this order, so the storefronts' and
/// members' (most requests) come before the admins'.
pub fn routes(cfg: &mut ServiceConfig) {
    ops::routes(cfg);
    storefront::routes(cfg);
    member::routes(cfg);
    admin::routes(cfg);
}
