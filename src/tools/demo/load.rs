//! Configuring a demo program through the same use cases the admin API calls.

use chrono::NaiveDateTime;
use serde_json::Value;

use super::ProgramConfig;
use crate::db::models::programs as program_rows;
use crate::db::{DbConn, DbConnection, write_tx};
use crate::engine::badges::BadgeDefinition;
use crate::engine::challenges::ChallengeDefinition;
use crate::engine::leaderboards::LeaderboardDefinition;
use crate::engine::streaks::StreakDefinition;
use crate::error::{AppError, AppResult};
use crate::gamification::elements::{self, Definition, NewElement};
use crate::programs::api_keys::{self, CreateApiKey};
use crate::programs::{self, CreateProgram, Program};
use crate::rules::{self, NewRule};
use crate::{json, rewards};
use utoipa::ToSchema;

/// Creates the program, its rules, tiers and rewards, and a storefront key (returned).
pub fn configure(
    conn: &mut DbConn,
    config: &ProgramConfig,
    extra_rules: &[Value],
    admin_id: i64,
    now: NaiveDateTime,
) -> AppResult<(Program, String)> {
    let input: CreateProgram = json::from_value(config.program.clone(), "program.")?;
    let program = programs::create(conn, &input)?;
    let tiers = json::from_value(config.tiers.clone(), "tiers.")?;
    let program = programs::set_tiers(conn, &program.slug, Some(&tiers))?;
    write_tx(conn, |tx| {
        for (i, body) in config.rules.iter().chain(extra_rules).enumerate() {
            let rule = NewRule::from_json(body.clone(), &format!("rules[{i}]."))?;
            rules::create(tx, &program, &rule, Some(admin_id), now)?;
        }
        for body in &config.rewards {
            rewards::create(tx, &program, body.clone(), now)?;
        }
        for (kind, body) in config.game_elements() {
            create_element(tx, &program, kind, body.clone(), now)?;
        }
        Ok::<_, AppError>(())
    })?;
    let scopes = [
        "members:read",
        "members:write",
        "events:write",
        "points:redeem",
        "points:adjust",
    ];
    let key_input = CreateApiKey {
        name: "demo storefront".into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        rate_limit: None,
    };
    let (_, key) = api_keys::issue(conn, program.id, admin_id, &key_input, None)?;
    let program = programs::by_id(conn, program.id)?;
    Ok((program, key))
}

/// Creates a badge, challenge, streak or leaderboard (`kind` as in the admin API's path).
fn create_element(
    tx: &mut DbConnection,
    program: &Program,
    kind: &str,
    body: Value,
    now: NaiveDateTime,
) -> AppResult<()> {
    fn create<D: Definition + ToSchema>(
        tx: &mut DbConnection,
        program: &Program,
        body: Value,
        now: NaiveDateTime,
    ) -> AppResult<()> {
        elements::create(tx, program, &NewElement::<D>::from_json(body)?, now).map(drop)
    }
    match kind {
        "streaks" => create::<StreakDefinition>(tx, program, body, now),
        "badges" => create::<BadgeDefinition>(tx, program, body, now),
        "challenges" => create::<ChallengeDefinition>(tx, program, body, now),
        "leaderboards" => create::<LeaderboardDefinition>(tx, program, body, now),
        other => Err(AppError::Internal(anyhow::anyhow!(
            "unknown game element kind `{other}`"
        ))),
    }
}

/// Moves an earlier demo program out of the way: its slug becomes `<slug>-archived-<n>`. Its
/// ledger is append-only and stays.
pub fn archive(conn: &mut DbConn, slug: &str, suffix: i64) -> AppResult<bool> {
    let Some(row) = program_rows::find_by_slug(conn, slug)? else {
        return Ok(false);
    };
    write_tx(conn, |tx| {
        program_rows::rename(tx, row.id, &format!("{slug}-archived-{suffix}"))
    })?;
    Ok(true)
}
