//! Tiers as the product uses them: a member's standing read from its row, the measures the
//! decisions need, upgrades after activity, holds ending, admins setting a level by hand.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::RunQueryDsl;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::DbConnection;
use crate::db::models::jobs;
use crate::db::models::members::MemberRow;
use crate::db::models::stats::{self, Delta};
use crate::db::models::tiers::{
    self as rows, Calendar, NewTierChange, Spans, StandingColumns, Sums,
};
use crate::engine::member::TierState;
use crate::engine::period;
use crate::engine::plan::{TierStart, after_reversal};
use crate::engine::tiers::{self as engine, Change, Level, Measures, Metric, Standing, TierPolicy};
use crate::error::{AppError, AppResult, ErrorCode};
use crate::programs::Program;
use crate::rewards::{
    self,
    redeem::{Gift, Source, Voucher},
};

/// A member's standing on the program's ladder (the first level if it has none recorded, or
/// one the ladder no longer has).
pub fn standing(policy: &TierPolicy, member: &MemberRow) -> Standing {
    let level = policy.index_of(member.tier.as_deref());
    Standing {
        level,
        since: member.tier_since.unwrap_or(member.enrolled_at),
        held_until: if level == 0 {
            None
        } else {
            member.tier_held_until
        },
        qualified_at: member.tier_qualified_at.unwrap_or(member.enrolled_at),
    }
}

/// The member's tier as earning rules see it.
pub fn tier_state(program: &Program, member: &MemberRow) -> Option<TierState> {
    let policy = program.tiers.as_ref()?;
    let level = &policy.levels[standing(policy, member).level];
    Some(TierState {
        name: level.name.clone(),
        multiplier: level.multiplier,
    })
}

/// The metric totals at `at`, in the metric's unit (points, or money).
pub fn measures(
    conn: &mut DbConnection,
    program: &Program,
    policy: &TierPolicy,
    member: &MemberRow,
    at: NaiveDateTime,
) -> AppResult<Measures> {
    Ok(start(conn, program, policy, member, at)?.measures)
}

/// The member's standing and the metric totals at `at` (and after it), in one statement.
pub fn start(
    conn: &mut DbConnection,
    program: &Program,
    policy: &TierPolicy,
    member: &MemberRow,
    at: NaiveDateTime,
) -> AppResult<TierStart> {
    let sums = rows::sums(conn, member.id, &spans(program, policy, member, at))?;
    Ok(start_from(program, policy, member, &sums))
}

/// The spans a member's tier measures at `at` add up.
pub fn spans(
    program: &Program,
    policy: &TierPolicy,
    member: &MemberRow,
    at: NaiveDateTime,
) -> Spans {
    let calendar = calendar(program, policy, at);
    let renews = policy.window.renews_holds();
    Spans {
        window_from: calendar.window_from,
        qualified_at: renews.then(|| standing(policy, member).qualified_at),
        last_year: calendar.last_year,
        after: renews.then_some(at),
    }
}

/// The spans at `at` that are the same for every member: the window and the last calendar
/// year, in program time.
pub fn calendar(program: &Program, policy: &TierPolicy, at: NaiveDateTime) -> Calendar {
    let tz = program.time_zone;
    let year = period::local(tz, at).year();
    let year_start = |y: i32| {
        NaiveDate::from_ymd_opt(y, 1, 1)
            .map_or_else(crate::db::earliest, |d| period::start_of_day(tz, d))
    };
    Calendar {
        window_from: engine::window_start(policy.window, tz, at)
            .unwrap_or_else(crate::db::earliest),
        last_year: policy
            .window
            .looks_at_last_year()
            .then(|| (year_start(year - 1), year_start(year))),
        since_qualified: policy.window.renews_holds(),
    }
}

/// The member's standing and measures, from the sums over its [`spans`].
pub fn start_from(
    program: &Program,
    policy: &TierPolicy,
    member: &MemberRow,
    sums: &Sums,
) -> TierStart {
    let unit = |value: i64| match policy.metric {
        Metric::PointsEarned => Decimal::from(value),
        Metric::QualifyingSpend { .. } => program.currency.from_minor(value),
    };
    TierStart {
        standing: standing(policy, member),
        measures: Measures {
            window: unit(sums.in_window),
            since_qualified: unit(sums.since_qualified),
            last_year: unit(sums.last_year),
        },
        after: unit(sums.after),
    }
}

/// A change of level, as event outcomes report it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TierOutcome {
    /// The level after the event.
    pub name: String,
    /// Whether the event changed the level.
    pub changed: bool,
    /// The level before, when it changed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// When the level's hold ends, if it can be lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<chrono::DateTime<chrono::Utc>>,
    /// The last day (program time) the level is held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_through: Option<NaiveDate>,
    /// The voucher the new level gives, when it gives one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reward: Option<Voucher>,
}

/// The last local day before `until`.
fn last_day(program: &Program, until: NaiveDateTime) -> NaiveDate {
    period::local(program.time_zone, until - chrono::Duration::seconds(1)).date()
}

/// Who or what changed a level.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChangeCause {
    pub event_id: Option<i64>,
    pub admin_id: Option<i64>,
}

/// What a tier history row says: the kind of change (`upgrade`, `downgrade`, `manual`), why,
/// and who or what caused it.
pub struct ChangeNote<'a> {
    pub change: &'a str,
    pub reason: &'a str,
    pub cause: ChangeCause,
}

/// Writes a new standing and, when the level changed (or an admin set it), the history row.
/// Reaching a level with a `reward_on_reach` gives the member a voucher of it; returned.
pub fn write_standing(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    new: &Standing,
    note: &ChangeNote<'_>,
    now: NaiveDateTime,
) -> AppResult<Option<Voucher>> {
    let Some(policy) = &program.tiers else {
        return Ok(None);
    };
    let before = standing(policy, member).level;
    write_move(tx, program, member, before, new, note, now)?;
    if new.level > before {
        return reward_on_reach(tx, program, member, &policy.levels[new.level], now);
    }
    Ok(None)
}

/// Writes a member's new standing, counts an upgrade or downgrade in the analytics, and
/// records the change in the history when the level changed (or an admin set it).
pub fn write_move(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    before: usize,
    new: &Standing,
    note: &ChangeNote<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let Some(policy) = &program.tiers else {
        return Ok(());
    };
    let ChangeNote {
        change,
        reason,
        cause,
    } = *note;
    let name = &policy.levels[new.level].name;
    rows::set_standing(
        tx,
        member.id,
        &StandingColumns {
            tier: Some(name),
            tier_since: Some(new.since),
            tier_held_until: new.held_until,
            tier_qualified_at: Some(new.qualified_at),
        },
    )?;
    let delta = match new.level.cmp(&before) {
        std::cmp::Ordering::Greater => Delta {
            tier_upgrades: 1,
            ..Delta::default()
        },
        std::cmp::Ordering::Less => Delta {
            tier_downgrades: 1,
            ..Delta::default()
        },
        std::cmp::Ordering::Equal => Delta::default(),
    };
    stats::add(tx, member.program_id, now, &delta)?;
    if policy.levels[before].points_never_expire && !policy.levels[new.level].points_never_expire {
        keep_lots_a_full_term(tx, program, member.id, now)?;
    }
    if before != new.level || change == "manual" {
        rows::add_change(
            tx,
            &NewTierChange {
                member_id: member.id,
                from_tier: Some(policy.levels[before].name.as_str()),
                to_tier: name,
                change,
                reason,
                held_until: new.held_until,
                event_id: cause.event_id,
                admin_id: cause.admin_id,
                created_at: now,
            },
        )?;
    }
    Ok(())
}

/// A member who loses a level that kept its points from expiring (a hold ending, an admin
/// setting a lower level) gets a full term for the lots it kept, counted from now, instead of
/// losing at once every lot past its date.
fn keep_lots_a_full_term(
    tx: &mut DbConnection,
    program: &Program,
    member_id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    if let Some(term) = program.expiry.lot_expiry(program.time_zone, now) {
        jobs::postpone_expiry(tx, member_id, term)?;
    }
    Ok(())
}

/// The voucher a level gives those who reach it, unless the reward is missing or out of stock.
fn reward_on_reach(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    level: &Level,
    now: NaiveDateTime,
) -> AppResult<Option<Voucher>> {
    let Some(slug) = &level.reward_on_reach else {
        return Ok(None);
    };
    Ok(
        match rewards::redeem::gift_named(tx, program, member, slug, Source::Tier, None, now)? {
            Gift::Issued(voucher) => Some(*voucher),
            Gift::Unavailable => None,
            Gift::Missing => {
                tracing::warn!(program = %program.slug, reward = %slug, level = %level.name, "a level's reward is not in the catalogue");
                None
            }
        },
    )
}

/// Records qualifying activity of a member and applies an upgrade or renewal it earns.
pub fn after_activity(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    amount: i64,
    at: NaiveDateTime,
    cause: ChangeCause,
) -> AppResult<Option<TierOutcome>> {
    let Some(policy) = &program.tiers else {
        return Ok(None);
    };
    if amount != 0 {
        for write in rows::add_activity(member.id, &[(at, amount)], cause.event_id) {
            write.execute(tx)?;
        }
    }
    let before = standing(policy, member);
    let measures = measures(tx, program, policy, member, at)?;
    let decision = if amount > 0 {
        engine::after_activity(policy, &before, &measures, program.time_zone, at)
    } else {
        after_reversal(policy, &before, &measures, program.time_zone, at)
            .map(|s| (s, Change::Renewal))
    };
    let (now_standing, changed, reward) = match decision {
        Some((new, change)) => {
            let reason = match change {
                Change::Upgrade => format!(
                    "reached {} {}",
                    measures.window.normalize(),
                    unit_name(policy, program)
                ),
                _ => "hold renewed".to_owned(),
            };
            let note = ChangeNote {
                change: "upgrade",
                reason: &reason,
                cause,
            };
            let voucher = write_standing(tx, program, member, &new, &note, at)?;
            let changed = new.level != before.level;
            (new, changed, voucher)
        }
        None => (before.clone(), false, None),
    };
    Ok(Some(TierOutcome {
        name: policy.levels[now_standing.level].name.clone(),
        changed,
        previous: changed.then(|| policy.levels[before.level].name.clone()),
        held_until: now_standing.held_until.map(|t| t.and_utc()),
        held_through: now_standing.held_until.map(|t| last_day(program, t)),
        reward,
    }))
}

fn unit_name(policy: &TierPolicy, program: &Program) -> String {
    match policy.metric {
        Metric::PointsEarned => program.point_name.clone(),
        Metric::QualifyingSpend { .. } => format!("{} qualifying spend", program.currency.code),
    }
}

/// A level an admin sets by hand.
pub struct ManualTier<'a> {
    pub tier: &'a str,
    pub reason: &'a str,
    /// Until when it is held; by default a full window from now.
    pub held_until: Option<NaiveDateTime>,
    pub admin_id: i64,
}

/// Sets a member's level by hand.
pub fn set_by_admin(
    tx: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    manual: &ManualTier<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let ManualTier {
        tier,
        reason,
        held_until,
        admin_id,
    } = *manual;
    let policy = program
        .tiers
        .as_ref()
        .ok_or_else(|| AppError::conflict(ErrorCode::NoTiers, "this program has no tiers"))?;
    let (level, _) = policy.level(tier).ok_or_else(|| {
        let names: Vec<&str> = policy.levels.iter().map(|l| l.name.as_str()).collect();
        AppError::invalid(
            "tier",
            format!("tier: `{tier}` is not one of {}", names.join(", ")),
        )
    })?;
    let held_until = if level == 0 {
        None
    } else {
        held_until.or_else(|| engine::hold_end(policy.window, program.time_zone, now))
    };
    let new = Standing {
        level,
        since: now,
        held_until,
        qualified_at: now,
    };
    let note = ChangeNote {
        change: "manual",
        reason,
        cause: ChangeCause {
            admin_id: Some(admin_id),
            event_id: None,
        },
    };
    write_standing(tx, program, member, &new, &note, now).map(drop)
}

/// The tier as members see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierView {
    pub name: String,
    pub since: chrono::DateTime<chrono::Utc>,
    /// When the level must be earned again by (absent for the first level).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_until: Option<chrono::DateTime<chrono::Utc>>,
    /// The last day (program time) the level is held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_through: Option<NaiveDate>,
    #[schema(value_type = String)]
    pub multiplier: Decimal,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub benefits: Vec<String>,
    /// The metric so far in the current window: points (a number) or money (a decimal string).
    #[schema(value_type = Object)]
    pub progress: serde_json::Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<NextTier>,
}

/// The next level and what is missing to reach it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextTier {
    pub name: String,
    /// Points (a number) or money (a decimal string) still needed.
    #[schema(value_type = Object)]
    pub remaining: serde_json::Value,
    /// The same, as a sentence: `37 Stars to Gold`, `120.00 more spend to VIB`.
    pub summary: String,
}

/// The member's tier with progress, if the program has tiers.
pub fn view(
    conn: &mut DbConnection,
    program: &Program,
    member: &MemberRow,
    now: NaiveDateTime,
) -> AppResult<Option<TierView>> {
    let Some(policy) = &program.tiers else {
        return Ok(None);
    };
    let sums = rows::sums(conn, member.id, &spans(program, policy, member, now))?;
    Ok(view_of(program, member, &sums))
}

/// The member's tier with progress, from the sums over its spans now (see [`calendar`]).
pub fn view_of(program: &Program, member: &MemberRow, sums: &Sums) -> Option<TierView> {
    let policy = program.tiers.as_ref()?;
    let standing = standing(policy, member);
    let measures = start_from(program, policy, member, sums).measures;
    let level = &policy.levels[standing.level];
    let amount = |value: Decimal| match policy.metric {
        Metric::PointsEarned => serde_json::json!(i64::try_from(value.floor()).unwrap_or(0)),
        Metric::QualifyingSpend { .. } => serde_json::json!(program.currency.format(value)),
    };
    let next = engine::next_level(policy, &standing, &measures).map(|(next, remaining)| {
        let summary = match policy.metric {
            Metric::PointsEarned => format!(
                "{} {} to {}",
                remaining.floor(),
                program.point_name,
                next.name
            ),
            Metric::QualifyingSpend { .. } => {
                format!(
                    "{} more spend to {}",
                    program.currency.format(remaining),
                    next.name
                )
            }
        };
        NextTier {
            name: next.name.clone(),
            remaining: amount(remaining),
            summary,
        }
    });
    Some(TierView {
        name: level.name.clone(),
        since: standing.since.and_utc(),
        held_until: standing.held_until.map(|t| t.and_utc()),
        held_through: standing.held_until.map(|t| last_day(program, t)),
        multiplier: level.multiplier,
        benefits: level.benefits.clone(),
        progress: amount(measures.window),
        next,
    })
}
