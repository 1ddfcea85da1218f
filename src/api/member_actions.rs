//! Member actions shared by the storefront's and the admins' routes, which differ only in who
//! calls them.

use std::sync::Arc;

use actix_web::web;

use crate::api::pagination::{Page, PageParams};
use crate::api::views::{EntryView, MemberView, PointsMovement};
use crate::db::{DbConnection, now_utc};
use crate::error::AppResult;
use crate::idempotency::{self, Done, Keyed, Reply};
use crate::ledger::history;
use crate::ledger::posting::Cause;
use crate::members::points::{self, Actor, AdjustPoints};
use crate::members::{self, UpdateMember, account};
use crate::programs::{self, Program};
use crate::state::AppState;

pub async fn show(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
) -> AppResult<MemberView> {
    state
        .run(move |conn| {
            let program = programs::by_id(conn, program_id)?;
            view(conn, &program, &external_id)
        })
        .await
}

/// A member of a program already read (a storefront's, with its key).
pub async fn show_in(
    state: &web::Data<AppState>,
    program: Arc<Program>,
    external_id: String,
) -> AppResult<MemberView> {
    state
        .run(move |conn| view(conn, &program, &external_id))
        .await
}

fn view(conn: &mut DbConnection, program: &Program, external_id: &str) -> AppResult<MemberView> {
    MemberView::read(conn, program, external_id)
}

pub async fn update(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
    input: UpdateMember,
) -> AppResult<MemberView> {
    state
        .run(move |conn| {
            let member = account::update(conn, program_id, &external_id, &input)?;
            let program = programs::by_id(conn, program_id)?;
            MemberView::load(conn, &program, member)
        })
        .await
}

pub async fn close(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
    cause: Cause,
) -> AppResult<MemberView> {
    state
        .run(move |conn| {
            let member = account::close(conn, program_id, &external_id, cause)?;
            let program = programs::by_id(conn, program_id)?;
            MemberView::load(conn, &program, member)
        })
        .await
}

pub async fn ledger(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
    page: &PageParams,
) -> AppResult<Page<EntryView>> {
    let (before, limit) = (page.cursor_id()?, page.limit());
    let rows = state
        .run(move |conn| {
            let member = members::require(conn, program_id, &external_id)?;
            history::page(conn, member.id, before, limit + 1)
        })
        .await?;
    Ok(Page::from_rows(
        rows,
        limit,
        |h| h.entry.id,
        EntryView::from,
    ))
}

pub async fn adjust(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
    keyed: Option<Keyed>,
    input: AdjustPoints,
    actor: Actor,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            idempotency::execute(conn, keyed.as_ref(), 201, |tx| {
                let posted =
                    points::adjust(tx, program_id, &external_id, &input, actor, now_utc())?;
                Ok(Done {
                    entry_id: Some(posted.entry.id),
                    body: PointsMovement::from(posted),
                })
            })
        })
        .await
}
