//! The two demo programs of PROGRAMS.md, as the same JSON an admin would send to the API.
//! `fidelio demo` loads them through the admin use cases, and the tests through HTTP.

pub mod actions;
pub mod beauty;
pub mod bulk;
pub mod coffee;
pub mod load;
pub mod purchases;
pub mod simulate;
pub mod timeline;

use serde_json::Value;

/// A program's whole configuration, as API request bodies.
pub struct ProgramConfig {
    /// Body of `POST /v1/admin/programs`.
    pub program: Value,
    /// Bodies of `POST /v1/admin/programs/{program}/rules`.
    pub rules: Vec<Value>,
    /// Body of `PUT /v1/admin/programs/{program}/tiers`.
    pub tiers: Value,
    /// Bodies of `POST /v1/admin/programs/{program}/rewards`.
    pub rewards: Vec<Value>,
    /// Bodies of `POST /v1/admin/programs/{program}/streaks` (before the badges naming them).
    pub streaks: Vec<Value>,
    /// Bodies of `POST /v1/admin/programs/{program}/badges` (after the tiers and streaks they
    /// name, before the challenges that award them).
    pub badges: Vec<Value>,
    /// Bodies of `POST /v1/admin/programs/{program}/challenges`.
    pub challenges: Vec<Value>,
    /// Bodies of `POST /v1/admin/programs/{program}/leaderboards`.
    pub leaderboards: Vec<Value>,
}

impl ProgramConfig {
    /// The game layer's elements in the order they can be created (each after what it names),
    /// with the path segment of their kind: `streaks`, `badges`, `challenges`, `leaderboards`.
    pub fn game_elements(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        let kinds: [(&'static str, &Vec<Value>); 4] = [
            ("streaks", &self.streaks),
            ("badges", &self.badges),
            ("challenges", &self.challenges),
            ("leaderboards", &self.leaderboards),
        ];
        kinds
            .into_iter()
            .flat_map(|(kind, items)| items.iter().map(move |item| (kind, item)))
    }
}
