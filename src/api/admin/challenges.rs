//! A program's challenges: create, list, show, change, disable, enable.

use crate::engine::challenges::ChallengeDefinition;

super::game::element_routes! {
    definition: ChallengeDefinition,
    one: "challenge",
    many: "challenges",
    slug: "Challenge slug",
    paths: [
        "/v1/admin/programs/{program}/challenges",
        "/v1/admin/programs/{program}/challenges/{slug}",
        "/v1/admin/programs/{program}/challenges/{slug}/disable",
        "/v1/admin/programs/{program}/challenges/{slug}/enable",
    ],
    /// Creates a challenge: a goal (a count, or money over events or items), a window (fixed dates, or
    /// every day, week or month in program time), automatic or opt-in enrolment, optional tiers, and a
    /// reward (points, a badge, a voucher) paid once per member and window.
    create,
    also: [],
}
