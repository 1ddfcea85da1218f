//! A program's earning rules: create, list, change (new version), disable, enable, preview.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::AdminUser;
use crate::api::json::Json;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::utc;
use crate::audit::Audit;
use crate::db::now_utc;
use crate::engine::rule::RuleDefinition;
use crate::error::{AppResult, Problem};
use crate::programs;
use crate::rules::preview::{Preview, PreviewRequest};
use crate::rules::{self, NewRule, Rule, RuleStatus};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(preview_rules)
        .service(create)
        .service(list)
        .service(show)
        .service(update)
        .service(disable)
        .service(enable)
        .service(versions);
}

/// A rule at its current version.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleView {
    pub slug: String,
    pub version: i32,
    pub status: String,
    #[serde(flatten)]
    pub definition: RuleDefinition,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Rule> for RuleView {
    fn from(rule: Rule) -> Self {
        RuleView {
            slug: rule.row.slug,
            version: rule.row.version,
            status: rule.row.status,
            definition: rule.definition,
            created_at: utc(rule.row.created_at),
            updated_at: utc(rule.row.updated_at),
        }
    }
}

/// One version of a rule.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleVersionView {
    pub version: i32,
    pub definition: RuleDefinition,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleListParams {
    #[param(inline)]
    status: Option<RuleStatus>,
    /// Items per page: 50 by default, at most 200 (larger values are capped).
    pub(crate) limit: Option<i64>,
    /// The `next_cursor` of the previous page (digits); empty for the first page.
    #[param(pattern = r"^([0-9]{1,18})?$")]
    pub(crate) cursor: Option<String>,
}

/// Creates a rule. The body is the rule's `slug` beside its definition.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = NewRule, responses(
    (status = 201, body = RuleView),
    (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, description = "The rule is invalid; `errors[0].field` names the part", body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/rules")]
async fn create(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<Value>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path)?;
    let body = body.into_inner()?;
    let new = NewRule::from_json(body, "")?;
    let audit = audited::by_admin(&req, &admin);
    let rule = state
        .run(move |conn| rules::admin::create(conn, &path, &new, Some(admin.id), &audit))
        .await?;
    Ok(HttpResponse::Created().json(RuleView::from(rule)))
}

/// The program's rules in creation order, optionally only `active` or `disabled` ones.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), RuleListParams), responses(
    (status = 200, body = Page<RuleView>),
))]
#[get("/v1/admin/programs/{program}/rules")]
async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    params: Query<RuleListParams>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let params = params.0;
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    };
    let (after, limit) = (page.cursor_id()?, page.limit());
    let found = state
        .run(move |conn| {
            let program = programs::require(conn, &path)?;
            rules::list(conn, program.id, params.status, after, limit + 1)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(found, limit, |r| r.row.id, RuleView::from)))
}

/// One rule at its current version.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Rule slug")), responses(
    (status = 200, body = RuleView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/rules/{slug}")]
async fn show(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path.0)?;
    let (program, slug) = path.into_inner();
    let rule = state
        .run(move |conn| {
            let program = programs::require(conn, &program)?;
            rules::require(conn, program.id, &slug)
        })
        .await?;
    Ok(HttpResponse::Ok().json(RuleView::from(rule)))
}

/// Replaces a rule's definition: a new version; earlier versions are kept, and ledger entries
/// keep naming the version that produced them.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Rule slug")),
    request_body = RuleDefinition, responses(
    (status = 200, body = RuleView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[put("/v1/admin/programs/{program}/rules/{slug}")]
async fn update(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Json<RuleDefinition>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let body = body.into_inner()?;
    let (program, slug) = path.into_inner();
    let audit = audited::by_admin(&req, &admin);
    let rule = state
        .run(move |conn| rules::admin::update(conn, &program, &slug, &body, Some(admin.id), &audit))
        .await?;
    Ok(HttpResponse::Ok().json(RuleView::from(rule)))
}

async fn set_status(
    state: web::Data<AppState>,
    program: String,
    slug: String,
    status: RuleStatus,
    audit: Audit,
) -> AppResult<HttpResponse> {
    let rule = state
        .run(move |conn| rules::admin::set_status(conn, &program, &slug, status, &audit))
        .await?;
    Ok(HttpResponse::Ok().json(RuleView::from(rule)))
}

/// Disables a rule: it stops firing for new events.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Rule slug")), responses(
    (status = 200, body = RuleView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/rules/{slug}/disable")]
async fn disable(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let (program, slug) = path.into_inner();
    let audit = audited::by_admin(&req, &admin);
    set_status(state, program, slug, RuleStatus::Disabled, audit).await
}

/// Enables a disabled rule again.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Rule slug")), responses(
    (status = 200, body = RuleView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/rules/{slug}/enable")]
async fn enable(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let (program, slug) = path.into_inner();
    let audit = audited::by_admin(&req, &admin);
    set_status(state, program, slug, RuleStatus::Active, audit).await
}

/// Every version of a rule, newest first.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Rule slug")), responses(
    (status = 200, body = Vec<RuleVersionView>),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/rules/{slug}/versions")]
async fn versions(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path.0)?;
    let (program, slug) = path.into_inner();
    let found = state
        .run(move |conn| {
            let program = programs::require(conn, &program)?;
            rules::versions(conn, program.id, &slug)
        })
        .await?;
    let views: Vec<RuleVersionView> = found
        .into_iter()
        .map(|(version, definition, created_at)| RuleVersionView {
            version,
            definition,
            created_at: utc(created_at),
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Runs an event through the rules, writing nothing: what it would earn, and why each rule
/// fired or did not.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = PreviewRequest, responses(
    (status = 200, body = Preview),
    (status = 404, description = "The event's member does not exist (give `hypothetical_member`)", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/rules/preview")]
async fn preview_rules(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    body: Json<PreviewRequest>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let body = body.into_inner()?;
    let outcome = state
        .run(move |conn| {
            let program = programs::require(conn, &path)?;
            rules::preview::preview(conn, &program, &body, now_utc())
        })
        .await?;
    Ok(HttpResponse::Ok().json(outcome))
}
