//! Loyalty programs: creating, changing and finding them, and their storefront keys.

pub mod admin;
mod analytics_settings;
pub mod api_keys;
mod cache;
pub mod key_cache;

pub use analytics_settings::AnalyticsSettings;
pub use cache::ProgramCache;

use std::str::FromStr;

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::db::models::programs::{self as rows, NewProgram, ProgramChanges, ProgramRow};
use crate::db::{DbConn, DbConnection, is_unique_violation, now_utc, write_tx};
use crate::domain::{self, Currency, bounds};
use crate::engine::birthday::BirthdayPolicy;
use crate::engine::expiry::ExpiryPolicy;
use crate::engine::tiers::TierPolicy;
use crate::error::{AppError, AppResult, ErrorCode};

/// A program, with its settings parsed.
#[derive(Debug, Clone)]
pub struct Program {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub time_zone: Tz,
    pub currency: Currency,
    pub point_name: String,
    /// What one point is worth in the program's currency (for the liability).
    pub point_value: Decimal,
    /// Unknown members are enrolled by their first event.
    pub auto_enrol: bool,
    /// Bumped by every configuration change.
    pub config_version: i64,
    /// The tier ladder, if the program has tiers.
    pub tiers: Option<TierPolicy>,
    pub expiry: ExpiryPolicy,
    pub birthday: Option<BirthdayPolicy>,
    /// What the program costs, for its ROI.
    pub analytics: Option<AnalyticsSettings>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl TryFrom<ProgramRow> for Program {
    type Error = AppError;

    fn try_from(row: ProgramRow) -> AppResult<Program> {
        let corrupt = |what: &str| {
            AppError::Internal(anyhow::anyhow!("program {} has an invalid {what}", row.id))
        };
        Ok(Program {
            tiers: policy(&row.tier_policy).map_err(|_| corrupt("tier policy"))?,
            expiry: policy(&row.expiry_policy)
                .map_err(|_| corrupt("expiry policy"))?
                .unwrap_or_default(),
            birthday: policy(&row.birthday_policy).map_err(|_| corrupt("birthday policy"))?,
            analytics: policy(&row.analytics_settings)
                .map_err(|_| corrupt("analytics settings"))?,
            time_zone: row.time_zone.parse().map_err(|_| corrupt("time zone"))?,
            currency: Currency::parse("currency", &row.currency)
                .map_err(|_| corrupt("currency"))?,
            point_value: Decimal::from_str(&row.point_value).map_err(|_| corrupt("point value"))?,
            id: row.id,
            slug: row.slug,
            name: row.name,
            point_name: row.point_name,
            auto_enrol: row.auto_enrol,
            config_version: row.config_version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

/// A stored policy, parsed.
fn policy<T: serde::de::DeserializeOwned>(json: &Option<String>) -> serde_json::Result<Option<T>> {
    json.as_deref().map(serde_json::from_str).transpose()
}

/// A new program, as an admin describes it.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProgram {
    /// URL identifier: lower-case letters, digits and dashes (`coffee`).
    pub slug: String,
    pub name: String,
    /// IANA time zone in which the program's days, weeks and months are counted. Default `UTC`.
    pub time_zone: Option<String>,
    /// ISO 4217 code of the storefront's money. Default `USD`.
    pub currency: Option<String>,
    /// What members call the points (`Stars`). Default `points`.
    pub point_name: Option<String>,
    /// What one point is worth in `currency`, as a decimal string (`"0.04"`), 0 to 1000 with at
    /// most 6 decimal places. Default `"0.01"`.
    pub point_value: Option<String>,
    /// Enrol unknown members on their first event instead of refusing it with 404. Default false.
    pub auto_enrol: Option<bool>,
    /// How points expire. Default never.
    pub expiry: Option<ExpiryPolicy>,
    /// The birthday reward. Default none.
    pub birthday: Option<BirthdayPolicy>,
    /// What the program costs, for the ROI in the analytics. Default none.
    pub analytics: Option<AnalyticsSettings>,
}

/// Changes to a program; absent fields stay as they are. The slug and currency are fixed.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProgram {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    pub point_name: Option<String>,
    pub point_value: Option<String>,
    /// Enrol unknown members on their first event instead of refusing it with 404.
    pub auto_enrol: Option<bool>,
    /// How points expire.
    pub expiry: Option<ExpiryPolicy>,
    /// The birthday reward; `null` for none.
    #[serde(default, deserialize_with = "crate::json::present")]
    #[schema(value_type = Option<BirthdayPolicy>)]
    pub birthday: Option<Option<BirthdayPolicy>>,
    /// What the program costs, for the ROI in the analytics; `null` for none.
    #[serde(default, deserialize_with = "crate::json::present")]
    #[schema(value_type = Option<AnalyticsSettings>)]
    pub analytics: Option<Option<AnalyticsSettings>>,
}

fn point_value(value: &str) -> AppResult<String> {
    let parsed = Decimal::from_str(value.trim()).map_err(|_| {
        AppError::invalid(
            "point_value",
            format!("point_value: `{value}` is not a decimal number"),
        )
    })?;
    let max = Decimal::from(bounds::MAX_POINT_VALUE);
    if parsed < Decimal::ZERO || parsed > max || parsed.normalize().scale() > 6 {
        return Err(AppError::invalid(
            "point_value",
            format!("point_value: must be between 0 and {max}, with at most 6 decimal places"),
        ));
    }
    Ok(parsed.normalize().abs().to_string())
}

/// Creates a program from the command line; 409 `program-exists` if the slug is taken.
pub fn create(conn: &mut DbConn, input: &CreateProgram) -> AppResult<Program> {
    write_tx(conn, |tx| insert(tx, input))
}

/// Replaces a program's tier ladder from the command line (`None` removes tiers).
pub fn set_tiers(conn: &mut DbConn, slug: &str, policy: Option<&TierPolicy>) -> AppResult<Program> {
    write_tx(conn, |tx| {
        let program = require(tx, slug)?;
        apply_tiers(tx, &program, policy)
    })
}

/// Creates a program in the caller's transaction; 409 `program-exists` if the slug is taken.
pub fn insert(conn: &mut DbConnection, input: &CreateProgram) -> AppResult<Program> {
    let slug = domain::slug("slug", &input.slug)?;
    let name = domain::text("name", &input.name, 200)?;
    let time_zone = domain::time_zone("time_zone", input.time_zone.as_deref().unwrap_or("UTC"))?;
    let currency = Currency::parse("currency", input.currency.as_deref().unwrap_or("USD"))?;
    let point_name = domain::text(
        "point_name",
        input.point_name.as_deref().unwrap_or("points"),
        40,
    )?;
    let point_value = point_value(input.point_value.as_deref().unwrap_or("0.01"))?;
    if let Some(expiry) = &input.expiry {
        expiry.check()?;
    }
    if let Some(birthday) = &input.birthday {
        birthday.check()?;
    }
    let expiry = input.expiry.as_ref().map(to_json).transpose()?;
    let birthday = input.birthday.as_ref().map(to_json).transpose()?;
    if let Some(analytics) = &input.analytics {
        analytics.check()?;
    }
    let analytics = input.analytics.as_ref().map(to_json).transpose()?;
    let now = now_utc();
    let new = NewProgram {
        slug: &slug,
        name: &name,
        time_zone: time_zone.name(),
        currency: &currency.code,
        point_name: &point_name,
        point_value: &point_value,
        auto_enrol: input.auto_enrol.unwrap_or(false),
        expiry_policy: expiry.as_deref(),
        birthday_policy: birthday.as_deref(),
        analytics_settings: analytics.as_deref(),
        created_at: now,
        updated_at: now,
    };
    match rows::insert(conn, &new) {
        Err(e) if is_unique_violation(&e) => Err(AppError::conflict(
            ErrorCode::ProgramExists,
            format!("a program with slug `{slug}` exists"),
        )),
        other => other?.try_into(),
    }
}

/// Applies an admin's changes to a program, in the caller's transaction.
pub fn apply_changes(
    conn: &mut DbConnection,
    program: &Program,
    input: &UpdateProgram,
) -> AppResult<Program> {
    let name = input
        .name
        .as_deref()
        .map(|v| domain::text("name", v, 200))
        .transpose()?;
    let time_zone = input
        .time_zone
        .as_deref()
        .map(|v| domain::time_zone("time_zone", v))
        .transpose()?;
    let point_name = input
        .point_name
        .as_deref()
        .map(|v| domain::text("point_name", v, 40))
        .transpose()?;
    let point_value = input.point_value.as_deref().map(point_value).transpose()?;
    if let Some(expiry) = &input.expiry {
        expiry.check()?;
    }
    if let Some(Some(birthday)) = &input.birthday {
        birthday.check()?;
    }
    let expiry = input.expiry.as_ref().map(to_json).transpose()?;
    let birthday = input
        .birthday
        .as_ref()
        .map(|b| b.as_ref().map(to_json).transpose())
        .transpose()?;
    if let Some(Some(analytics)) = &input.analytics {
        analytics.check()?;
    }
    let analytics = input
        .analytics
        .as_ref()
        .map(|a| a.as_ref().map(to_json).transpose())
        .transpose()?;
    let changes = ProgramChanges {
        name: name.as_deref(),
        time_zone: time_zone.as_ref().map(|tz| tz.name()),
        point_name: point_name.as_deref(),
        point_value: point_value.as_deref(),
        auto_enrol: input.auto_enrol,
        tier_policy: None,
        expiry_policy: expiry.as_ref().map(|e| Some(e.as_str())),
        birthday_policy: birthday.as_ref().map(|b| b.as_deref()),
        analytics_settings: analytics.as_ref().map(|a| a.as_deref()),
        updated_at: Some(now_utc()),
    };
    save(conn, program, &changes)
}

/// Replaces the program's tier ladder (`None` removes tiers), in the caller's transaction.
pub fn apply_tiers(
    conn: &mut DbConnection,
    program: &Program,
    policy: Option<&TierPolicy>,
) -> AppResult<Program> {
    if let Some(policy) = policy {
        policy.check()?;
    }
    let json = policy.map(to_json).transpose()?;
    let changes = ProgramChanges {
        tier_policy: Some(json.as_deref()),
        updated_at: Some(now_utc()),
        ..ProgramChanges::default()
    };
    save(conn, program, &changes)
}

/// Writes a configuration change and bumps the program's configuration version.
fn save(
    conn: &mut DbConnection,
    program: &Program,
    changes: &ProgramChanges<'_>,
) -> AppResult<Program> {
    let row = rows::update(conn, program.id, changes)?;
    rows::bump_config_version(conn, program.id)?;
    row.try_into()
}

fn to_json<T: Serialize>(value: &T) -> AppResult<String> {
    serde_json::to_string(value).map_err(|e| AppError::Internal(e.into()))
}

/// The program with this slug, or 404.
pub fn require(conn: &mut DbConnection, slug: &str) -> AppResult<Program> {
    rows::find_by_slug(conn, slug)?
        .ok_or_else(|| AppError::not_found(format!("no program with slug `{slug}`")))?
        .try_into()
}

/// The program with this id (one a credential already proved to exist).
pub fn by_id(conn: &mut DbConnection, id: i64) -> AppResult<Program> {
    rows::find(conn, id)?.try_into()
}

/// A page of programs, oldest first; only those in `only` when given.
pub fn list(
    conn: &mut DbConnection,
    only: Option<&[i64]>,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Vec<Program>> {
    rows::list(conn, only, after, limit)?
        .into_iter()
        .map(Program::try_from)
        .collect()
}
