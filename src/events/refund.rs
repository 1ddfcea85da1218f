//! Refund events: take back the refunded purchase's points in proportion.

use chrono::NaiveDateTime;

use super::outcome::Reversed;
use crate::db::DbConnection;
use crate::db::models::events::{self as event_rows, EventRow};
use crate::db::models::ledger as ledger_rows;
use crate::db::models::members::MemberRow;
use crate::domain::Points;
use crate::engine::event::Event;
use crate::engine::refund::{RefundablePurchase, reversal};
use crate::engine::tiers::Metric;
use crate::error::AppResult;
use crate::ledger::EntryKind;
use crate::ledger::posting::{self, Cause, TakeBack};
use crate::programs::Program;

/// What a refund did.
pub struct Refunded {
    pub member: MemberRow,
    pub reversed: Option<Reversed>,
    /// What it took back from the tier metric (points, or money in minor units).
    pub qualifying: i64,
    pub note: Option<String>,
    /// The refunded purchase as it was before, and the money refunded of it so far (minor
    /// units), for the game layer's leaderboards.
    pub purchase: Option<(EventRow, i64)>,
}

/// Takes back the share of the purchase's points that `event` refunds: from the purchase's own
/// lots first, then from other available points; what was already spent becomes a negative
/// balance.
pub fn apply(
    tx: &mut DbConnection,
    program: &Program,
    member: MemberRow,
    event: &Event,
    refund_id: i64,
    now: NaiveDateTime,
) -> AppResult<Refunded> {
    let currency = &program.currency;
    let order_id = event.order_id.clone().unwrap_or_default();
    let Some(purchase) = event_rows::purchase_by_order(tx, member.id, &order_id)? else {
        let note = format!(
            "no purchase with order_id `{order_id}` is recorded for this member: nothing to reverse"
        );
        return Ok(Refunded {
            member,
            reversed: None,
            qualifying: 0,
            note: Some(note),
            purchase: None,
        });
    };
    let refunded = currency.to_minor("amount", event.amount.unwrap_or_default())?;
    let before = RefundablePurchase {
        amount: purchase.amount_minor.unwrap_or(0),
        points_earned: purchase.points_earned,
        refunded: purchase.refunded_minor,
        points_reversed: purchase.points_reversed,
    };
    let reversal = reversal(&before, refunded);
    event_rows::record_refund(
        tx,
        purchase.id,
        reversal.refunded_total,
        reversal.reversed_total,
    )?;
    let mut member = member;
    if reversal.points > 0 {
        let earned = ledger_rows::lots_of_event(tx, member.id, purchase.id)?;
        let take = TakeBack {
            kind: EntryKind::Reverse,
            points: Points(reversal.points),
            lots_first: earned.iter().map(|(lot, _)| *lot).collect(),
            only_given_lots: false,
            allow_debt: true,
            cause: Cause {
                reason: Some(format!("refund of order {order_id}")),
                order_id: Some(order_id.clone()),
                event_id: Some(refund_id),
                reverses_entry_id: earned.first().map(|(_, entry)| *entry),
                ..Cause::default()
            },
        };
        member = posting::take_back(tx, &member, &take, now)?.member;
    }
    let reversed = Reversed {
        points: reversal.points,
        order_id,
        refunded_total: currency.format_minor(reversal.refunded_total),
    };
    let qualifying = match program.tiers.as_ref().map(|t| &t.metric) {
        Some(Metric::PointsEarned) => reversal.points,
        Some(Metric::QualifyingSpend { .. }) => {
            let spend = purchase.qualifying_minor.unwrap_or(0);
            share(spend, reversal.refunded_total, before.amount)
                - share(spend, before.refunded, before.amount)
        }
        None => 0,
    };
    Ok(Refunded {
        member,
        reversed: Some(reversed),
        qualifying,
        note: None,
        purchase: Some((purchase, reversal.refunded_total)),
    })
}

/// The part of `total` that `refunded` of `amount` stands for.
fn share(total: i64, refunded: i64, amount: i64) -> i64 {
    if amount <= 0 || refunded >= amount {
        return total;
    }
    i64::try_from(i128::from(total) * i128::from(refunded) / i128::from(amount)).unwrap_or(total)
}
