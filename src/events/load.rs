//! Loading, up front, everything the plan of an event needs: the member's rule usage, event
//! counts, tier measures and game state in one statement; its referrer (locked when the event
//! may pay it, with what its referral badges and tier need); for a referral, the member its
//! code names; for a refund, the refunded purchase and its lots.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::models::event_state::{self as state_rows, StateRow, Wanted};
use crate::db::models::events as event_rows;
use crate::db::models::ledger as ledger_rows;
use crate::db::models::members::{self as member_rows, MemberRow};
use crate::engine::RuleSet;
use crate::engine::badges::Progress;
use crate::engine::challenges::ChallengeProgress;
use crate::engine::event::{Event, EventType};
use crate::engine::game::{self, GameConfig, MemberGame, Needs};
use crate::engine::input::EventInput;
use crate::engine::member::MemberState;
use crate::engine::period::{self, Period};
use crate::engine::plan::{
    Loaded, LoadedReferrer, LoadedRefund, Months, ReferralLink, RefundedPurchase, TierStart,
};
use crate::engine::refund::RefundablePurchase;
use crate::engine::streaks::StreakState;
use crate::engine::tiers::Metric;
use crate::error::AppResult;
use crate::programs::Program;
use crate::{members, rules, tiers};

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
    if refund {
        if let Some(policy) = &program.tiers {
            loaded.tier = Some(tiers::start(
                tx,
                program,
                policy,
                member,
                event.occurred_at,
            )?);
        }
        loaded.refund = Some(refunded_purchase(tx, program, member, event)?);
        return Ok((loaded, None));
    }
    if suspended {
        return Ok((loaded, None));
    }
    let pays_referrer =
        member.referred_by.is_some() && compiled.rules.may_pay_referrer(&event.kind);
    let referrer_row = match member.referred_by {
        Some(id) if pays_referrer => Some(member_rows::lock(tx, id)?),
        Some(id) => Some(member_rows::find(tx, id)?),
        None => None,
    };
    let windows = rules::usage_windows(compiled.rules, event);
    let usage_keys: Vec<String> = windows.iter().map(|(_, _, key)| key.clone()).collect();
    let needs = if compiled.game.is_empty() {
        Needs::default()
    } else {
        compiled.game.needs_of_kind(&event.kind, event.occurred_at)
    };
    let challenge_keys: Vec<(i64, &str)> = needs
        .challenges
        .iter()
        .map(|(id, window)| (*id, window.key.as_str()))
        .collect();
    let spans = program
        .tiers
        .as_ref()
        .map(|policy| tiers::spans(program, policy, member, event.occurred_at));
    let wanted = Wanted {
        usage: &usage_keys,
        event_counts: true,
        tier: spans.as_ref(),
        held: needs.held || has_tier_badges(program, compiled.game),
        counters: !needs.counters.is_empty(),
        streaks: !needs.streaks.is_empty(),
        challenges: &challenge_keys,
    };
    let rows = state_rows::read(tx, member.id, &wanted)?;
    let usage: Vec<(i64, String, i64, i64)> = rows
        .iter()
        .filter(|r| r.part == "usage")
        .map(|r| (r.id, r.window_key.clone(), r.a, r.b))
        .collect();
    let counts: HashMap<String, i64> = rows
        .iter()
        .filter(|r| r.part == "count")
        .map(|r| (r.window_key.clone(), r.a))
        .collect();
    let referrer = referrer_row.clone().map(rules::referrer);
    loaded.state = rules::state_of(
        program,
        member,
        counts,
        rules::usage_of(windows, &usage),
        referrer,
    );
    loaded.game = game_of(&rows);
    loaded.tier = tier_of(program, member, &rows);
    if let Some(row) = referrer_row.as_ref().filter(|_| pays_referrer) {
        loaded.referrer = Some(load_referrer(tx, program, compiled.game, row, now)?);
    }
    if event.kind == EventType::Referral {
        loaded.link = Some(referral_link(tx, member, event)?);
    }
    Ok((loaded, referrer_row.filter(|_| pays_referrer)))
}

/// Whether badges are earned by reaching tiers (so that an event's upgrade can grant them).
fn has_tier_badges(program: &Program, config: &GameConfig) -> bool {
    program.tiers.is_some()
        && config
            .badges
            .iter()
            .any(|b| matches!(b.progress, Progress::Tier))
}

/// The member's standing and measures, from the tier sums read.
fn tier_of(program: &Program, member: &MemberRow, rows: &[StateRow]) -> Option<TierStart> {
    let policy = program.tiers.as_ref()?;
    Some(tiers::start_from(
        program,
        policy,
        member,
        &state_rows::sums(rows),
    ))
}

/// The game state among the rows read.
fn game_of(rows: &[StateRow]) -> MemberGame {
    let mut state = MemberGame::default();
    for row in rows {
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
            "challenge" => {
                let progress = ChallengeProgress {
                    progress: row.a,
                    joined_at: row.at,
                    completed: row.b == 1,
                };
                state.challenges.insert(row.id, progress);
            }
            _ => {}
        }
    }
    state
}

/// The (locked) referrer's badge levels, referral counters and tier measures now, in one
/// statement.
fn load_referrer(
    tx: &mut DbConnection,
    program: &Program,
    config: &GameConfig,
    row: &MemberRow,
    now: NaiveDateTime,
) -> AppResult<LoadedReferrer> {
    let badges = !game::referral_badges(config).is_empty();
    let spans = program
        .tiers
        .as_ref()
        .filter(|policy| matches!(policy.metric, Metric::PointsEarned))
        .map(|policy| tiers::spans(program, policy, row, now));
    let wanted = Wanted {
        tier: spans.as_ref(),
        held: badges,
        counters: badges,
        ..Wanted::default()
    };
    let rows = state_rows::read(tx, row.id, &wanted)?;
    Ok(LoadedReferrer {
        id: row.id,
        external_id: row.external_id.clone(),
        game: game_of(&rows),
        tier: spans.and_then(|_| tier_of(program, row, &rows)),
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
