//! Earning rules as an admin manages them: created, changed (each change a new version),
//! disabled and enabled again; compiled into the rule set events are evaluated against.

pub mod admin;
mod cache;
pub mod preview;
mod state;

pub use state::{member_state, referrer, state_of, usage_of, usage_windows};

pub use cache::RuleCache;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::models::programs as program_rows;
use crate::db::models::rules::{self as rows, RuleRow, RuleVersionRow};
use crate::db::{DbConnection, is_unique_violation};
use crate::engine::RuleSet;
use crate::engine::rule::{CompiledRule, RuleDefinition};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::programs::Program;

/// A rule's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleStatus {
    Active,
    Disabled,
}

impl RuleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Active => "active",
            RuleStatus::Disabled => "disabled",
        }
    }
}

/// A new rule: its slug and its definition, in one object.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewRule {
    /// Lower-case letters, digits and dashes; unique in the program.
    pub slug: String,
    #[serde(flatten)]
    pub definition: RuleDefinition,
}

impl NewRule {
    /// Reads `{slug, ...definition}`; errors name the field, after `prefix`.
    pub fn from_json(body: Value, prefix: &str) -> AppResult<NewRule> {
        let (slug, rest) = crate::json::take_slug(body, prefix)?;
        let definition = crate::json::from_value(rest, prefix)?;
        Ok(NewRule { slug, definition })
    }
}

/// A rule with its current definition.
#[derive(Debug, Clone)]
pub struct Rule {
    pub row: RuleRow,
    pub definition: RuleDefinition,
    pub version_created_at: NaiveDateTime,
}

fn decode(row: RuleRow, version: RuleVersionRow) -> AppResult<Rule> {
    let definition = serde_json::from_str(&version.definition).map_err(|e| {
        AppError::Internal(anyhow::anyhow!(
            "rule {} version {} is unreadable: {e}",
            row.id,
            version.version
        ))
    })?;
    Ok(Rule {
        row,
        definition,
        version_created_at: version.created_at,
    })
}

fn encode(definition: &RuleDefinition) -> AppResult<String> {
    serde_json::to_string(definition).map_err(|e| AppError::Internal(e.into()))
}

/// Creates a rule (version 1); 409 `rule-exists` if the slug is taken.
pub fn create(
    tx: &mut DbConnection,
    program: &Program,
    new: &NewRule,
    admin_id: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<Rule> {
    new.definition.compile(0, &new.slug, 1, "")?;
    let row = match rows::insert(tx, program.id, &new.slug, now) {
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::conflict(
                ErrorCode::RuleExists,
                format!("slug: a rule `{}` exists in this program", new.slug),
            ));
        }
        other => other?,
    };
    let version = rows::insert_version(tx, row.id, 1, &encode(&new.definition)?, admin_id, now)?;
    program_rows::bump_config_version(tx, program.id)?;
    decode(row, version)
}

/// Replaces a rule's definition with a new version; the old versions are kept.
pub fn update(
    tx: &mut DbConnection,
    program: &Program,
    slug: &str,
    definition: &RuleDefinition,
    admin_id: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<Rule> {
    let current = require(tx, program.id, slug)?;
    let next = current.row.version + 1;
    definition.compile(current.row.id, slug, next, "")?;
    let version = rows::insert_version(
        tx,
        current.row.id,
        next,
        &encode(definition)?,
        admin_id,
        now,
    )?;
    let row = rows::set_current(tx, current.row.id, next, &current.row.status, now)?;
    program_rows::bump_config_version(tx, program.id)?;
    decode(row, version)
}

/// Disables or enables a rule.
pub fn set_status(
    tx: &mut DbConnection,
    program: &Program,
    slug: &str,
    status: RuleStatus,
    now: NaiveDateTime,
) -> AppResult<Rule> {
    let current = require(tx, program.id, slug)?;
    let row = rows::set_current(
        tx,
        current.row.id,
        current.row.version,
        status.as_str(),
        now,
    )?;
    program_rows::bump_config_version(tx, program.id)?;
    Ok(Rule { row, ..current })
}

/// The program's rule with this slug, or 404.
pub fn require(conn: &mut DbConnection, program_id: i64, slug: &str) -> AppResult<Rule> {
    let (row, version) = rows::find(conn, program_id, slug)?
        .ok_or_else(|| AppError::not_found(format!("no rule `{slug}` in this program")))?;
    decode(row, version)
}

pub fn list(
    conn: &mut DbConnection,
    program_id: i64,
    status: Option<RuleStatus>,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Rule>> {
    rows::list(
        conn,
        program_id,
        status.map(RuleStatus::as_str),
        after,
        limit,
    )?
    .into_iter()
    .map(|(row, version)| decode(row, version))
    .collect()
}

/// Every version of a rule, newest first: `(version, definition, created_at)`.
pub fn versions(
    conn: &mut DbConnection,
    program_id: i64,
    slug: &str,
) -> AppResult<Vec<(i32, RuleDefinition, NaiveDateTime)>> {
    let rule = require(conn, program_id, slug)?;
    rows::versions(conn, rule.row.id)?
        .into_iter()
        .map(|v| {
            let definition =
                serde_json::from_str(&v.definition).map_err(|e| AppError::Internal(e.into()))?;
            Ok((v.version, definition, v.created_at))
        })
        .collect()
}

/// Compiles the program's active rules.
pub fn load_set(conn: &mut DbConnection, program: &Program) -> AppResult<RuleSet> {
    Ok(RuleSet::new(
        program.time_zone,
        compiled_active(conn, program)?,
    ))
}

/// The program's active rules, compiled. A rule stored before a check it now fails (a rate
/// above a bound added later) is left out and logged as an error, so one stale rule never
/// stops every event of its program; editing it, or disabling it, ends the error.
fn compiled_active(conn: &mut DbConnection, program: &Program) -> AppResult<Vec<CompiledRule>> {
    Ok(rows::active(conn, program.id)?
        .into_iter()
        .filter_map(|(row, version)| {
            let slug = row.slug.clone();
            decode(row, version)
                .and_then(|rule| compile(&rule))
                .map_err(|e| {
                    tracing::error!(program = %program.slug, rule = %slug, error = %e,
                        "rule left out of the program's events: it no longer compiles")
                })
                .ok()
        })
        .collect())
}

fn compile(rule: &Rule) -> AppResult<CompiledRule> {
    rule.definition
        .compile(rule.row.id, &rule.row.slug, rule.row.version, "")
        .map_err(|e| {
            AppError::Internal(anyhow::anyhow!(
                "stored rule `{}` no longer compiles: {e}",
                rule.row.slug
            ))
        })
}

/// A rule set for a preview: the program's active rules with drafts put in place of (or
/// beside) them; or the drafts alone.
pub fn draft_set(
    conn: &mut DbConnection,
    program: &Program,
    drafts: &[NewRule],
    drafts_only: bool,
) -> AppResult<RuleSet> {
    let mut compiled: Vec<CompiledRule> = if drafts_only {
        Vec::new()
    } else {
        compiled_active(conn, program)?
    };
    for (i, draft) in drafts.iter().enumerate() {
        let id = compiled
            .iter()
            .find(|r| r.slug == draft.slug)
            .map_or(-(i as i64) - 1, |r| r.id);
        let version = compiled
            .iter()
            .find(|r| r.slug == draft.slug)
            .map_or(0, |r| r.version)
            + 1;
        compiled.retain(|r| r.slug != draft.slug);
        compiled.push(draft.definition.compile(
            id,
            &draft.slug,
            version,
            &format!("rules[{i}]."),
        )?);
    }
    Ok(RuleSet::new(program.time_zone, compiled))
}
