//! The audit log, newest first: owners read all of it, others only their programs' rows.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::api::extract::AdminUser;
use crate::api::pagination::{Page, PageParams};
use crate::api::query::Query;
use crate::api::views::utc;
use crate::audit;
use crate::db::models::audit::AuditRow;
use crate::error::{AppResult, Problem};
use crate::programs;
use crate::state::AppState;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(list);
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuditParams {
    /// Only this program's rows (a program slug).
    program: Option<String>,
    /// Only this actor's rows: `admin:ID` or `key:ID`.
    actor: Option<String>,
    /// Only rows at or after this time (RFC 3339).
    since: Option<DateTime<Utc>>,
    /// Items per page: 50 by default, at most 200 (larger values are capped).
    pub(crate) limit: Option<i64>,
    /// The `next_cursor` of the previous page (digits); empty for the first page.
    #[param(pattern = r"^([0-9]{1,18})?$")]
    pub(crate) cursor: Option<String>,
}

/// One change: who, when, what, before and after, and the request (its `X-Request-Id`).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditView {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// The program's slug; null for changes of no program (admins).
    pub program: Option<String>,
    pub actor: String,
    /// The admin's email or the key's name.
    pub actor_label: String,
    pub action: String,
    pub subject: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub request_id: String,
}

fn view((row, program): (AuditRow, Option<String>)) -> AuditView {
    let parse = |text: Option<String>| text.and_then(|t| serde_json::from_str(&t).ok());
    AuditView {
        id: row.id,
        at: utc(row.at),
        program,
        actor: row.actor,
        actor_label: row.actor_label,
        action: row.action,
        subject: row.subject,
        before: parse(row.before),
        after: parse(row.after),
        request_id: row.request_id,
    }
}

/// The audit log, newest first, filtered by program, actor and time.
#[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(AuditParams), responses(
    (status = 200, body = Page<AuditView>),
    (status = 404, description = "A program the admin cannot see", body = Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/audit")]
async fn list(
    state: web::Data<AppState>,
    admin: AdminUser,
    params: Query<AuditParams>,
) -> AppResult<HttpResponse> {
    let params = params.0;
    if let Some(slug) = &params.program {
        admin.require_read(slug)?;
    }
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    };
    let (before, limit) = (page.cursor_id()?, page.limit());
    let visible = admin.visible_programs();
    let since = params.since.map(|at| at.naive_utc());
    let rows = state
        .run(move |conn| {
            let only = match &params.program {
                Some(slug) => Some(vec![programs::require(conn, slug)?.id]),
                None => visible,
            };
            audit::list(
                conn,
                only.as_deref(),
                params.actor.as_deref(),
                since,
                before,
                limit + 1,
            )
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(rows, limit, |(r, _)| r.id, view)))
}
