//! Badges, challenges, streaks and leaderboards as an admin manages them: one generic set of
//! use cases over the four kinds, each a JSON definition stored in `game_elements`. Every
//! change bumps the program's `config_version`, so every instance recompiles its cache.
//!
//! What an element measures is fixed once created (a badge's criterion, a challenge's goal
//! activity and window, a streak's period and activity, a leaderboard's metric and period):
//! progress and scores already kept would mean something else under a new one. Create a new
//! element instead; names, descriptions, thresholds, targets, rewards and sizes may change.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::ToSchema;

use super::config::{self, Kind, parse};
use crate::db::models::game_elements::{self as rows, ElementRow};
use crate::db::models::programs as program_rows;
use crate::db::{DbConnection, is_unique_violation};
use crate::domain::Invalid;
use crate::engine::badges::{BadgeContext, BadgeDefinition, Criterion};
use crate::engine::challenges::{ChallengeDefinition, Goal};
use crate::engine::game::GameConfig;
use crate::engine::leaderboards::{LeaderboardDefinition, LeaderboardPeriod};
use crate::engine::streaks::StreakDefinition;
use crate::engine::windows::CompiledWindow;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::programs::Program;
use crate::rules::RuleStatus;

/// A definition of one kind of element.
pub trait Definition: Serialize + DeserializeOwned + Clone + PartialEq + Send + 'static {
    const KIND: Kind;

    /// Checks the definition against the program's active elements and tiers.
    fn check(&self, program: &Program, refs: &References, slug: &str) -> Result<(), Invalid>;

    /// The part that cannot change after creation, to compare.
    fn measured(&self) -> Value;

    /// Other elements it names: `(kind, slug)`.
    fn references(&self) -> Vec<(Kind, &str)>;
}

/// What active elements a definition may name, by slug.
#[derive(Debug, Default)]
pub struct References {
    streaks: HashMap<String, i64>,
    badges: HashMap<String, i64>,
    challenges: HashMap<String, CompiledWindow>,
}

impl References {
    pub fn streak(&self, slug: &str) -> Option<i64> {
        self.streaks.get(slug).copied()
    }

    pub fn badge(&self, slug: &str) -> Option<i64> {
        self.badges.get(slug).copied()
    }

    pub fn challenge_window(&self, slug: &str) -> Option<CompiledWindow> {
        self.challenges.get(slug).copied()
    }
}

/// The active elements definitions may name.
pub fn references(conn: &mut DbConnection, program: &Program) -> AppResult<References> {
    Ok(References::of(&config::load(conn, program)?))
}

impl References {
    /// The elements of a compiled configuration, by slug.
    pub fn of(config: &GameConfig) -> References {
        References {
            streaks: config
                .streaks
                .iter()
                .map(|s| (s.slug.clone(), s.id))
                .collect(),
            badges: config
                .badges
                .iter()
                .map(|b| (b.slug.clone(), b.id))
                .collect(),
            challenges: config
                .challenges
                .iter()
                .map(|c| (c.slug.clone(), c.window))
                .collect(),
        }
    }
}

/// An active element that names the element `(kind, slug)`: its kind and slug.
pub fn active_user_of(
    conn: &mut DbConnection,
    program: &Program,
    kind: Kind,
    slug: &str,
) -> AppResult<Option<(Kind, String)>> {
    fn names<D: Definition>(row: &ElementRow, kind: Kind, slug: &str) -> bool {
        parse::<D>(row).is_some_and(|d| d.references().contains(&(kind, slug)))
    }
    let found = rows::all(conn, program.id)?
        .into_iter()
        .filter(|r| r.status == RuleStatus::Active.as_str())
        .find_map(|row| {
            let (user, names) = match row.kind.as_str() {
                "badge" => (Kind::Badge, names::<BadgeDefinition>(&row, kind, slug)),
                "challenge" => (
                    Kind::Challenge,
                    names::<ChallengeDefinition>(&row, kind, slug),
                ),
                "leaderboard" => (
                    Kind::Leaderboard,
                    names::<LeaderboardDefinition>(&row, kind, slug),
                ),
                _ => (Kind::Streak, false),
            };
            names.then_some((user, row.slug))
        });
    Ok(found)
}

fn fixed_part<T: Serialize>(parts: T) -> Value {
    serde_json::to_value(parts).unwrap_or(Value::Null)
}

impl Definition for BadgeDefinition {
    const KIND: Kind = Kind::Badge;

    fn check(&self, program: &Program, refs: &References, slug: &str) -> Result<(), Invalid> {
        let streak_id = |s: &str| refs.streak(s);
        let context = BadgeContext {
            exponent: program.currency.exponent,
            tiers: program.tiers.as_ref(),
            streak_id: &streak_id,
        };
        self.compile(0, slug, &context).map(drop)
    }

    fn measured(&self) -> Value {
        fixed_part(&self.criterion)
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        match &self.criterion {
            Criterion::Streak { streak } => vec![(Kind::Streak, streak.as_str())],
            _ => Vec::new(),
        }
    }
}

impl Definition for ChallengeDefinition {
    const KIND: Kind = Kind::Challenge;

    fn check(&self, program: &Program, refs: &References, slug: &str) -> Result<(), Invalid> {
        self.compile(0, slug, program.currency.exponent, |s| refs.badge(s))
            .map(drop)
    }

    fn measured(&self) -> Value {
        let activity = match &self.goal {
            Goal::Count {
                event_type,
                conditions,
                rewarded_only,
                ..
            } => fixed_part(("count", event_type, conditions, rewarded_only)),
            Goal::Sum {
                event_type,
                conditions,
                items,
                ..
            } => fixed_part(("sum", event_type, conditions, items)),
        };
        fixed_part((activity, &self.window))
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        self.reward
            .badge
            .iter()
            .map(|b| (Kind::Badge, b.as_str()))
            .collect()
    }
}

impl Definition for StreakDefinition {
    const KIND: Kind = Kind::Streak;

    fn check(&self, _: &Program, _: &References, slug: &str) -> Result<(), Invalid> {
        self.compile(0, slug).map(drop)
    }

    fn measured(&self) -> Value {
        fixed_part((
            self.period,
            &self.event_type,
            &self.conditions,
            self.rewarded_only,
        ))
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        Vec::new()
    }
}

impl Definition for LeaderboardDefinition {
    const KIND: Kind = Kind::Leaderboard;

    fn check(&self, _: &Program, refs: &References, slug: &str) -> Result<(), Invalid> {
        self.compile(0, slug, |s| refs.challenge_window(s))
            .map(drop)
    }

    fn measured(&self) -> Value {
        fixed_part((&self.metric, &self.period))
    }

    fn references(&self) -> Vec<(Kind, &str)> {
        match &self.period {
            LeaderboardPeriod::Challenge { challenge } => {
                vec![(Kind::Challenge, challenge.as_str())]
            }
            _ => Vec::new(),
        }
    }
}

/// An element with its definition.
#[derive(Debug, Clone)]
pub struct Element<D> {
    pub row: ElementRow,
    pub definition: D,
}

/// A new element: its slug beside its definition, in one object.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewElement<D: ToSchema> {
    /// Lower-case letters, digits and dashes; unique among the program's elements of this kind.
    pub slug: String,
    #[serde(flatten)]
    pub definition: D,
}

impl<D: Definition + ToSchema> NewElement<D> {
    /// Reads `{slug, ...definition}`; errors name the field.
    pub fn from_json(body: Value) -> AppResult<Self> {
        let (slug, rest) = crate::json::take_slug(body, "")?;
        let definition = crate::json::from_value(rest, "")?;
        Ok(NewElement { slug, definition })
    }
}

fn decode<D: Definition>(row: ElementRow) -> AppResult<Element<D>> {
    let definition = serde_json::from_str(&row.definition).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "{} {} is unreadable: {e}",
            D::KIND.as_str(),
            row.id
        ))
    })?;
    Ok(Element { row, definition })
}

fn encode<D: Definition>(definition: &D) -> AppResult<String> {
    serde_json::to_string(definition).map_err(|e| AppError::Internal(e.into()))
}

/// Creates an element; 409 `{kind}-exists` if the slug is taken.
pub fn create<D: Definition + ToSchema>(
    tx: &mut DbConnection,
    program: &Program,
    new: &NewElement<D>,
    now: NaiveDateTime,
) -> AppResult<Element<D>> {
    let refs = references(tx, program)?;
    new.definition.check(program, &refs, &new.slug)?;
    let json = encode(&new.definition)?;
    let row = match rows::insert(tx, program.id, D::KIND.as_str(), &new.slug, &json, now) {
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::conflict(
                exists_code(D::KIND),
                format!(
                    "slug: a {} `{}` exists in this program",
                    D::KIND.as_str(),
                    new.slug
                ),
            ));
        }
        other => other?,
    };
    program_rows::bump_config_version(tx, program.id)?;
    decode(row)
}

fn exists_code(kind: Kind) -> ErrorCode {
    match kind {
        Kind::Badge => ErrorCode::BadgeExists,
        Kind::Challenge => ErrorCode::ChallengeExists,
        Kind::Streak => ErrorCode::StreakExists,
        Kind::Leaderboard => ErrorCode::LeaderboardExists,
    }
}

/// Replaces an element's definition (what it measures stays: see the module's note).
pub fn update<D: Definition>(
    tx: &mut DbConnection,
    program: &Program,
    slug: &str,
    definition: &D,
    now: NaiveDateTime,
) -> AppResult<Element<D>> {
    let current: Element<D> = require(tx, program.id, slug)?;
    if definition.measured() != current.definition.measured() {
        return Err(AppError::conflict(
            ErrorCode::MeasureFixed,
            format!(
                "what a {} measures cannot change once members have progress in it; \
                 create a new {} instead",
                D::KIND.as_str(),
                D::KIND.as_str()
            ),
        ));
    }
    let refs = references(tx, program)?;
    definition.check(program, &refs, slug)?;
    let row = rows::update(
        tx,
        current.row.id,
        &encode(definition)?,
        &current.row.status,
        now,
    )?;
    program_rows::bump_config_version(tx, program.id)?;
    decode(row)
}

/// Disables or enables an element. An element that active ones name cannot be disabled
/// (409 `element-in-use`); one that names a disabled element cannot be enabled (422).
pub fn set_status<D: Definition>(
    tx: &mut DbConnection,
    program: &Program,
    slug: &str,
    status: RuleStatus,
    now: NaiveDateTime,
) -> AppResult<Element<D>> {
    let current: Element<D> = require(tx, program.id, slug)?;
    match status {
        RuleStatus::Disabled => {
            if let Some(user) = active_user_of(tx, program, D::KIND, slug)? {
                return Err(AppError::conflict(
                    ErrorCode::ElementInUse,
                    format!(
                        "the {} `{}` names this {}: change or disable it first",
                        user.0.as_str(),
                        user.1,
                        D::KIND.as_str()
                    ),
                ));
            }
        }
        RuleStatus::Active => {
            let refs = references(tx, program)?;
            current.definition.check(program, &refs, slug)?;
        }
    }
    let row = rows::update(
        tx,
        current.row.id,
        &current.row.definition,
        status.as_str(),
        now,
    )?;
    program_rows::bump_config_version(tx, program.id)?;
    decode(row)
}

/// The program's element of this kind with this slug, or 404.
pub fn require<D: Definition>(
    conn: &mut DbConnection,
    program_id: i64,
    slug: &str,
) -> AppResult<Element<D>> {
    let row = rows::find(conn, program_id, D::KIND.as_str(), slug)?.ok_or_else(|| {
        AppError::not_found(format!("no {} `{slug}` in this program", D::KIND.as_str()))
    })?;
    decode(row)
}

/// A page of the program's elements of this kind, in creation order.
pub fn list<D: Definition>(
    conn: &mut DbConnection,
    program_id: i64,
    status: Option<RuleStatus>,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Element<D>>> {
    rows::list(
        conn,
        program_id,
        D::KIND.as_str(),
        status.map(RuleStatus::as_str),
        after,
        limit,
    )?
    .into_iter()
    .map(decode)
    .collect()
}
