//! Member actions shared by the storefront's and the admins' routes, which differ only in who
//! calls them.

use actix_web::web;

use serde_json::Value;

use crate::api::pagination::{Page, PageParams};
use crate::api::views::{EntryView, MemberView, PointsMovement, TokenView};
use crate::audit::{self, Audit, Audited};
use crate::auth::jwt::Audience;
use crate::db::models::members::MemberRow;
use crate::db::{DbConnection, now_utc};
use crate::error::AppResult;
use crate::idempotency::{self, Done, Keyed, Reply};
use crate::ledger::history;
use crate::ledger::posting::{Cause, Posted};
use crate::members::points::{self, Actor, AdjustPoints, RedeemPoints};
use crate::members::{self, BalanceChange, EnrolMember, UpdateMember};
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
                let before = view(tx, &program, &external_id)?;
                let member = members::update(tx, program_id, &external_id, &input, now_utc())?;
                let done = loaded(tx, &program, member)?;
                let after = Some(&done.body);
                audit.changed(tx, Some(program_id), "member.update", Some(&before), after)?;
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
                let before = view(tx, &program, &external_id)?;
                let member = members::close(tx, program_id, &external_id, cause, now_utc())?;
                let done = loaded(tx, &program, member)?;
                let after = Some(&done.body);
                audit.changed(tx, Some(program_id), "member.close", Some(&before), after)?;
                Ok(done)
            })
        })
        .await
}

/// Enrols a member, once per idempotency key.
pub async fn enrol(
    state: &web::Data<AppState>,
    program_id: i64,
    input: EnrolMember,
    keyed: Option<Keyed>,
    audit: Audit,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            idempotency::execute(conn, keyed.as_ref(), 201, |tx| {
                let program = programs::by_id(tx, program_id)?;
                let member = members::enrol(tx, program_id, &input, now_utc())?;
                let done = loaded(tx, &program, member)?;
                audit.changed(tx, Some(program_id), "member.enrol", None, Some(&done.body))?;
                Ok(done)
            })
        })
        .await
}

/// A member as the audit log keeps it: without personal data, which closing must be able
/// to erase and the log never forgets.
impl Audited for MemberView {
    fn subject(&self) -> String {
        self.external_id.clone()
    }

    fn state(&self) -> AppResult<Value> {
        let mut state = audit::snapshot(self)?;
        if let Some(fields) = state.as_object_mut() {
            for personal in ["email", "name", "birthday"] {
                fields.remove(personal);
            }
        }
        Ok(state)
    }
}

fn loaded(
    tx: &mut DbConnection,
    program: &Program,
    member: MemberRow,
) -> AppResult<Done<MemberView>> {
    Ok(Done {
        body: MemberView::load(tx, program, member)?,
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

/// Burns points at checkout, once per idempotency key.
pub async fn redeem(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
    keyed: Keyed,
    input: RedeemPoints,
    actor: Actor,
    audit: Audit,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            idempotency::execute(conn, Some(&keyed), 201, |tx| {
                let member = members::require(tx, program_id, &external_id)?;
                let change = BalanceChange::start(tx, member.id)?;
                let posted =
                    points::redeem(tx, program_id, &external_id, &input, actor, now_utc())?;
                moved(tx, change, &audit, "points.redeem", posted)
            })
        })
        .await
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
                let member = members::require(tx, program_id, &external_id)?;
                let change = BalanceChange::start(tx, member.id)?;
                let posted =
                    points::adjust(tx, program_id, &external_id, &input, actor, now_utc())?;
                moved(tx, change, &audit, "points.adjust", posted)
            })
        })
        .await
}

/// The answer to a movement of points by hand, recorded as `action`.
fn moved(
    tx: &mut DbConnection,
    change: BalanceChange,
    audit: &Audit,
    action: &str,
    posted: Posted,
) -> AppResult<Done<PointsMovement>> {
    let done = Done {
        entry_id: Some(posted.entry.id),
        body: PointsMovement::from(posted),
    };
    let entry = audit::snapshot(&done.body.entry)?;
    change.record(tx, audit, action, "entry", entry)?;
    Ok(done)
}
