//! Leaderboard scores, kept at event time in the event's transaction: raised by what each
//! event earns (and by what it pays a referrer), lowered by refunds in the period of the
//! purchase they refund.

use chrono::NaiveDateTime;

use super::play::GameEvent;
use crate::db::DbConnection;
use crate::db::models::events::EventRow;
use crate::db::models::leaderboards as score_rows;
use crate::engine::activity::Play;
use crate::engine::condition::Facts;
use crate::engine::game::GameConfig;
use crate::engine::leaderboards::CompiledMetric;
use crate::engine::member::MemberState;
use crate::engine::period;
use crate::error::AppResult;
use crate::events::input::EventInput;
use crate::programs::Program;

/// Raises the member's leaderboard scores by what the event adds; `points` is every point
/// the event earned the member.
pub(super) fn raise(
    tx: &mut DbConnection,
    game: &GameEvent<'_>,
    member_id: i64,
    points: i64,
) -> AppResult<()> {
    let play = game.play();
    for board in game
        .config
        .leaderboards
        .iter()
        .filter(|b| b.scores(&game.event.kind))
    {
        let delta = board.delta(&play, points);
        if delta <= 0 {
            continue;
        }
        let Some(period) = board.period_at(game.program.time_zone, game.event.occurred_at) else {
            continue;
        };
        score_rows::raise(
            tx,
            board.id,
            &period.key,
            member_id,
            delta,
            game.event_id,
            game.now,
        )?;
    }
    Ok(())
}

/// Points paid to a referrer count on its points-earned leaderboards, in the period of the
/// event that paid them.
pub(super) fn raise_referrer(
    tx: &mut DbConnection,
    game: &GameEvent<'_>,
    referrer: i64,
    points: i64,
) -> AppResult<()> {
    for board in &game.config.leaderboards {
        if !matches!(board.metric, CompiledMetric::PointsEarned) || points <= 0 {
            continue;
        }
        let Some(period) = board.period_at(game.program.time_zone, game.event.occurred_at) else {
            continue;
        };
        score_rows::raise(
            tx,
            board.id,
            &period.key,
            referrer,
            points,
            game.event_id,
            game.now,
        )?;
    }
    Ok(())
}

/// What a refund took back from a purchase, for leaderboards.
pub struct RefundTaken<'a> {
    pub member_id: i64,
    /// The refunded purchase, as it was before this refund.
    pub purchase: &'a EventRow,
    /// Money refunded of the purchase so far, this refund included (minor units).
    pub refunded_after: i64,
    /// Points this refund took back.
    pub points: i64,
}

/// A refund lowers points-earned and spend scores in the period of the purchase it refunds
/// (spend by the share of the purchase it returns). Badges and challenge progress stay as
/// earned.
pub fn after_refund(
    tx: &mut DbConnection,
    program: &Program,
    config: &GameConfig,
    refund: &RefundTaken<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let purchase = refund.purchase;
    let amount = purchase.amount_minor.unwrap_or(0);
    let share = |total: i64, refunded: i64| -> i64 {
        if amount <= 0 || refunded >= amount {
            return total;
        }
        i64::try_from(i128::from(total) * i128::from(refunded) / i128::from(amount))
            .unwrap_or(total)
    };
    let posted = serde_json::from_str::<EventInput>(&purchase.payload)
        .ok()
        .and_then(|input| input.validate(&program.currency, purchase.received_at).ok());
    let state = MemberState::new(refund.member_id, purchase.occurred_at);
    for board in &config.leaderboards {
        let delta = match (&board.metric, &posted) {
            (CompiledMetric::PointsEarned, _) => refund.points,
            (CompiledMetric::Spend(items), Some(event)) => {
                let play = Play {
                    facts: Facts {
                        event,
                        member: &state,
                        local_time: period::local(program.time_zone, purchase.occurred_at),
                    },
                    rewarded: true,
                    exponent: program.currency.exponent,
                };
                let spend = play.spend(items);
                share(spend, refund.refunded_after) - share(spend, purchase.refunded_minor)
            }
            _ => 0,
        };
        if delta <= 0 {
            continue;
        }
        let Some(period) = board.period_at(program.time_zone, purchase.occurred_at) else {
            continue;
        };
        score_rows::lower(tx, board.id, &period.key, refund.member_id, delta, now)?;
    }
    Ok(())
}
