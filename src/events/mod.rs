//! Events: what storefronts report. Recording one stores it, decides what it earns with the
//! pure engine, and writes the outcome, all in one transaction; its id makes it idempotent.

mod apply;
mod load;
pub mod outcome;

use std::sync::Arc;

use chrono::NaiveDateTime;

use self::apply::Parties;
use self::outcome::EventOutcome;
use crate::db::batch::Batch;
use crate::db::models::api_keys::KeyState;
use crate::db::models::events::{self as rows, EventRow, NewEvent};
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::db::{DbConn, DbConnection, is_unique_violation, write_tx};
use crate::engine::RuleSet;
use crate::engine::event::{Event, EventType};
use crate::engine::game::GameConfig;
use crate::engine::input::EventInput;
use crate::engine::plan::{self, Settings};
use crate::engine::tiers::Metric;
use crate::error::{AppError, AppResult, ErrorCode};
use crate::gamification::GameCache;
use crate::members::{self, EnrolMember};
use crate::programs::Program;
use crate::programs::key_cache::{KeyCheck, VerifiedKey};
use crate::rules::RuleCache;

/// The stored outcome of an event: new (201) or replayed for a re-post of its id (200).
pub enum Recorded {
    Created(String),
    Replayed(String),
}

enum Failure {
    /// Another request recorded this event id first.
    IdTaken,
    /// Another request enrolled the member first; try again.
    Raced,
    /// The event's member cannot have it (closed, unknown): unless it is a re-post.
    Member(AppError),
    /// The key the event was posted with is not as it was verified: revoked or changed.
    KeyChanged,
    App(AppError),
}

impl From<AppError> for Failure {
    fn from(error: AppError) -> Self {
        Failure::App(error)
    }
}

impl From<diesel::result::Error> for Failure {
    fn from(error: diesel::result::Error) -> Self {
        Failure::App(error.into())
    }
}

/// The program's compiled configuration an event is decided with.
struct Compiled {
    rules: Arc<RuleSet>,
    game: Arc<GameConfig>,
}

/// Records an event the service itself posts (the demo) and returns its outcome as JSON.
pub fn record(
    conn: &mut DbConn,
    cache: &RuleCache,
    games: &GameCache,
    program: &Program,
    input: &EventInput,
    now: NaiveDateTime,
) -> AppResult<Recorded> {
    let mut service = KeyCheck::new(None);
    record_as(conn, cache, games, program, input, &mut service, now)
}

/// Records an event a storefront posts with a key this process verified before, and returns
/// the key's state as the event's transaction read it (with the member's lock) beside the
/// outcome. Nothing is written unless that state is the one the key was verified with: a
/// revoked or changed key rolls the transaction back, for the caller to refuse or verify
/// afresh.
pub fn record_by_key(
    conn: &mut DbConn,
    cache: &RuleCache,
    games: &GameCache,
    key: &VerifiedKey,
    input: &EventInput,
    now: NaiveDateTime,
) -> AppResult<(KeyState, AppResult<Recorded>)> {
    let mut check = KeyCheck::new(Some(key));
    let program = &key.program;
    let answer = record_as(conn, cache, games, program, input, &mut check, now);
    Ok((check.into_state(conn, key)?, answer))
}

/// Records an event and returns its outcome as JSON.
fn record_as(
    conn: &mut DbConn,
    cache: &RuleCache,
    games: &GameCache,
    program: &Program,
    input: &EventInput,
    key: &mut KeyCheck<'_>,
    now: NaiveDateTime,
) -> AppResult<Recorded> {
    let event = input.validate(&program.currency, now)?;
    let digest = input.digest();
    // A re-post is found by the insert of its id, which fails: one statement fewer for every
    // new event than a look-up first.
    let compiled = Compiled {
        rules: cache.get(conn, program)?,
        game: games.get(conn, program)?,
    };
    for _ in 0..3 {
        let attempt = write_tx(conn, |tx| {
            // The member's lock first: inserting the event (which references the member)
            // before it would let two events of one member deadlock on PostgreSQL.
            let member =
                member_for(tx, program, &input.member, key, now).map_err(
                    |failure| match failure {
                        Failure::App(error) => Failure::Member(error),
                        other => other,
                    },
                )?;
            let new = NewEvent {
                program_id: program.id,
                external_id: &event.id,
                member_id: member.id,
                kind: event.kind.as_str(),
                occurred_at: event.occurred_at,
                received_at: now,
                request_digest: &digest,
                payload: &serde_json::to_string(input).map_err(|e| AppError::Internal(e.into()))?,
                outcome: "",
                order_id: event.order_id.as_deref(),
                amount_minor: purchase_amount(program, &event)?,
                api_key_id: key.key_id(),
                qualifying_minor: qualifying_spend(program, &event)?,
            };
            let row = match rows::insert(tx, &new) {
                Ok(row) => row,
                Err(e) if is_unique_violation(&e) => {
                    return repost(tx, program, &event.id, &digest);
                }
                Err(e) => return Err(e.into()),
            };
            let (outcome, earned, mut batch) =
                decide_and_write(tx, program, &compiled, &event, &row, member, now)?;
            let json = serde_json::to_string(&outcome).map_err(|e| AppError::Internal(e.into()))?;
            batch.push(rows::complete(row.id, json.clone(), earned));
            batch.send(tx)?;
            Ok::<_, Failure>(Recorded::Created(json))
        });
        match attempt {
            Ok(recorded) => return Ok(recorded),
            Err(Failure::App(error)) => return Err(error),
            Err(Failure::Raced) => continue,
            // Rolled back; the caller sees the key's state and does not use this answer.
            Err(Failure::KeyChanged) => return Err(KeyCheck::changed()),
            // A re-post of an event whose member was closed since, or is unknown to it, is
            // still answered with the stored reply.
            Err(Failure::Member(error)) => {
                return match rows::find(conn, program.id, &event.id)? {
                    Some(stored) => replay(stored, &digest),
                    None => Err(error),
                };
            }
            Err(Failure::IdTaken) => {
                return match rows::find(conn, program.id, &event.id)? {
                    Some(stored) => replay(stored, &digest),
                    None => Err(AppError::conflict(
                        ErrorCode::EventInProgress,
                        "id: this event is being recorded; retry shortly",
                    )),
                };
            }
        }
    }
    Err(AppError::conflict(
        ErrorCode::EventInProgress,
        "member: the member is being enrolled by another event; retry",
    ))
}

/// A re-post, found by its id's insert failing. On SQLite the first post may be ahead of this
/// one in the same batch, not yet committed (group commit), which only this transaction sees:
/// it is read here. PostgreSQL ends a transaction at a failed statement (and its insert waited
/// for the first post's commit), so there it is read after.
fn repost(
    tx: &mut DbConnection,
    program: &Program,
    id: &str,
    digest: &str,
) -> Result<Recorded, Failure> {
    if !matches!(tx, DbConnection::Sqlite(_)) {
        return Err(Failure::IdTaken);
    }
    match rows::find(tx, program.id, id)? {
        Some(stored) => replay(stored, digest).map_err(Failure::App),
        None => Err(Failure::IdTaken),
    }
}

fn replay(stored: EventRow, digest: &str) -> AppResult<Recorded> {
    if stored.request_digest != digest {
        return Err(AppError::conflict(
            ErrorCode::EventConflict,
            format!(
                "id: an event `{}` with a different body was recorded",
                stored.external_id
            ),
        ));
    }
    Ok(Recorded::Replayed(stored.outcome))
}

/// The event's member, locked; enrolled on the spot when the program allows it. With a key,
/// its state is read (by the lock's statement when the member exists), and nothing goes
/// further unless it is the state the key was verified with.
fn member_for(
    tx: &mut DbConnection,
    program: &Program,
    external_id: &str,
    key: &mut KeyCheck<'_>,
    now: NaiveDateTime,
) -> Result<MemberRow, Failure> {
    let found = member_rows::lock_by_external_id(tx, program.id, external_id, key.key_id())?;
    let (found, state) = found.unzip();
    if !key.holds(tx, state.flatten())? {
        return Err(Failure::KeyChanged);
    }
    if let Some(member) = found {
        if member.status.is_closed() {
            return Err(AppError::conflict(
                ErrorCode::MemberClosed,
                "member: the member's account is closed",
            )
            .into());
        }
        return Ok(member);
    }
    if !program.auto_enrol {
        return Err(AppError::not_found(format!(
            "member: no member `{external_id}` in this program"
        ))
        .into());
    }
    let input = EnrolMember {
        external_id: external_id.to_owned(),
        email: None,
        name: None,
        birthday: None,
        referral_code: None,
    };
    members::enrol(tx, program.id, &input, now).map_err(|e| match &e {
        AppError::Internal(cause)
            if cause
                .downcast_ref::<diesel::result::Error>()
                .is_some_and(is_unique_violation) =>
        {
            Failure::Raced
        }
        _ => Failure::App(e),
    })
}

/// A purchase's merchandise in minor units: what refunds are a share of.
fn purchase_amount(program: &Program, event: &Event) -> AppResult<Option<i64>> {
    match event.kind {
        EventType::Purchase => Ok(Some(
            program.currency.to_minor("amount", event.merchandise())?,
        )),
        _ => Ok(None),
    }
}

/// A purchase's money that counts towards tiers measured by spend, in minor units.
fn qualifying_spend(program: &Program, event: &Event) -> AppResult<Option<i64>> {
    match (&event.kind, program.tiers.as_ref().map(|t| &t.metric)) {
        (EventType::Purchase, Some(Metric::QualifyingSpend { items })) => {
            let spend = event
                .eligible_amount(items)
                .round_dp(program.currency.exponent);
            Ok(Some(program.currency.to_minor("amount", spend)?))
        }
        _ => Ok(None),
    }
}

/// Decides what the event does to the member with one pure plan, and writes it; returns the
/// outcome, the points the event's rules earned the member, and the writes left to send.
fn decide_and_write(
    tx: &mut DbConnection,
    program: &Program,
    compiled: &Compiled,
    event: &Event,
    row: &EventRow,
    member: MemberRow,
    now: NaiveDateTime,
) -> AppResult<(EventOutcome, i64, Batch<'static>)> {
    let config = load::Compiled {
        rules: &compiled.rules,
        game: &compiled.game,
    };
    let (mut loaded, referrer) = load::load(tx, program, &config, &member, event, now)?;
    loaded.qualifying_minor = row.qualifying_minor;
    let settings = Settings {
        rules: &compiled.rules,
        game: &compiled.game,
        tiers: program.tiers.as_ref(),
        expiry: program.expiry,
        time_zone: program.time_zone,
        exponent: program.currency.exponent,
        point_name: &program.point_name,
        currency: &program.currency.code,
    };
    let plan = plan::decide(&settings, event, &loaded, now);
    let mut parties = Parties { member, referrer };
    let recorded = apply::Recorded {
        event_id: row.id,
        event,
        now,
    };
    let mut batch = Batch::default();
    let outcome = apply::apply(
        tx,
        &mut batch,
        program,
        &loaded,
        &plan,
        &mut parties,
        &recorded,
    )?;
    Ok((outcome, plan.rule_points, batch))
}
