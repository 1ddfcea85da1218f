//! What the badges, challenges, streaks and leaderboards routes share: the view of an element,
//! the handlers' bodies, generic over the kind, and `element_routes!`, which defines each kind's
//! annotated routes around them. Each kind's file names its paths and holds its own routes.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::api::pagination::{Page, PageParams};
use crate::api::views::utc;
use crate::audit::Audit;
use crate::error::AppResult;
use crate::gamification::admin;
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
    #[param(inline)]
    pub status: Option<RuleStatus>,
    /// Items per page: 50 by default, at most 200 (larger values are capped).
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page (digits); empty for the first page.
    #[param(pattern = r"^([0-9]{1,18})?$")]
    pub cursor: Option<String>,
}

pub async fn create<D: Definition + ToSchema>(
    state: web::Data<AppState>,
    program: String,
    body: Value,
    audit: Audit,
) -> AppResult<HttpResponse> {
    let new = NewElement::<D>::from_json(body)?;
    let element = state
        .run(move |conn| admin::create_element(conn, &program, &new, &audit))
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
    audit: Audit,
) -> AppResult<HttpResponse> {
    let element = state
        .run(move |conn| admin::update_element(conn, &program, &slug, &definition, &audit))
        .await?;
    Ok(HttpResponse::Ok().json(ElementView::from(element)))
}

pub async fn set_status<D: Definition + ToSchema>(
    state: web::Data<AppState>,
    program: String,
    slug: String,
    status: RuleStatus,
    audit: Audit,
) -> AppResult<HttpResponse> {
    let element = state
        .run(move |conn| admin::set_element_status::<D>(conn, &program, &slug, status, &audit))
        .await?;
    Ok(HttpResponse::Ok().json(ElementView::from(element)))
}

/// Defines a game element kind's admin routes, each with its OpenAPI annotation: create, list,
/// show, update, disable and enable, in a module `element`, and `routes`, which registers them
/// and then the kind's own routes named in `also`. The doc comment before `create` documents the
/// create route; the others' are the same for every kind but for the names.
macro_rules! element_routes {
    (
        definition: $definition:ident,
        one: $one:tt,
        many: $many:tt,
        slug: $slug:tt,
        paths: [$collection:tt, $item:tt, $disable:tt, $enable:tt $(,)?],
        $(#[doc = $create_doc:tt])*
        create,
        also: [$($also:ident),* $(,)?] $(,)?
    ) => {
        /// Registers the routes every game element has, then this kind's own.
        pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
            cfg.service(element::create)
                .service(element::list)
                .service(element::show)
                .service(element::update)
                .service(element::disable)
                .service(element::enable);
            $(cfg.service($also);)*
        }

        mod element {
            use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
            use serde_json::Value;

            use super::$definition;
            use $crate::api::admin::game::{self, ElementListParams, ElementView};
            use $crate::api::audited;
            use $crate::api::json::Json;
            use $crate::api::pagination::Page;
            use $crate::api::query::Query;
            use $crate::api::extract::AdminUser;
            use $crate::error::{AppResult, Problem};
            use $crate::gamification::elements::NewElement;
            use $crate::rules::RuleStatus;
            use $crate::state::AppState;

            $(#[doc = $create_doc])*
            #[utoipa::path(tag = "admin", security(("admin_jwt" = [])), params(("program" = String, Path, description = "Program slug")),
                request_body = NewElement<$definition>, responses(
                (status = 201, body = ElementView<$definition>),
                (status = 409, description = "The slug is taken", body = Problem, content_type = "application/problem+json"),
                (status = 422, description = concat!("The ", $one, " is invalid; `errors[0].field` names the part"), body = Problem, content_type = "application/problem+json"),
            ))]
            #[post($collection)]
            pub(super) async fn create(
                state: web::Data<AppState>,
                admin: AdminUser,
                req: HttpRequest,
                path: web::Path<String>,
                body: Json<Value>,
            ) -> AppResult<HttpResponse> {
                admin.require_change(&path)?;
                let audit = audited::by_admin(&req, &admin);
                game::create::<$definition>(state, path.into_inner(), body.into_inner()?, audit).await
            }

            #[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
                summary = concat!("The program's ", $many, " in creation order, optionally only `active` or `disabled` ones."),
                params(("program" = String, Path, description = "Program slug"), ElementListParams), responses(
                (status = 200, body = Page<ElementView<$definition>>),
            ))]
            #[get($collection)]
            pub(super) async fn list(
                state: web::Data<AppState>,
                admin: AdminUser,
                path: web::Path<String>,
                params: Query<ElementListParams>,
            ) -> AppResult<HttpResponse> {
                admin.require_read(&path)?;
                game::list::<$definition>(state, path.into_inner(), params.0).await
            }

            #[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
                summary = concat!("One ", $one, "."),
                params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = $slug)), responses(
                (status = 200, body = ElementView<$definition>),
                (status = 404, body = Problem, content_type = "application/problem+json"),
            ))]
            #[get($item)]
            pub(super) async fn show(
                state: web::Data<AppState>,
                admin: AdminUser,
                path: web::Path<(String, String)>,
            ) -> AppResult<HttpResponse> {
                admin.require_read(&path.0)?;
                let (program, slug) = path.into_inner();
                game::show::<$definition>(state, program, slug).await
            }

            #[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
                summary = concat!("Replaces the ", $one, "'s definition. What it measures cannot change (409 `measure-fixed`):\ncreate a new ", $one, " instead."),
                params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = $slug)),
                request_body = $definition, responses(
                (status = 200, body = ElementView<$definition>),
                (status = 404, body = Problem, content_type = "application/problem+json"),
                (status = 409, body = Problem, content_type = "application/problem+json"),
                (status = 422, body = Problem, content_type = "application/problem+json"),
            ))]
            #[put($item)]
            pub(super) async fn update(
                state: web::Data<AppState>,
                admin: AdminUser,
                req: HttpRequest,
                path: web::Path<(String, String)>,
                body: Json<$definition>,
            ) -> AppResult<HttpResponse> {
                admin.require_change(&path.0)?;
                let (program, slug) = path.into_inner();
                let audit = audited::by_admin(&req, &admin);
                game::update(state, program, slug, body.into_inner()?, audit).await
            }

            #[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
                summary = concat!("Disables the ", $one, ": events stop moving it and members stop seeing it (what they earned\nstays). Refused (409 `element-in-use`) while an active element names it."),
                params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = $slug)), responses(
                (status = 200, body = ElementView<$definition>),
                (status = 404, body = Problem, content_type = "application/problem+json"),
                (status = 409, body = Problem, content_type = "application/problem+json"),
            ))]
            #[post($disable)]
            pub(super) async fn disable(
                state: web::Data<AppState>,
                admin: AdminUser,
                req: HttpRequest,
                path: web::Path<(String, String)>,
            ) -> AppResult<HttpResponse> {
                admin.require_change(&path.0)?;
                let (program, slug) = path.into_inner();
                let audit = audited::by_admin(&req, &admin);
                game::set_status::<$definition>(state, program, slug, RuleStatus::Disabled, audit).await
            }

            #[utoipa::path(tag = "admin", security(("admin_jwt" = [])),
                summary = concat!("Enables a disabled ", $one, " again."),
                params(("program" = String, Path, description = "Program slug"), ("slug" = String, Path, description = $slug)), responses(
                (status = 200, body = ElementView<$definition>),
                (status = 404, body = Problem, content_type = "application/problem+json"),
                (status = 422, description = "It names an element that is not active", body = Problem, content_type = "application/problem+json"),
            ))]
            #[post($enable)]
            pub(super) async fn enable(
                state: web::Data<AppState>,
                admin: AdminUser,
                req: HttpRequest,
                path: web::Path<(String, String)>,
            ) -> AppResult<HttpResponse> {
                admin.require_change(&path.0)?;
                let (program, slug) = path.into_inner();
                let audit = audited::by_admin(&req, &admin);
                game::set_status::<$definition>(state, program, slug, RuleStatus::Active, audit).await
            }
        }
    };
}

pub(super) use element_routes;
