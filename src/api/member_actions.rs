//! Member actions shared by the storefront's and the admins' routes, which differ only in who
//! calls them.

use actix_web::web;

use serde_json::Value;

use crate::api::pagination::{Page, PageParams};
use crate::api::views::{EntryView, MemberView, PointsMovement, TokenView};
use crate::audit::{self, Audit, Audited};
use crate::auth::jwt::Audience;
use crate::db::models::members::MemberRow;
use crate::db::{DbConn, DbConnection, now_utc};
use crate::error::AppResult;
use crate::idempotency::{self, Done, Keyed, Reply};
use crate::ledger::history;
use crate::ledger::posting::{Cause, Posted};
use crate::members::points::{self, Actor, AdjustPoints, RedeemPoints};
use crate::members::{self, BalanceChange, EnrolMember, UpdateMember};
use crate::programs::key_cache::KeyCheck;
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

/// A movement of a member's points by hand.
pub enum Movement {
    /// Burning points at checkout.
    Redeem(RedeemPoints),
    Adjust(AdjustPoints),
}

/// Who moves points: the actor the ledger names, the audit context and the idempotency key.
pub struct Mover {
    pub actor: Actor,
    pub audit: Audit,
    pub keyed: Option<Keyed>,
}

/// Moves a member's points, once per idempotency key, in one transaction whose first
/// statement locks the member; with a storefront's cached key that statement also reads the
/// key's state, and nothing is written unless `key` holds.
pub fn move_points(
    conn: &mut DbConn,
    program: &Program,
    external_id: &str,
    movement: &Movement,
    mover: &Mover,
    key: &mut KeyCheck<'_>,
) -> AppResult<Reply> {
    idempotency::execute(conn, mover.keyed.as_ref(), 201, |tx| {
        let (change, state) =
            BalanceChange::start_by_external_id(tx, program.id, external_id, key.key_id())?;
        if !key.holds(tx, state)? {
            return Err(KeyCheck::changed());
        }
        let (member, actor, now) = (change.member(), mover.actor, now_utc());
        let (action, posted) = match movement {
            Movement::Redeem(input) => (
                "points.redeem",
                points::redeem(tx, member, input, actor, now)?,
            ),
            Movement::Adjust(input) => (
                "points.adjust",
                points::adjust(tx, program, member, input, actor, now)?,
            ),
        };
        moved(tx, change, &mover.audit, action, posted)
    })
}

/// Adds or takes points by an admin, once per idempotency key.
pub async fn adjust(
    state: &web::Data<AppState>,
    program_id: i64,
    external_id: String,
    input: AdjustPoints,
    mover: Mover,
) -> AppResult<Reply> {
    state
        .run(move |conn| {
            let program = programs::by_id(conn, program_id)?;
            let movement = Movement::Adjust(input);
            let mut no_key = KeyCheck::new(None);
            move_points(conn, &program, &external_id, &movement, &mover, &mut no_key)
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
    let after = posted.member.clone();
    let done = Done {
        entry_id: Some(posted.entry.id),
        body: PointsMovement::from(posted),
    };
    let entry = audit::snapshot(&done.body.entry)?;
    change.record_after(tx, audit, (action, "entry", entry), &after)?;
    Ok(done)
}
