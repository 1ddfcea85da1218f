//! What the badges, challenges, streaks and leaderboards routes share: the view of an element
//! and the handlers' bodies, generic over the kind. Each kind's file holds its annotated
//! routes, which call these.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{Page, PageParams};
use crate::api::views::utc;
use crate::db::{now_utc, write_tx};
use crate::error::AppResult;
use crate::gamification::elements::{self, Definition, Element, NewElement};
use crate::programs;
use crate::rules::RuleStatus;
use crate::state::AppState;

/// A badge, challenge, streak or leaderboard: its slug and status beside its definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct ElementView<D: ToSchema> {
    pub slug: String,
    /// `active` or `disabled`.
    pub status: String,
    #[serde(flatten)]
    pub definition: D,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl<D: ToSchema> From<Element<D>> for ElementView<D> {
    fn from(element: Element<D>) -> Self {
        ElementView {
            slug: element.row.slug,
            status: element.row.status,
            definition: element.definition,
            created_at: utc(element.row.created_at),
            updated_at: utc(element.row.updated_at),
        }
    }
}

/// Query parameters of the lists.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ElementListParams {
    /// Only `active` or only `disabled` ones.
    pub status: Option<RuleStatus>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

pub async fn create<D: Definition + ToSchema>(
    state: web::Data<AppState>,
    program: String,
    body: Value,
) -> AppResult<HttpResponse> {
    let new = NewElement::<D>::from_json(body)?;
    let element = state
        .run(move |conn| {
            write_tx(conn, |tx| {
                let program = programs::require(tx, &program)?;
                elements::create(tx, &program, &new, now_utc())
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(ElementView::from(element)))
}

pub async fn list<D: Definition + ToSchema>(
    state: web::Data<AppState>,
    program: String,
    params: ElementListParams,
) -> AppResult<HttpResponse> {
    let page = PageParams {
        limit: params.limit,
        cursor: params.cursor,
    };
    let (after, limit) = (page.cursor_id()?, page.limit());
    let status = params.status;
    let found = state
        .run(move |conn| {
            let program = programs::require(conn, &program)?;
            elements::list::<D>(conn, program.id, status, after, limit + 1)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::from_rows(
        found,
        limit,
        |e| e.row.id,
        ElementView::from,
    )))
}

pub async fn show<D: Definition + ToSchema>(
    state: web::Data<AppState>,
    program: String,
    slug: String,
) -> AppResult<HttpResponse> {
    let element = state
        .run(move |conn| {
            let program = programs::require(conn, &program)?;
            elements::require::<D>(conn, program.id, &slug)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ElementView::from(element)))
}

pub async fn update<D: Definition + ToSchema>(
    state: web::Data<AppState>,
    program: String,
    slug: String,
    definition: D,
) -> AppResult<HttpResponse> {
    let element = state
        .run(move |conn| {
            write_tx(conn, |tx| {
                let program = programs::require(tx, &program)?;
                elements::update(tx, &program, &slug, &definition, now_utc())
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ElementView::from(element)))
}

pub async fn set_status<D: Definition + ToSchema>(
    state: web::Data<AppState>,
    program: String,
    slug: String,
    status: RuleStatus,
) -> AppResult<HttpResponse> {
    let element = state
        .run(move |conn| {
            write_tx(conn, |tx| {
                let program = programs::require(tx, &program)?;
                elements::set_status::<D>(tx, &program, &slug, status, now_utc())
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(ElementView::from(element)))
}
