//! A program's streaks: create, list, show, change, disable, enable.

use crate::engine::streaks::StreakDefinition;

super::game::element_routes! {
    definition: StreakDefinition,
    one: "streak",
    many: "streaks",
    slug: "Streak slug",
    paths: [
        "/v1/admin/programs/{program}/streaks",
        "/v1/admin/programs/{program}/streaks/{slug}",
        "/v1/admin/programs/{program}/streaks/{slug}/disable",
        "/v1/admin/programs/{program}/streaks/{slug}/enable",
    ],
    /// Creates a streak: consecutive days or weeks (program time) with an event of a type that meets
    /// the conditions. Members see it in `GET /v1/me`; badges can require a length of it.
    create,
    also: [],
}
