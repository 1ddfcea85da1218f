//! Events: what storefronts report. Recording one stores it, decides what it earns with the
//! pure engine, and writes the outcome, all in one transaction; its id makes it idempotent.

mod apply;
pub mod input;
pub mod outcome;
mod refund;
pub(crate) mod state;

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};

use self::input::EventInput;
use self::outcome::{Awarded, EventOutcome, EventRef};
use crate::db::models::counters;
use crate::db::models::events::{self as rows, EventRow, NewEvent};
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::db::models::stats::{self, Delta};
use crate::db::{DbConn, DbConnection, is_unique_violation, write_tx};
use crate::engine::event::{Event, EventType};
use crate::engine::game::GameConfig;
use crate::engine::period::{self, Period};
use crate::engine::tiers::Metric;
use crate::engine::{self, RuleSet};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::gamification::{self, GameCache, GameEvent, RefundTaken};
use crate::ledger::Balance;
use crate::members::{self, EnrolMember};
use crate::programs::Program;
use crate::rewards::redeem::{self, Gift, Source};
use crate::rules::RuleCache;
use crate::tiers::{self, ChangeCause};

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

/// Records an event and returns its outcome as JSON.
pub fn record(
    conn: &mut DbConn,
    cache: &RuleCache,
    games: &GameCache,
    program: &Program,
    input: &EventInput,
    api_key_id: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<Recorded> {
    let event = input.validate(&program.currency, now)?;
    let digest = input.digest()?;
    if let Some(stored) = rows::find(conn, program.id, &event.id)? {
        return replay(stored, &digest);
    }
    let compiled = Compiled {
        rules: cache.get(conn, program)?,
        game: games.get(conn, program)?,
    };
    for _ in 0..3 {
        let attempt = write_tx(conn, |tx| {
            // The member's lock first: inserting the event (which references the member)
            // before it would let two events of one member deadlock on PostgreSQL.
            let member = member_for(tx, program, &input.member, now)?;
            let member = member_rows::lock(tx, member.id)?;
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
                api_key_id,
                qualifying_minor: qualifying_spend(program, &event)?,
            };
            let row = rows::insert(tx, &new).map_err(|e| {
                if is_unique_violation(&e) {
                    Failure::IdTaken
                } else {
                    e.into()
                }
            })?;
            let (outcome, earned) =
                decide_and_write(tx, program, &compiled, &event, &row, member, now)?;
            let json = serde_json::to_string(&outcome).map_err(|e| AppError::Internal(e.into()))?;
            rows::complete(tx, row.id, &json, earned)?;
            Ok::<_, Failure>(json)
        });
        match attempt {
            Ok(json) => return Ok(Recorded::Created(json)),
            Err(Failure::App(error)) => return Err(error),
            Err(Failure::Raced) => continue,
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

/// The event's member; enrolled on the spot when the program allows it.
fn member_for(
    tx: &mut DbConnection,
    program: &Program,
    external_id: &str,
    now: NaiveDateTime,
) -> Result<MemberRow, Failure> {
    if let Some(member) = member_rows::find_by_external_id(tx, program.id, external_id)? {
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

/// Decides what the event does to the member and writes it; returns the outcome and the points
/// the event earned the member.
fn decide_and_write(
    tx: &mut DbConnection,
    program: &Program,
    compiled: &Compiled,
    event: &Event,
    row: &EventRow,
    member: MemberRow,
    now: NaiveDateTime,
) -> AppResult<(EventOutcome, i64)> {
    let counted = program.currency.to_minor("amount", event.merchandise())?;
    counters::add_event(tx, member.id, event.kind.as_str(), counted)?;
    record_activity(tx, program, &member, event, counted)?;
    if event.kind == EventType::Purchase {
        member_rows::touch_activity(tx, member.id, event.occurred_at)?;
    }
    let mut outcome = EventOutcome {
        event: EventRef {
            id: event.id.clone(),
            kind: event.kind.to_string(),
            occurred_at: utc(event.occurred_at),
        },
        member: member.external_id.clone(),
        points_awarded: 0,
        awarded: Awarded::default(),
        rules: Vec::new(),
        rewards_issued: Vec::new(),
        referrer: None,
        reversed: None,
        balance: Balance::from(&member),
        tier: None,
        badges_earned: Vec::new(),
        challenges: Vec::new(),
        notes: Vec::new(),
    };
    let cause = ChangeCause {
        event_id: Some(row.id),
        admin_id: None,
    };
    if event.kind == EventType::Refund {
        let refunded = refund::apply(tx, program, member, event, row.id, now)?;
        outcome.points_awarded = -refunded.reversed.as_ref().map_or(0, |r| r.points);
        outcome.tier = tiers::after_activity(
            tx,
            program,
            &refunded.member,
            -refunded.qualifying,
            event.occurred_at,
            cause,
        )?;
        if let (Some((purchase, refunded_after)), Some(reversed)) =
            (&refunded.purchase, &refunded.reversed)
        {
            let taken = RefundTaken {
                member_id: refunded.member.id,
                purchase,
                refunded_after: *refunded_after,
                points: reversed.points,
            };
            gamification::after_refund(tx, program, &compiled.game, &taken, now)?;
        }
        outcome.reversed = refunded.reversed;
        outcome.notes.extend(refunded.note);
        outcome.balance = Balance::from(&refunded.member);
        return Ok((outcome, 0));
    }
    if !member.status.may_earn() {
        outcome
            .notes
            .push("the member is suspended: the event is recorded and earns nothing".into());
        return Ok((outcome, 0));
    }
    let member = if event.kind == EventType::Referral {
        link_referrer(tx, member, event, &mut outcome.notes)?
    } else {
        member
    };
    let rules = &compiled.rules;
    let state = state::load(tx, program, &member, rules, event)?;
    let decision = engine::evaluate(rules, event, &state, now);
    let member = apply::credit(
        tx,
        program,
        member,
        row.id,
        event.occurred_at,
        &decision,
        now,
    )?;
    let game = GameEvent {
        program,
        config: &compiled.game,
        event,
        state: &state,
        event_id: row.id,
        decision: &decision,
        now,
    };
    let played = gamification::play(tx, &game, member)?;
    let qualifying = match program.tiers.as_ref().map(|t| &t.metric) {
        Some(Metric::PointsEarned) => decision.points + played.bonus,
        _ => row.qualifying_minor.unwrap_or(0),
    };
    outcome.tier = tiers::after_activity(
        tx,
        program,
        &played.member,
        qualifying,
        event.occurred_at,
        cause,
    )?;
    let played = gamification::finish(tx, &game, played, &mut outcome.tier)?;
    let member = played.member;
    let points = decision.points + played.bonus;
    for grant in &decision.rewards {
        match redeem::gift_named(tx, program, &member, &grant.reward, Source::Rule, None, now)? {
            Gift::Issued(voucher) => outcome.rewards_issued.push(*voucher),
            Gift::Unavailable | Gift::Missing => outcome.notes.push(format!(
                "rule `{}`: reward `{}` is not available",
                grant.rule.rule, grant.reward
            )),
        }
    }
    let pending = decision.available_at > now;
    outcome.points_awarded = points;
    outcome.awarded = Awarded {
        available: if pending { 0 } else { points },
        pending: if pending { points } else { 0 },
        available_at: (pending && points > 0).then(|| utc(decision.available_at)),
    };
    outcome.badges_earned = played.badges;
    outcome.challenges = played.challenges;
    outcome.rules = decision.lines;
    if decision.referrer_award.is_some() {
        let delta = Delta {
            referrals_paid: 1,
            ..Delta::default()
        };
        stats::add(tx, program.id, member.id, event.occurred_at, &delta)?;
    }
    outcome.referrer = decision.referrer_award;
    outcome.balance = Balance::from(&member);
    Ok((outcome, decision.points))
}

/// Counts the event in the program's maintained totals and the member's active months.
fn record_activity(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    event: &Event,
    amount_minor: i64,
) -> AppResult<()> {
    let delta = match event.kind {
        EventType::Purchase => Delta {
            purchases: 1,
            purchase_minor: amount_minor,
            ..Delta::default()
        },
        EventType::Refund => Delta {
            refunds: 1,
            refund_minor: amount_minor,
            ..Delta::default()
        },
        EventType::Review => Delta {
            reviews: 1,
            ..Delta::default()
        },
        _ => Delta::default(),
    };
    stats::add(tx, program.id, member.id, event.occurred_at, &delta)?;
    let tz = program.time_zone;
    let local = period::local(tz, event.occurred_at);
    let month = Period::Month.key(local);
    let previous = Period::Month.key(
        local
            .checked_sub_months(chrono::Months::new(1))
            .unwrap_or(local),
    );
    let cohort = Period::Month.key(period::local(tz, member.enrolled_at));
    Ok(stats::member_active(
        tx,
        program.id,
        member.id,
        event.occurred_at,
        &month,
        &previous,
        &cohort,
    )?)
}

/// A `referral` event links the member to the referrer its `properties.referral_code` names,
/// unless it already has one or would refer itself.
fn link_referrer(
    tx: &mut DbConnection,
    member: MemberRow,
    event: &Event,
    notes: &mut Vec<String>,
) -> AppResult<MemberRow> {
    let Some(code) = event
        .properties
        .get("referral_code")
        .and_then(|v| v.as_str())
    else {
        notes.push("no properties.referral_code: no referrer linked".into());
        return Ok(member);
    };
    if member.referred_by.is_some() {
        notes.push("the member already has a referrer".into());
        return Ok(member);
    }
    match members::link_referrer(tx, &member, code)? {
        Some(linked) => Ok(linked),
        None => {
            notes.push(format!(
                "referral code `{code}` names no other member: no referrer linked"
            ));
            Ok(member)
        }
    }
}

fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}
