//! Retention: per month, and per enrolment cohort (a cohort table).

use std::collections::BTreeMap;

use chrono::{Months, NaiveDateTime};
use serde::Serialize;
use utoipa::ToSchema;

use super::{Figure, figure, ratio};
use crate::db::DbConnection;
use crate::db::models::analytics as rows;
use crate::engine::period::{self, Period};
use crate::error::AppResult;
use crate::programs::Program;

/// Retention over the last months, and the cohort table.
#[derive(Debug, Serialize, ToSchema)]
pub struct CohortReport {
    pub program: String,
    pub time_zone: String,
    /// Per month: members active, and how many of the previous month's were active again.
    pub retention: Vec<MonthRetention>,
    /// Per enrolment month: its size and, for each month since, the share still active.
    pub cohorts: Vec<Cohort>,
    pub definitions: BTreeMap<&'static str, Figure>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MonthRetention {
    pub month: String,
    pub active: i64,
    pub retained: i64,
    /// Retained / active the month before; null for the first month shown.
    #[schema(value_type = Option<f64>)]
    pub retention_rate: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cohort {
    /// Enrolment month (`YYYY-MM`, program time).
    pub cohort: String,
    pub size: i64,
    /// Month 0 is the enrolment month.
    pub months: Vec<CohortMonth>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CohortMonth {
    pub month: String,
    pub offset: usize,
    pub active: i64,
    #[schema(value_type = Option<f64>)]
    pub rate: serde_json::Value,
}

/// The last `months` months (program time), up to the one containing `now`.
pub fn cohorts(
    conn: &mut DbConnection,
    program: &Program,
    months: u32,
    now: NaiveDateTime,
) -> AppResult<CohortReport> {
    let tz = program.time_zone;
    let local_now = period::local(tz, now);
    let shown: Vec<String> = (0..months.max(1))
        .rev()
        .filter_map(|back| local_now.checked_sub_months(Months::new(back)))
        .map(|at| Period::Month.key(at))
        .collect();
    let first = shown.first().cloned().unwrap_or_default();
    let activity = rows::cohort_months(conn, program.id, &first)?;
    let mut sizes: BTreeMap<String, i64> = BTreeMap::new();
    let since = period::start_of_day(tz, local_now.date())
        .checked_sub_months(Months::new(months + 1))
        .unwrap_or_else(crate::db::earliest);
    for hour in rows::enrolments_by_hour(conn, program.id, since)? {
        *sizes
            .entry(Period::Month.key(period::local(tz, hour.hour)))
            .or_default() += hour.count;
    }
    let mut by_month: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for row in &activity {
        let entry = by_month.entry(row.month.as_str()).or_default();
        entry.0 += row.active;
        entry.1 += row.retained;
    }
    let retention = shown
        .iter()
        .enumerate()
        .map(|(i, month)| {
            let (active, retained) = by_month.get(month.as_str()).copied().unwrap_or_default();
            let before = i
                .checked_sub(1)
                .and_then(|j| by_month.get(shown[j].as_str()))
                .map(|(a, _)| *a);
            MonthRetention {
                month: month.clone(),
                active,
                retained,
                retention_rate: before
                    .map_or(serde_json::Value::Null, |before| ratio(retained, before)),
            }
        })
        .collect();
    let cohorts = shown
        .iter()
        .enumerate()
        .map(|(i, cohort)| {
            let size = sizes.get(cohort).copied().unwrap_or(0);
            let months = shown[i..]
                .iter()
                .enumerate()
                .map(|(offset, month)| {
                    let active: i64 = activity
                        .iter()
                        .filter(|r| r.cohort == *cohort && r.month == *month)
                        .map(|r| r.active)
                        .sum();
                    CohortMonth {
                        month: month.clone(),
                        offset,
                        active,
                        rate: ratio(active, size),
                    }
                })
                .collect();
            Cohort {
                cohort: cohort.clone(),
                size,
                months,
            }
        })
        .collect();
    let mut definitions = BTreeMap::new();
    definitions.insert(
        "active",
        figure(
            "members",
            "month",
            "members who posted any event in the month (program time)",
        ),
    );
    definitions.insert(
        "retained",
        figure(
            "members",
            "month",
            "members active in the month who were also active the month before",
        ),
    );
    definitions.insert(
        "cohort_rate",
        figure(
            "share",
            "month",
            "members of the enrolment month active in the month / members enrolled that month",
        ),
    );
    Ok(CohortReport {
        program: program.slug.clone(),
        time_zone: tz.name().to_owned(),
        retention,
        cohorts,
        definitions,
    })
}
