//! Loading, up front and in a bounded number of statements, everything the plan of an event
//! needs: the member's rule usage and event counts, its referrer (locked when the event may pay
//! it), its game state, its tier measures, and for a refund the refunded purchase and its lots.

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::models::events as event_rows;
use crate::db::models::game_state::{self as state_rows, Wanted};
use crate::db::models::ledger as ledger_rows;
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::engine::RuleSet;
use crate::engine::badges::Progress;
use crate::engine::challenges::ChallengeProgress;
use crate::engine::event::{Event, EventType};
use crate::engine::game::{self, GameConfig, MemberGame, Needs};
use crate::engine::member::MemberState;
use crate::engine::period::{self, Period};
use crate::engine::plan::{
    Loaded, LoadedReferrer, LoadedRefund, Months, ReferralLink, RefundedPurchase,
};
use crate::engine::refund::RefundablePurchase;
use crate::engine::streaks::StreakState;
use crate::engine::tiers::Metric;
use crate::error::AppResult;
use crate::members;
use crate::programs::Program;
use crate::{rules, tiers};

use super::input::EventInput;

/// The program's compiled configuration, as the loader and the plan use it.
pub struct Compiled<'a> {
    pub rules: &'a RuleSet,
    pub game: &'a GameConfig,
}

/// Everything the plan of `event` needs to know of the (locked) `member`, and the locked row
/// of its referrer when the event may pay it.
pub fn load(
    tx: &mut DbConnection,
    program: &Program,
    compiled: &Compiled<'_>,
    member: &MemberRow,
    event: &Event,
    now: NaiveDateTime,
) -> AppResult<(Loaded, Option<MemberRow>)> {
    let currency = &program.currency;
    let refund = event.kind == EventType::Refund;
    let suspended = !member.status.may_earn();
    let mut loaded = Loaded {
        external_id: member.external_id.clone(),
        state: MemberState::new(member.id, member.enrolled_at),
        suspended,
        game: MemberGame::default(),
        tier: None,
        referrer: None,
        link: None,
        refund: None,
        merchandise_minor: currency.to_minor("amount", event.merchandise())?,
        qualifying_minor: None,
        months: months(program, member, event),
    };
    let mut referrer_row = None;
    if refund || !suspended {
        loaded.tier = match &program.tiers {
            Some(policy) => Some(tiers::start(
                tx,
                program,
                policy,
                member,
                event.occurred_at,
            )?),
            None => None,
        };
    }
    if refund {
        loaded.refund = Some(refunded_purchase(tx, program, member, event)?);
        return Ok((loaded, None));
    }
    if suspended {
        return Ok((loaded, None));
    }
    let pays_referrer =
        member.referred_by.is_some() && compiled.rules.may_pay_referrer(&event.kind);
    if let Some(id) = member.referred_by {
        referrer_row = Some(if pays_referrer {
            member_rows::lock(tx, id)?
        } else {
            member_rows::find(tx, id)?
        });
    }
    loaded.state = rules::member_state(
        tx,
        program,
        member,
        compiled.rules,
        event,
        referrer_row.clone().map(rules::referrer),
    )?;
    loaded.game = member_game(tx, program, compiled.game, member, event, &loaded.state)?;
    if let Some(row) = referrer_row.as_ref().filter(|_| pays_referrer) {
        loaded.referrer = Some(load_referrer(tx, program, compiled.game, row, now)?);
    }
    if event.kind == EventType::Referral {
        loaded.link = Some(referral_link(tx, member, event)?);
    }
    Ok((loaded, referrer_row.filter(|_| pays_referrer)))
}

/// What the member has of the game, as far as the event (and a tier it may reach) can touch
/// it, in one statement.
fn member_game(
    tx: &mut DbConnection,
    program: &Program,
    config: &GameConfig,
    member: &MemberRow,
    event: &Event,
    state: &MemberState,
) -> AppResult<MemberGame> {
    if config.is_empty() || event.kind == EventType::Refund {
        return Ok(MemberGame::default());
    }
    let play = crate::engine::activity::Play {
        facts: crate::engine::condition::Facts {
            event,
            member: state,
            local_time: period::local(program.time_zone, event.occurred_at),
        },
        // Whether the rules pay only narrows what the game counts: read as if they do.
        rewarded: true,
        exponent: program.currency.exponent,
    };
    let needs = config.needs(&play);
    let tier_badges = program.tiers.is_some()
        && config
            .badges
            .iter()
            .any(|b| matches!(b.progress, Progress::Tier));
    read_game(tx, member.id, &needs, needs.held || tier_badges)
}

/// Reads the parts of a member's game state that `needs` names (badge levels when `held`).
fn read_game(
    tx: &mut DbConnection,
    member_id: i64,
    needs: &Needs,
    held: bool,
) -> AppResult<MemberGame> {
    let windows: Vec<(i64, &str)> = needs
        .challenges
        .iter()
        .map(|(id, window)| (*id, window.key.as_str()))
        .collect();
    let wanted = Wanted {
        held,
        counters: !needs.counters.is_empty(),
        streaks: !needs.streaks.is_empty(),
        challenges: &windows,
    };
    let mut state = MemberGame::default();
    for row in state_rows::read(tx, member_id, &wanted)? {
        match row.part.as_str() {
            "held" => {
                let level = i32::try_from(row.a).unwrap_or(i32::MAX);
                state.held.entry(row.id).or_default().insert(level);
            }
            "counter" => {
                state.counters.insert(row.id, row.a);
            }
            "streak" => {
                let streak = StreakState {
                    current: i32::try_from(row.a).unwrap_or(i32::MAX),
                    longest: i32::try_from(row.b).unwrap_or(i32::MAX),
                    last: row.day,
                };
                state.streaks.insert(row.id, streak);
            }
            _ => {
                let progress = ChallengeProgress {
                    progress: row.a,
                    joined_at: row.at,
                    completed: row.b == 1,
                };
                state.challenges.insert(row.id, progress);
            }
        }
    }
    Ok(state)
}

/// The (locked) referrer's badge levels, referral counters and tier measures now.
fn load_referrer(
    tx: &mut DbConnection,
    program: &Program,
    config: &GameConfig,
    row: &MemberRow,
    now: NaiveDateTime,
) -> AppResult<LoadedReferrer> {
    let referral_badges = game::referral_badges(config);
    let game = if referral_badges.is_empty() {
        MemberGame::default()
    } else {
        let needs = Needs {
            counters: referral_badges,
            ..Needs::default()
        };
        read_game(tx, row.id, &needs, true)?
    };
    let tier = match &program.tiers {
        Some(policy) if matches!(policy.metric, Metric::PointsEarned) => {
            Some(tiers::start(tx, program, policy, row, now)?)
        }
        _ => None,
    };
    Ok(LoadedReferrer {
        id: row.id,
        external_id: row.external_id.clone(),
        game,
        tier,
    })
}

/// A `referral` event's `properties.referral_code`, and the member it names.
fn referral_link(
    tx: &mut DbConnection,
    member: &MemberRow,
    event: &Event,
) -> AppResult<ReferralLink> {
    let code = event
        .properties
        .get("referral_code")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let already = member.referred_by.is_some();
    let referrer = match &code {
        Some(code) if !already => members::referrer_by_code(tx, member, code)?.map(rules::referrer),
        _ => None,
    };
    Ok(ReferralLink {
        code,
        referrer,
        already,
    })
}

/// The purchase a refund names by its `order_id`, with the lots it earned.
fn refunded_purchase(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    event: &Event,
) -> AppResult<LoadedRefund> {
    let order_id = event.order_id.clone().unwrap_or_default();
    let amount_minor = program
        .currency
        .to_minor("amount", event.amount.unwrap_or_default())?;
    let Some(row) = event_rows::purchase_by_order(tx, member.id, &order_id)? else {
        return Ok(LoadedRefund {
            order_id,
            amount_minor,
            purchase: None,
        });
    };
    let earned = ledger_rows::lots_of_event(tx, member.id, row.id)?;
    let posted = serde_json::from_str::<EventInput>(&row.payload)
        .ok()
        .and_then(|input| input.validate(&program.currency, row.received_at).ok());
    let purchase = RefundedPurchase {
        id: row.id,
        before: RefundablePurchase {
            amount: row.amount_minor.unwrap_or(0),
            points_earned: row.points_earned,
            refunded: row.refunded_minor,
            points_reversed: row.points_reversed,
        },
        qualifying_minor: row.qualifying_minor,
        occurred_at: row.occurred_at,
        event: posted,
        lots: earned.iter().map(|(lot, _)| *lot).collect(),
        first_entry: earned.first().map(|(_, entry)| *entry),
    };
    Ok(LoadedRefund {
        order_id,
        amount_minor,
        purchase: Some(purchase),
    })
}

/// The event's month, the one before and the member's enrolment month, in program time.
fn months(program: &Program, member: &MemberRow, event: &Event) -> Months {
    let tz = program.time_zone;
    let local = period::local(tz, event.occurred_at);
    let month = Period::Month.key(local);
    Months {
        month: month.clone(),
        previous: Period::Month.key(
            local
                .checked_sub_months(chrono::Months::new(1))
                .unwrap_or(local),
        ),
        cohort: Period::Month.key(period::local(tz, member.enrolled_at)),
        counted: member
            .last_event_at
            .is_some_and(|last| Period::Month.key(period::local(tz, last)) == month),
    }
}
