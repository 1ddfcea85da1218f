//! The primitives that move points, for use inside a caller's write transaction. Each writes
//! one entry, the lots and links it touches, and the member's new balances.
//!
//! Concurrency: `spend` is one conditional `UPDATE ... WHERE points_available >= n`, so two
//! concurrent debits can never both take the same points. `credit` and `take_back` start from
//! a row read with `members::lock` (`SELECT ... FOR UPDATE` on PostgreSQL; on SQLite the
//! transaction is `BEGIN IMMEDIATE`). CHECK constraints on the balances are the backstop.

use chrono::NaiveDateTime;

use super::EntryKind;

use crate::db::DbConnection;
use crate::db::batch::Batch;
use crate::db::models::ledger::{self as rows, CreditLot, EntryRow, LotRow, NewEntry, NewLot};
use crate::db::models::members::{self, Balances, MemberRow, Seen};
use crate::db::models::stats::{self, Delta};
use crate::domain::Points;
use crate::error::{AppError, AppResult, ErrorCode};

/// Who or what caused an entry; stored with it.
#[derive(Debug, Clone, Default)]
pub struct Cause {
    pub reason: Option<String>,
    pub order_id: Option<String>,
    pub api_key_id: Option<i64>,
    pub admin_id: Option<i64>,
    pub reverses_entry_id: Option<i64>,
    pub event_id: Option<i64>,
    pub rule_id: Option<i64>,
    pub rule_version: Option<i32>,
    pub redemption_id: Option<i64>,
}

/// An entry written, and the member's balances after it.
#[derive(Debug, Clone)]
pub struct Posted {
    pub entry: EntryRow,
    pub member: MemberRow,
}

/// Points to add as a new lot.
#[derive(Debug, Clone)]
pub struct Credit {
    pub kind: EntryKind,
    pub points: Points,
    /// Until then the points are pending.
    pub available_at: NaiveDateTime,
    pub expires_at: Option<NaiveDateTime>,
    pub cause: Cause,
}

/// Points to take from the member's released lots, only if they cover them.
#[derive(Debug, Clone)]
pub struct Spend {
    pub kind: EntryKind,
    pub points: Points,
    pub cause: Cause,
}

/// Points to take back (a refund, an expiry): from the given lots first, then, unless
/// `only_given_lots`, from released lots; what no lot covers becomes a debt if `allow_debt`.
#[derive(Debug, Clone)]
pub struct TakeBack {
    pub kind: EntryKind,
    pub points: Points,
    pub lots_first: Vec<i64>,
    pub only_given_lots: bool,
    pub allow_debt: bool,
    pub cause: Cause,
}

fn new_entry<'a>(
    member: &MemberRow,
    kind: EntryKind,
    points: i64,
    balance_after: i64,
    cause: &'a Cause,
    at: NaiveDateTime,
) -> NewEntry<'a> {
    NewEntry {
        program_id: member.program_id,
        member_id: member.id,
        kind: kind.as_str(),
        points,
        balance_after,
        reason: cause.reason.as_deref(),
        order_id: cause.order_id.as_deref(),
        reverses_entry_id: cause.reverses_entry_id,
        api_key_id: cause.api_key_id,
        admin_id: cause.admin_id,
        created_at: at,
        event_id: cause.event_id,
        rule_id: cause.rule_id,
        rule_version: cause.rule_version,
        redemption_id: cause.redemption_id,
    }
}

/// What an entry of `kind` moving `points` adds to the program's maintained totals.
fn totals_of(kind: EntryKind, points: i64) -> Delta {
    match kind {
        EntryKind::Earn => Delta {
            points_issued: points,
            ..Delta::default()
        },
        EntryKind::Adjust if points > 0 => Delta {
            points_issued: points,
            ..Delta::default()
        },
        EntryKind::Redeem => Delta {
            points_redeemed: -points,
            ..Delta::default()
        },
        EntryKind::Expire => Delta {
            points_expired: -points,
            ..Delta::default()
        },
        // A positive reverse gives back a redemption; a negative one takes back earnings.
        EntryKind::Reverse if points > 0 => Delta {
            points_redeemed: -points,
            ..Delta::default()
        },
        _ => Delta {
            points_reversed: -points,
            ..Delta::default()
        },
    }
}

/// Appends an entry; its count in the program's maintained totals goes into `batch`, with the
/// writes that go with it (its lots and links), for the caller to send.
fn write_entry(
    tx: &mut DbConnection,
    batch: &mut Batch<'_>,
    kind: EntryKind,
    new: &NewEntry<'_>,
) -> AppResult<EntryRow> {
    let entry = rows::insert_entry(tx, new)?;
    batch.extend(stats::upsert(
        tx,
        entry.program_id,
        entry.created_at,
        &totals_of(kind, entry.points),
    ));
    Ok(entry)
}

/// Links `entry` to each lot it moves (`(lot, points)`, each lot once) in `batch`.
fn link_all(batch: &mut Batch<'_>, entry_id: i64, moves: &[(i64, i64)], at: NaiveDateTime) {
    for write in rows::link_writes(entry_id, moves, at) {
        batch.push(write);
    }
}

fn balances_of(member: &MemberRow, at: NaiveDateTime) -> Balances {
    Balances {
        points_available: member.points_available,
        points_pending: member.points_pending,
        points_debt: member.points_debt,
        lifetime_earned: member.lifetime_earned,
        lifetime_redeemed: member.lifetime_redeemed,
        updated_at: at,
        last_event_at: None,
        last_activity_at: None,
    }
}

/// Adds points to a locked member as a new lot; released points first pay off any debt.
/// Refused with 422 (naming `points`), writing nothing, when a stored balance cannot hold them.
pub fn credit(
    tx: &mut DbConnection,
    member: &MemberRow,
    credit: &Credit,
    now: NaiveDateTime,
) -> AppResult<Posted> {
    let points = credit.points.0;
    debug_assert!(points > 0, "a credit adds points");
    let earns = matches!(credit.kind, EntryKind::Earn | EntryKind::Adjust);
    let pending = credit.available_at > now;
    let fits = |stored: i64| stored.checked_add(points).is_some();
    let bucket = if pending {
        member.points_pending
    } else {
        member.points_available
    };
    if !(fits(member.balance_total()) && fits(bucket) && (!earns || fits(member.lifetime_earned))) {
        return Err(AppError::invalid(
            "points",
            format!("points: the member's balance cannot hold {points} more points"),
        ));
    }
    let mut batch = Batch::default();
    let entry = write_entry(
        tx,
        &mut batch,
        credit.kind,
        &new_entry(
            member,
            credit.kind,
            points,
            member.balance_total() + points,
            &credit.cause,
            now,
        ),
    )?;
    batch.push(rows::lot_insert(NewLot {
        member_id: member.id,
        entry_id: entry.id,
        points,
        remaining: points,
        available_at: credit.available_at,
        expires_at: credit.expires_at,
        pending,
        created_at: now,
    }));
    // Before the debts are settled: they read the lot.
    batch.send(tx)?;
    let mut balances = balances_of(member, now);
    if pending {
        balances.points_pending += points;
    } else {
        let settled = settle_debts(tx, member.id, points.min(member.points_debt), now)?;
        balances.points_available += points - settled;
        balances.points_debt -= settled;
    }
    if earns {
        balances.lifetime_earned += points;
    }
    let member = members::set_balances(tx, member.id, &balances)?;
    Ok(Posted { entry, member })
}

/// Adds several credits to a locked member (the entries, the lots, the balances, written with
/// the times `seen` moves forward: one statement on PostgreSQL, three on SQLite), as [`credit`]
/// would one after another; returns the member after and what they add to the program's maintained totals,
/// for the caller to write with its own. A member with a debt is credited one at a time, so
/// that released points pay it off first.
pub fn credit_all(
    tx: &mut DbConnection,
    member: &MemberRow,
    credits: &[Credit],
    seen: Seen,
    now: NaiveDateTime,
) -> AppResult<(MemberRow, Delta)> {
    if credits.is_empty() || member.points_debt > 0 {
        members::set_seen(tx, member.id, &seen)?;
        let mut member = member.clone();
        for one in credits {
            member = credit(tx, &member, one, now)?.member;
        }
        return Ok((member, Delta::default()));
    }
    let mut balances = balances_of(member, now);
    balances.last_event_at = seen.last_event_at;
    balances.last_activity_at = seen.last_activity_at;
    let mut total = member.balance_total();
    let mut totals = Delta::default();
    let mut entries = Vec::with_capacity(credits.len());
    for one in credits {
        let points = one.points.0;
        debug_assert!(points > 0, "a credit adds points");
        let earns = matches!(one.kind, EntryKind::Earn | EntryKind::Adjust);
        let bucket = if one.available_at > now {
            &mut balances.points_pending
        } else {
            &mut balances.points_available
        };
        let added = (
            total.checked_add(points),
            bucket.checked_add(points),
            balances
                .lifetime_earned
                .checked_add(if earns { points } else { 0 }),
        );
        let (Some(after), Some(in_bucket), Some(lifetime)) = added else {
            return Err(AppError::invalid(
                "points",
                format!("points: the member's balance cannot hold {points} more points"),
            ));
        };
        *bucket = in_bucket;
        balances.lifetime_earned = lifetime;
        total = after;
        totals += totals_of(one.kind, points);
        entries.push(new_entry(member, one.kind, points, after, &one.cause, now));
    }
    let lots: Vec<CreditLot> = credits
        .iter()
        .map(|one| CreditLot {
            points: one.points.0,
            available_at: one.available_at,
            expires_at: one.expires_at,
            pending: one.available_at > now,
        })
        .collect();
    let member = rows::insert_credits(tx, &entries, &lots, member.id, &balances)?;
    Ok((member, totals))
}

/// Moves released points of a member to what it owes, oldest debt first, up to `limit`;
/// returns how many moved. Balances are the caller's to write.
pub fn settle_debts(
    tx: &mut DbConnection,
    member_id: i64,
    limit: i64,
    now: NaiveDateTime,
) -> AppResult<i64> {
    if limit <= 0 {
        return Ok(0);
    }
    let mut lots = rows::spendable_lots(tx, member_id)?.into_iter();
    let mut lot = lots.next();
    let mut settled = 0;
    for (debt_entry, owed) in rows::open_debts(tx, member_id)? {
        let mut owed = owed.min(limit - settled);
        while owed > 0 {
            let Some(current) = lot.as_mut() else {
                return Ok(settled);
            };
            let take = owed.min(current.remaining);
            rows::link(tx, debt_entry, current.id, -take, now)?;
            rows::reduce_debt(tx, debt_entry, take)?;
            current.remaining -= take;
            owed -= take;
            settled += take;
            if current.remaining == 0 {
                lot = lots.next();
            }
        }
        if settled == limit {
            break;
        }
    }
    Ok(settled)
}

/// Takes points from an active or suspended member's released lots, expiring-first, in one
/// conditional write (a redemption moving the member's last activity forward in it). Refused
/// with 409 when they do not cover it; nothing is written then.
pub fn spend(
    tx: &mut DbConnection,
    member_id: i64,
    spend: &Spend,
    now: NaiveDateTime,
) -> AppResult<Posted> {
    let points = spend.points.0;
    debug_assert!(points > 0, "a spend takes points");
    let (earned, redeemed) = match spend.kind {
        EntryKind::Redeem => (0, points),
        _ => (-points, 0),
    };
    let activity = (spend.kind == EntryKind::Redeem).then_some(now);
    let deltas = (earned, redeemed);
    let Some(member) = members::debit_available(tx, member_id, points, deltas, activity, now)?
    else {
        return Err(refusal(&members::find(tx, member_id)?, points));
    };
    let mut batch = Batch::default();
    let entry = write_entry(
        tx,
        &mut batch,
        spend.kind,
        &new_entry(
            &member,
            spend.kind,
            -points,
            member.balance_total(),
            &spend.cause,
            now,
        ),
    )?;
    let mut left = points;
    let mut moves = Vec::new();
    for lot in rows::spendable_lots(tx, member.id)? {
        let take = left.min(lot.remaining);
        moves.push((lot.id, -take));
        left -= take;
        if left == 0 {
            break;
        }
    }
    if left > 0 {
        return Err(AppError::Internal(anyhow::anyhow!(
            "member {member_id}: stored balance exceeds its lots by {left}; run `fidelio verify`"
        )));
    }
    link_all(&mut batch, entry.id, &moves, now);
    batch.send(tx)?;
    Ok(Posted { entry, member })
}

/// Why a debit of `points` was refused.
fn refusal(member: &MemberRow, points: i64) -> AppError {
    if member.status.is_closed() {
        return AppError::conflict(ErrorCode::MemberClosed, "the member's account is closed");
    }
    if member.points_debt > 0 {
        return AppError::conflict(
            ErrorCode::NegativeBalance,
            format!(
                "the balance is negative ({}): points cannot be spent until it is positive again",
                -member.points_debt
            ),
        );
    }
    AppError::conflict(
        ErrorCode::InsufficientPoints,
        format!(
            "the member has {} points available; {points} were asked for",
            member.points_available
        ),
    )
}

/// Takes points back from a locked member: from the given lots first (pending or not), then
/// from released lots; what remains becomes a debt when allowed.
pub fn take_back(
    tx: &mut DbConnection,
    member: &MemberRow,
    take: &TakeBack,
    now: NaiveDateTime,
) -> AppResult<Posted> {
    let points = take.points.0;
    debug_assert!(points > 0, "a take-back takes points");
    let mut plan: Vec<(LotRow, i64)> = Vec::new();
    let mut left = points;
    let given = rows::lots_by_id(tx, member.id, &take.lots_first)?;
    let others = if take.only_given_lots {
        Vec::new()
    } else {
        rows::spendable_lots(tx, member.id)?
    };
    for lot in given.into_iter().chain(
        others
            .into_iter()
            .filter(|l| !take.lots_first.contains(&l.id)),
    ) {
        if left == 0 {
            break;
        }
        let amount = left.min(lot.remaining);
        if amount > 0 {
            left -= amount;
            plan.push((lot, amount));
        }
    }
    if left > 0 && !take.allow_debt {
        return Err(AppError::Internal(anyhow::anyhow!(
            "member {}: the lots hold {} points fewer than the {points} to take back",
            member.id,
            left
        )));
    }
    let mut batch = Batch::default();
    let entry = write_entry(
        tx,
        &mut batch,
        take.kind,
        &new_entry(
            member,
            take.kind,
            -points,
            member.balance_total() - points,
            &take.cause,
            now,
        ),
    )?;
    let mut balances = balances_of(member, now);
    let moves: Vec<(i64, i64)> = plan.iter().map(|(lot, amount)| (lot.id, -amount)).collect();
    link_all(&mut batch, entry.id, &moves, now);
    batch.send(tx)?;
    for (lot, amount) in &plan {
        if lot.pending {
            balances.points_pending -= amount;
        } else {
            balances.points_available -= amount;
        }
    }
    if left > 0 {
        rows::insert_debt(tx, entry.id, member.id, left, now)?;
        balances.points_debt += left;
    }
    if take.kind == EntryKind::Reverse {
        balances.lifetime_earned -= points;
    }
    let member = members::set_balances(tx, member.id, &balances)?;
    Ok(Posted { entry, member })
}

/// Gives back what a debit entry took (a cancelled redemption), to exactly the lots it took
/// from, as one `reverse` entry. The caller holds the member's lock and makes sure the debit is
/// given back once.
pub fn restore(
    tx: &mut DbConnection,
    member: &MemberRow,
    debit_entry_id: i64,
    cause: &Cause,
    now: NaiveDateTime,
) -> AppResult<Posted> {
    let taken = rows::links_of_entry(tx, debit_entry_id)?;
    let points: i64 = taken.iter().map(|(_, points)| -points).sum();
    if points <= 0 {
        return Err(AppError::Internal(anyhow::anyhow!(
            "entry {debit_entry_id} took nothing to give back"
        )));
    }
    let cause = Cause {
        reverses_entry_id: Some(debit_entry_id),
        ..cause.clone()
    };
    let mut batch = Batch::default();
    let entry = write_entry(
        tx,
        &mut batch,
        EntryKind::Reverse,
        &new_entry(
            member,
            EntryKind::Reverse,
            points,
            member.balance_total() + points,
            &cause,
            now,
        ),
    )?;
    let moves: Vec<(i64, i64)> = taken.iter().map(|(lot, taken)| (*lot, -taken)).collect();
    link_all(&mut batch, entry.id, &moves, now);
    // Before the debts are settled: they read the lots given back.
    batch.send(tx)?;
    let mut balances = balances_of(member, now);
    let settled = settle_debts(tx, member.id, points.min(member.points_debt), now)?;
    balances.points_available += points - settled;
    balances.points_debt -= settled;
    balances.lifetime_redeemed -= points;
    let member = members::set_balances(tx, member.id, &balances)?;
    Ok(Posted { entry, member })
}
