//! Engagement analytics: what a marketing team watches, each figure with its period and its
//! definition. Everything is read from maintained totals and indexes (`stats_hourly`,
//! `cohort_activity`, `open_points`, `engagement_counts`, `members.last_event_at`), not by
//! scanning the ledger, the lots or the members, so a report costs about the same at a
//! thousand members as at a million.

mod cohorts;
mod game;
mod member;
mod summary;

pub use cohorts::{CohortReport, cohorts};
pub use member::{MemberProfile, profile};
pub use summary::{Liability, Summary, liability, summary};

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::bounds;
use crate::engine::period;
use crate::error::{AppError, AppResult};
use crate::programs::Program;

/// The days a report covers, in program time, and the UTC instants that bound them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Span {
    /// First day (program time), included.
    pub from: NaiveDate,
    /// Last day (program time), included.
    pub to: NaiveDate,
    pub time_zone: String,
    pub days: i64,
    #[serde(skip)]
    pub start: NaiveDateTime,
    #[serde(skip)]
    pub end: NaiveDateTime,
}

impl Span {
    /// `from..=to` in program time; by default the 30 days up to today.
    pub fn new(
        program: &Program,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        now: NaiveDateTime,
    ) -> AppResult<Span> {
        let tz = program.time_zone;
        let day = |field: &str, value: Option<NaiveDate>| {
            value.map(|d| bounds::day(field, d)).transpose()
        };
        let (from, to) = (day("from", from)?, day("to", to)?);
        let to = to.unwrap_or_else(|| period::local(tz, now).date());
        let from = from.unwrap_or(to - Duration::days(29));
        if from > to {
            return Err(AppError::invalid("from", "from: must not be after to"));
        }
        let days = (to - from).num_days() + 1;
        if days > 3660 {
            return Err(AppError::invalid(
                "from",
                "from: a report covers at most ten years",
            ));
        }
        Ok(Span {
            from,
            to,
            time_zone: tz.name().to_owned(),
            days,
            start: period::start_of_day(tz, from),
            end: period::start_of_day(tz, to + Duration::days(1)),
        })
    }
}

/// One figure: its value, the period it covers and what it means.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Figure {
    /// A count, a ratio (0..1), or money as a decimal string; `null` when undefined (a ratio
    /// over nothing).
    #[schema(schema_with = figure_value)]
    pub value: serde_json::Value,
    /// `period` (the report's days), `all time`, `now`, `last 30 days`, ...
    pub period: &'static str,
    pub definition: &'static str,
}

/// The schema of [`Figure::value`]: a number, a decimal string or `null`.
fn figure_value() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{SchemaType, Type};
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([
            Type::Number,
            Type::String,
            Type::Null,
        ]))
        .build()
}

/// Figures per tier, badge or challenge, with the period and definition they share.
#[derive(Debug, Serialize, ToSchema)]
pub struct Breakdown<T: ToSchema> {
    pub period: &'static str,
    pub definition: &'static str,
    pub items: T,
}

fn figure(
    value: impl Into<serde_json::Value>,
    period: &'static str,
    definition: &'static str,
) -> Figure {
    Figure {
        value: value.into(),
        period,
        definition,
    }
}

/// A ratio rounded to 4 places, or null when the denominator is 0.
fn ratio(numerator: i64, denominator: i64) -> serde_json::Value {
    if denominator == 0 {
        return serde_json::Value::Null;
    }
    let value = Decimal::from(numerator) / Decimal::from(denominator);
    serde_json::json!(value.round_dp(4).to_string().parse::<f64>().unwrap_or(0.0))
}
