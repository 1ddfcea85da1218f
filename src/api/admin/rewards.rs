//! A program's rewards catalogue.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::audited;
use crate::api::extract::AdminUser;
use crate::api::json::Json;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::utc;
use crate::error::{AppResult, Problem};
use crate::programs::{self, Program};
use crate::rewards::{self, MemberLimit, Reward, RewardDefinition};
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(create)
        .service(list)
        .service(show)
        .service(update);
}

/// A reward of the catalogue, with its stock.
#[derive(Debug, Serialize, ToSchema)]
pub struct RewardView {
    pub slug: String,
    pub name: String,
    pub description: Option<String>,
    pub cost: i64,
    pub kind: String,
    pub amount: Option<String>,
    pub percent: Option<i32>,
    pub min_tier: Option<String>,
    /// Vouchers left; `null` for unlimited.
    pub stock: Option<i64>,
    pub per_member_limit: Option<MemberLimit>,
    pub active_from: Option<DateTime<Utc>>,
    pub active_until: Option<DateTime<Utc>>,
    pub voucher_days: Option<i32>,
    pub refund_on_expiry: bool,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl RewardView {
    pub fn new(program: &Program, reward: Reward) -> Self {
        let per_member_limit = reward.member_limit();
        let row = reward.row;
        RewardView {
            slug: row.slug,
            name: row.name,
            description: row.description,
            cost: row.cost,
            kind: row.kind,
            amount: row.amount_minor.map(|a| program.currency.format_minor(a)),
            percent: row.percent,
            min_tier: row.min_tier,
            stock: row.stock,
            per_member_limit,
            active_from: row.active_from.map(utc),
            active_until: row.active_until.map(utc),
            voucher_days: row.voucher_days,
            refund_on_expiry: row.refund_on_expiry,
            status: row.status,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

/// A new reward: its `slug` beside its definition.
#[derive(Debug, Serialize, ToSchema)]
struct NewReward {
    slug: String,
    #[serde(flatten)]
    definition: RewardDefinition,
}

/// Adds a reward to the catalogue.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
    request_body = NewReward, responses(
    (status = 201, body = RewardView),
    (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[post("/v1/admin/programs/{program}/rewards")]
async fn create(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<String>,
    body: Json<Value>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path)?;
    let body = body.into_inner()?;
    let audit = audited::by_admin(&req, &admin);
    let (program, reward) = state
        .run(move |conn| rewards::admin::create(conn, &path, body, &audit))
        .await?;
    Ok(HttpResponse::Created().json(RewardView::new(&program, reward)))
}

/// The catalogue, in creation order.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), PageParams), responses(
    (status = 200, body = Page<RewardView>),
))]
#[get("/v1/admin/programs/{program}/rewards")]
async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<String>,
    page: Query<PageParams>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path)?;
    let (after, limit) = (page.cursor_id()?, page.limit());
    let (program, found) = state
        .run(move |conn| {
            let program = programs::require(conn, &path)?;
            let found = rewards::list(conn, program.id, false, after, limit + 1)?;
            Ok((program, found))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        found,
        limit,
        |r| r.row.id,
        |r| RewardView::new(&program, r),
    )))
}

/// One reward.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Reward slug")), responses(
    (status = 200, body = RewardView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/programs/{program}/rewards/{slug}")]
async fn show(
    state: web::Data<AppState>,
    admin: AdminUser,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    admin.require_read(&path.0)?;
    let (program, slug) = path.into_inner();
    let view = state
        .run(move |conn| {
            let program = programs::require(conn, &program)?;
            let reward = rewards::require(conn, program.id, &slug)?;
            Ok(RewardView::new(&program, reward))
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Replaces a reward's definition (including its stock and status). Vouchers already issued
/// keep what they were issued with.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
    params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = "Reward slug")),
    request_body = RewardDefinition, responses(
    (status = 200, body = RewardView),
    (status = 404, body = Problem, content_type = "application/problem+json"),
    (status = 422, body = Problem, content_type = "application/problem+json"),
))]
#[put("/v1/admin/programs/{program}/rewards/{slug}")]
async fn update(
    state: web::Data<AppState>,
    admin: AdminUser,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: Json<RewardDefinition>,
) -> AppResult<HttpResponse> {
    admin.require_change(&path.0)?;
    let body = body.into_inner()?;
    let (program, slug) = path.into_inner();
    let audit = audited::by_admin(&req, &admin);
    let (program, reward) = state
        .run(move |conn| rewards::admin::update(conn, &program, &slug, &body, &audit))
        .await?;
    Ok(HttpResponse::Ok().json(RewardView::new(&program, reward)))
}
