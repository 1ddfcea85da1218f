//! The two demo programs of PROGRAMS.md, as the same JSON an admin would send to the API.
//! `fidelio demo` loads them through the admin use cases, and the tests through HTTP.

pub mod beauty;
pub mod bulk;
pub mod coffee;
pub mod load;
pub mod simulate;

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
}
