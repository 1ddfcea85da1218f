//! Engagement analytics of a program.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::analytics::{self, CohortReport, Liability, MemberProfile, Span, Summary};
use crate::api::extract::AdminUser;
use crate::api::query::Query;
use crate::db::models::analytics as rows;
use crate::db::now_utc;
use crate::error::{AppResult, Problem};
use crate::state::AppState;
use crate::{members, programs};

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(summary)
        .service(cohorts)
        .service(liability)
        .service(engagement)
        .service(member);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct SpanParams {
    /// First day, program time (`YYYY-MM-DD`); default 29 days before `to`.
    pub(crate) from: Option<NaiveDate>,
    /// Last day, program time; default today.
    pub(crate) to: Option<NaiveDate>,
}

/// The program's summary: members, purchases, points, liability, tiers, vouchers, referrals
/// and ROI, each figure with its period and definition.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), SpanParams), responses(
    (status = 200, body = Summary),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/analytics/summary")]
async fn summary(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    params: Query<SpanParams>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let SpanParams { from, to } = params.0;
    let summary = state
        .run(move |conn| {
            let program = programs::require(conn, &path)?;
            let now = now_utc();
            let span = Span::new(&program, from, to, now)?;
            analytics::summary(conn, &program, &span, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(summary))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CohortParams {
    /// Months shown, up to this one: 1 to 36, default 12.
    #[param(minimum = 1, maximum = 36)]
    months: Option<i64>,
}

/// Retention per month and the cohort table (enrolment month x month since).
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), CohortParams), responses(
    (status = 200, body = CohortReport),
))]
#[get("/v1/admin/programs/{program}/analytics/cohorts")]
async fn cohorts(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    params: Query<CohortParams>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let months = crate::domain::bounds::within("months", params.months.unwrap_or(12), 1, 36)?;
    // Within 1..=36, so it fits.
    let months = u32::try_from(months).unwrap_or(12);
    let report = state
        .run(move |conn| {
            let program = programs::require(conn, &path)?;
            analytics::cohorts(conn, &program, months, now_utc())
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Points outstanding and their value, by the month they expire.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")), responses(
    (status = 200, body = Liability),
))]
#[get("/v1/admin/programs/{program}/analytics/liability")]
async fn liability(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let report = state
        .run(move |conn| {
            let program = programs::require(conn, &path)?;
            analytics::liability(conn, &program)
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// Members by engagement level.
#[derive(Debug, Serialize, ToSchema)]
struct Engagement {
    /// `enrolled`, `consumer`, `creator`, `contributor`, `advocate` → members.
    levels: BTreeMap<String, i64>,
    definition: &'static str,
}

/// Members on each rung of the consumer → creator → contributor → advocate ladder.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")), responses(
    (status = 200, body = Engagement),
))]
#[get("/v1/admin/programs/{program}/analytics/engagement")]
async fn engagement(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let levels = state
        .run(move |conn| {
            let program = programs::require(conn, &path)?;
            Ok(rows::engagement_levels(conn, program.id)?)
        })
        .await?;
    let mut counts: BTreeMap<String, i64> =
        ["enrolled", "consumer", "creator", "contributor", "advocate"]
            .iter()
            .map(|l| (l.to_string(), 0))
            .collect();
    for level in levels {
        counts.insert(level.level, level.members);
    }
    Ok(HttpResponse::Ok().json(Engagement {
        levels: counts,
        definition: "each open member's highest rung: advocate (referred a member), contributor (5+ reviews), creator (1+ review), consumer (1+ purchase), else enrolled",
    }))
}

/// One member's engagement profile: purchases, spend, reviews, referrals, level and score.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("external_id" = String, Path)), responses(
    (status = 200, body = MemberProfile),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/analytics/members/{external_id}")]
async fn member(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path.0)?;
    let (slug, external_id) = path.into_inner();
    let profile = state
        .run(move |conn| {
            let program = programs::require(conn, &slug)?;
            let member = members::require(conn, program.id, &external_id)?;
            analytics::profile(conn, &program, &member, now_utc())
        })
        .await?;
    Ok(HttpResponse::Ok().json(profile))
}
