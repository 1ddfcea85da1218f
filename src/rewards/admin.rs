//! What an admin does to a program's catalogue, each in its own transaction. Each answers the
//! program beside the reward, which its view needs.

use serde_json::Value;

use super::{Reward, RewardDefinition};
use crate::db::{DbConn, now_utc, write_tx};
use crate::error::AppResult;
use crate::programs::{self, Program};

/// Adds a reward from `{slug, ...definition}` to the program with this slug.
pub fn create(conn: &mut DbConn, program: &str, body: Value) -> AppResult<(Program, Reward)> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let reward = super::create(tx, &program, body, now_utc())?;
        Ok((program, reward))
    })
}

/// Replaces a reward's definition.
pub fn update(
    conn: &mut DbConn,
    program: &str,
    slug: &str,
    definition: &RewardDefinition,
) -> AppResult<(Program, Reward)> {
    write_tx(conn, |tx| {
        let program = programs::require(tx, program)?;
        let reward = super::update(tx, &program, slug, definition, now_utc())?;
        Ok((program, reward))
    })
}
