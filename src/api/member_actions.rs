//! Member actions shared by the storefront's and the admins' routes, which differ only in who
//! calls them.

use std::sync::Arc;

use actix_web::web;

use crate::api::pagination::{Page, PageParams};
use serde_json::{Value, json};

use crate::api::views::{EntryView, MemberView, PointsMovement, TokenView};
use crate::audit::{self, Audit, Change};
use crate::auth::jwt::Audience;
use crate::db::models::members::MemberRow;
use crate::db::{DbConnection, now_utc};
use crate::error::AppResult;
use crate::idempotency::{self, Done, Keyed, Reply};
use crate::ledger::history;
use crate::ledger::posting::Cause;
use crate::members::points::{self, Actor, AdjustPoints};
use crate::members::{self, UpdateMember};
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

/// Changes a member's profile or status, once per idempotency key.
pub async fn update(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
    input: UpdateMember,
    keyed: Option<Keyed>,
    audit: Audit,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            idempotency::execute(conn, keyed.as_ref(), 200, |tx| {
                let program = programs::by_id(tx, program_id)?;
                let before = member_state(&view(tx, &program, &external_id)?)?;
                let member = members::update(tx, program_id, &external_id, &input, now_utc())?;
                let done = loaded(tx, program_id, member)?;
                record(
                    tx,
                    &audit,
                    program_id,
                    "member.update",
                    &external_id,
                    before,
                    &done.body,
                )?;
                Ok(done)
            })
        })
        .await
}

/// Closes a member (personal data erased, points forfeited), once per idempotency key.
pub async fn close(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
    cause: Cause,
    keyed: Option<Keyed>,
    audit: Audit,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            idempotency::execute(conn, keyed.as_ref(), 200, |tx| {
                let program = programs::by_id(tx, program_id)?;
                let before = member_state(&view(tx, &program, &external_id)?)?;
                let member = members::close(tx, program_id, &external_id, cause, now_utc())?;
                let done = loaded(tx, program_id, member)?;
                record(
                    tx,
                    &audit,
                    program_id,
                    "member.close",
                    &external_id,
                    before,
                    &done.body,
                )?;
                Ok(done)
            })
        })
        .await
}

/// Records a change of a member from `before` to `after`.
fn record(
    tx: &mut DbConnection,
    audit: &Audit,
    program_id: i64,
    action: &str,
    external_id: &str,
    before: Value,
    after: &MemberView,
) -> AppResult<()> {
    let change = Change {
        program_id: Some(program_id),
        action,
        subject: external_id,
        before: Some(before),
        after: Some(member_state(after)?),
    };
    audit.record(tx, change)
}

/// A member as the audit log keeps it: without personal data, which closing must be able
/// to erase and the log never forgets.
fn member_state(member: &MemberView) -> AppResult<Value> {
    let mut state = audit::snapshot(member)?;
    if let Some(fields) = state.as_object_mut() {
        for personal in ["email", "name", "birthday"] {
            fields.remove(personal);
        }
    }
    Ok(state)
}

fn loaded(
    tx: &mut DbConnection,
    program_id: i64,
    member: MemberRow,
) -> AppResult<Done<MemberView>> {
    let program = programs::by_id(tx, program_id)?;
    Ok(Done {
        body: MemberView::load(tx, &program, member)?,
        entry_id: None,
    })
}

/// A member token for the member's own browser or app, once per idempotency key (a retry
/// gets the same token).
pub async fn token(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
    keyed: Option<Keyed>,
) -> AppResult<Reply> {
    let shared = state.clone();
    state
        .run(move |conn| {
            idempotency::execute(conn, keyed.as_ref(), 200, |tx| {
                let member = members::require(tx, program_id, &external_id)?;
                member.status.check_open()?;
                let ttl = shared.token_lifetimes.member_secs;
                let access_token = shared.tokens.issue(
                    Audience::Member,
                    member.id.to_string(),
                    Some(member.program_id),
                    ttl,
                )?;
                Ok(Done {
                    body: TokenView {
                        access_token,
                        token_type: "Bearer",
                        expires_in: ttl,
                    },
                    entry_id: None,
                })
            })
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
    audit: Audit,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            idempotency::execute(conn, keyed.as_ref(), 201, |tx| {
                let program = programs::by_id(tx, program_id)?;
                let before = audit::snapshot(&view(tx, &program, &external_id)?.balance)?;
                let posted =
                    points::adjust(tx, program_id, &external_id, &input, actor, now_utc())?;
                let done = Done {
                    entry_id: Some(posted.entry.id),
                    body: PointsMovement::from(posted),
                };
                let after = json!({"balance": view(tx, &program, &external_id)?.balance,
                                   "entry": done.body});
                let before = json!({"balance": before});
                let change = Change {
                    program_id: Some(program_id),
                    action: "points.adjust",
                    subject: &external_id,
                    before: Some(before),
                    after: Some(after),
                };
                audit.record(tx, change)?;
                Ok(done)
            })
        })
        .await
}
