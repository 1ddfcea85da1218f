//! Routes for people who run programs (admin JWT).

mod access;
mod admins;
pub(super) mod analytics;
mod api_keys;
pub(super) mod audit;
mod auth;
pub(super) mod badges;
mod challenges;
pub(super) mod game;
pub(super) mod leaderboards;
pub(super) mod members;
mod programs;
pub mod rewards;
pub(super) mod rules;
mod streaks;
mod tiers;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    auth::routes(cfg);
    admins::routes(cfg);
    audit::routes(cfg);
    analytics::routes(cfg);
    programs::routes(cfg);
    api_keys::routes(cfg);
    members::routes(cfg);
    rules::routes(cfg);
    rewards::routes(cfg);
    tiers::routes(cfg);
    streaks::routes(cfg);
    badges::routes(cfg);
    challenges::routes(cfg);
    leaderboards::routes(cfg);
}
