//! A program's game configuration compiled for events, and the cache that keeps it per program
//! until the program's `config_version` changes (every instance checks it on each event, so
//! a change made through any instance applies to all from the next event on).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;

use crate::db::DbConnection;
use crate::db::models::game_elements::{self as rows, ElementRow};
use crate::domain::Invalid;
use crate::engine::badges::{BadgeContext, BadgeDefinition};
use crate::engine::challenges::ChallengeDefinition;
use crate::engine::game::GameConfig;
use crate::engine::leaderboards::LeaderboardDefinition;
use crate::engine::streaks::StreakDefinition;
use crate::error::AppResult;
use crate::programs::Program;
use crate::rules::RuleStatus;

/// The four kinds of game element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Badge,
    Challenge,
    Streak,
    Leaderboard,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Badge => "badge",
            Kind::Challenge => "challenge",
            Kind::Streak => "streak",
            Kind::Leaderboard => "leaderboard",
        }
    }
}

/// The program's active elements, compiled. An element that no longer compiles (its tier
/// left the ladder) is left out and logged, so one stale element never stops events.
pub fn load(conn: &mut DbConnection, program: &Program) -> AppResult<GameConfig> {
    let active: Vec<ElementRow> = rows::all(conn, program.id)?
        .into_iter()
        .filter(|r| r.status == RuleStatus::Active.as_str())
        .collect();
    let of_kind = |kind: Kind| active.iter().filter(move |r| r.kind == kind.as_str());
    let exponent = program.currency.exponent;
    let streaks: Vec<_> = of_kind(Kind::Streak)
        .filter_map(|row| {
            let definition: StreakDefinition = parse(row)?;
            usable(row, definition.compile(row.id, &row.slug))
        })
        .collect();
    let streak_id = |slug: &str| streaks.iter().find(|s| s.slug == slug).map(|s| s.id);
    let context = BadgeContext {
        exponent,
        tiers: program.tiers.as_ref(),
        streak_id: &streak_id,
    };
    let badges: Vec<_> = of_kind(Kind::Badge)
        .filter_map(|row| {
            let definition: BadgeDefinition = parse(row)?;
            usable(row, definition.compile(row.id, &row.slug, &context))
        })
        .collect();
    let badge_id = |slug: &str| badges.iter().find(|b| b.slug == slug).map(|b| b.id);
    let challenges: Vec<_> = of_kind(Kind::Challenge)
        .filter_map(|row| {
            let definition: ChallengeDefinition = parse(row)?;
            usable(
                row,
                definition.compile(row.id, &row.slug, exponent, badge_id),
            )
        })
        .collect();
    let window = |slug: &str| challenges.iter().find(|c| c.slug == slug).map(|c| c.window);
    let leaderboards = of_kind(Kind::Leaderboard)
        .filter_map(|row| {
            let definition: LeaderboardDefinition = parse(row)?;
            usable(row, definition.compile(row.id, &row.slug, window))
        })
        .collect();
    Ok(GameConfig {
        time_zone: program.time_zone,
        exponent,
        badges,
        challenges,
        streaks,
        leaderboards,
    })
}

pub(super) fn parse<D: DeserializeOwned>(row: &ElementRow) -> Option<D> {
    serde_json::from_str(&row.definition)
        .map_err(|e| tracing::error!(element = row.id, error = %e, "unreadable game element"))
        .ok()
}

fn usable<T>(row: &ElementRow, compiled: Result<T, Invalid>) -> Option<T> {
    compiled
        .map_err(|e| {
            tracing::warn!(kind = %row.kind, slug = %row.slug, error = %e,
                "game element left out: it no longer compiles")
        })
        .ok()
}

/// Compiled game configurations per program, at their configuration version.
#[derive(Default)]
pub struct GameCache {
    configs: Mutex<HashMap<i64, (i64, Arc<GameConfig>)>>,
}

impl GameCache {
    /// The program's game configuration at its current configuration version.
    pub fn get(&self, conn: &mut DbConnection, program: &Program) -> AppResult<Arc<GameConfig>> {
        if let Some((version, config)) = self
            .configs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&program.id)
            && *version == program.config_version
        {
            return Ok(config.clone());
        }
        let config = Arc::new(load(conn, program)?);
        self.configs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(program.id, (program.config_version, config.clone()));
        Ok(config)
    }
}
