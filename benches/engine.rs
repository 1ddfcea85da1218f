//! How long the pure rules engine takes to decide one event: `engine::evaluate` on the demo
//! programs' rule sets (compiled from `fidelio::tools::demo::*::config().rules`, as the API would)
//! for a few representative events. No database, no HTTP.
//!
//! Run with `cargo bench --bench engine` (a release build). Std only: each case is warmed
//! up, then timed in `ROUNDS` rounds; the table shows the median round and the spread.

use std::hint::black_box;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use fidelio::engine::event::{Event, EventType, Item};
use fidelio::engine::member::{MemberState, TierState, Usage};
use fidelio::engine::period::Period;
use fidelio::engine::rule::RuleDefinition;
use fidelio::engine::{RuleSet, evaluate};
use fidelio::tools::demo::{self, ProgramConfig};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

/// Evaluations before timing, to warm caches and the branch predictor.
const WARM_UP: u32 = 20_000;
/// Timed rounds per case; their median is reported.
const ROUNDS: u32 = 5;
/// Evaluations per timed round (`ROUNDS` x this = 200,000 per case).
const PER_ROUND: u32 = 40_000;

fn main() -> anyhow::Result<()> {
    let programs = [
        ("coffee", demo::coffee::config()),
        ("beauty", demo::beauty::config()),
    ];
    println!(
        "engine::evaluate: {WARM_UP} evaluations of warm-up, then {ROUNDS} rounds of {PER_ROUND} \
         per case; median round (min..max of the rounds)\n"
    );
    println!(
        "| rule set | event | lines | points | ns/eval | µs/eval | evals/s | rounds ns/eval |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    for (name, config) in programs {
        let rules = rule_set(&config).with_context(|| format!("the {name} rules"))?;
        for case in cases(name, &rules)? {
            let timing = time(&rules, &case);
            let outcome = evaluate(&rules, &case.event, &case.member, now());
            println!(
                "| {name} | {} | {} | {} | {:.0} | {:.3} | {:.0} | {:.0}..{:.0} |",
                case.name,
                outcome.lines.len(),
                outcome.points,
                timing.median_ns,
                timing.median_ns / 1000.0,
                1e9 / timing.median_ns,
                timing.min_ns,
                timing.max_ns,
            );
        }
    }
    Ok(())
}

/// The program's rules compiled as the API stores them: the `slug` key taken out of each
/// body and the rest read as a `RuleDefinition` (as `fidelio::rules::NewRule::from_json`).
fn rule_set(config: &ProgramConfig) -> anyhow::Result<RuleSet> {
    let time_zone: Tz = config.program["time_zone"]
        .as_str()
        .context("no time_zone")?
        .parse()
        .map_err(|e| anyhow!("time_zone: {e}"))?;
    let mut compiled = Vec::new();
    for (i, body) in config.rules.iter().enumerate() {
        let mut body = body.clone();
        let slug = match body.as_object_mut().and_then(|o| o.remove("slug")) {
            Some(Value::String(slug)) => slug,
            _ => anyhow::bail!("rule {i} has no slug"),
        };
        let definition: RuleDefinition =
            serde_json::from_value(body).with_context(|| format!("rule `{slug}`"))?;
        let id = i64::try_from(i)? + 1;
        let rule = definition
            .compile(id, &slug, 1, "")
            .map_err(|e| anyhow!("rule `{slug}`: {e}"))?;
        compiled.push(rule);
    }
    Ok(RuleSet::new(time_zone, compiled))
}

/// One event to decide for one member.
struct Case {
    name: &'static str,
    event: Event,
    member: MemberState,
}

/// The representative events: a plain purchase with items (a basket of the program's shop),
/// a stored-value purchase in a reusable cup, a review and a signup; members with some
/// history.
fn cases(program: &str, rules: &RuleSet) -> anyhow::Result<Vec<Case>> {
    let (items, amount) = if program == "coffee" {
        let items = vec![
            item("latte", "coffee", 2, "4.75")?,
            item("croissant", "food", 1, "3.40")?,
            item("ipa", "alcohol", 1, "7.00")?,
        ];
        (items, "19.90")
    } else {
        let items = vec![
            item("serum", "skincare", 1, "45.00")?,
            item("lipstick", "makeup", 1, "22.00")?,
            item("gift-card", "gift_card", 1, "25.00")?,
        ];
        (items, "92.00")
    };
    let plain = Event {
        amount: Some(money(amount)?),
        payment: Some("card".into()),
        channel: Some("store".into()),
        items,
        ..event(EventType::Purchase)
    };
    let mut cup = Map::new();
    cup.insert("reusable_cup".into(), json!(true));
    let stored_value_cup = Event {
        payment: Some("stored_value".into()),
        properties: cup,
        ..plain.clone()
    };
    let regular = member(rules, 2)?;
    Ok(vec![
        Case {
            name: "purchase, 3 items",
            event: plain,
            member: regular.clone(),
        },
        Case {
            name: "purchase, stored value + reusable cup",
            event: stored_value_cup,
            member: regular.clone(),
        },
        Case {
            name: "review",
            event: event(EventType::Review),
            member: regular,
        },
        Case {
            name: "signup",
            event: event(EventType::Signup),
            member: MemberState::new(2, at(2026, 6, 1)?),
        },
    ])
}

/// A Gold member with a few events behind it, who has used every limited rule `uses` times
/// in the current windows.
fn member(rules: &RuleSet, uses: i64) -> anyhow::Result<MemberState> {
    let mut member = MemberState::new(1, at(2025, 3, 1)?);
    member.email = Some("ana@example.com".into());
    member.tier = Some(TierState {
        name: "Gold".into(),
        multiplier: money("1.2")?,
    });
    member.lifetime_earned = 840;
    for (kind, count) in [("purchase", 57), ("review", 4), ("signup", 0)] {
        member.event_counts.insert(kind.into(), count);
    }
    for rule in rules.rules() {
        for period in rule.limited_periods() {
            let usage = Usage {
                count: if period == Period::Lifetime { 0 } else { uses },
                points: 10 * uses,
            };
            member.usage.insert((rule.id, period), usage);
        }
    }
    Ok(member)
}

fn event(kind: EventType) -> Event {
    Event {
        id: "bench-1".into(),
        kind,
        occurred_at: now(),
        amount: None,
        currency: "USD".into(),
        shipping: None,
        items: Vec::new(),
        channel: None,
        payment: None,
        order_id: None,
        properties: Map::new(),
    }
}

fn item(sku: &str, category: &str, quantity: u32, price: &str) -> anyhow::Result<Item> {
    Ok(Item {
        sku: sku.into(),
        category: Some(category.into()),
        quantity,
        unit_price: money(price)?,
    })
}

fn money(text: &str) -> anyhow::Result<Decimal> {
    text.parse()
        .with_context(|| format!("{text} is not a decimal"))
}

fn at(year: i32, month: u32, day: u32) -> anyhow::Result<NaiveDateTime> {
    NaiveDate::from_ymd_opt(year, month, day)
        .and_then(|d| d.and_hms_opt(15, 30, 0))
        .context("not a date")
}

/// 2026-06-10 15:30 UTC: a weekday afternoon in both programs' time zones.
fn now() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 6, 10)
        .and_then(|d| d.and_hms_opt(15, 30, 0))
        .unwrap_or_default()
}

/// Nanoseconds per evaluation: the median, fastest and slowest round.
struct Timing {
    median_ns: f64,
    min_ns: f64,
    max_ns: f64,
}

fn time(rules: &RuleSet, case: &Case) -> Timing {
    let at = now();
    let run = |n: u32| -> Duration {
        let start = Instant::now();
        for _ in 0..n {
            black_box(evaluate(
                black_box(rules),
                black_box(&case.event),
                black_box(&case.member),
                black_box(at),
            ));
        }
        start.elapsed()
    };
    run(WARM_UP);
    let mut rounds: Vec<f64> = (0..ROUNDS)
        .map(|_| run(PER_ROUND).as_nanos() as f64 / f64::from(PER_ROUND))
        .collect();
    rounds.sort_by(f64::total_cmp);
    Timing {
        median_ns: rounds[rounds.len() / 2],
        min_ns: rounds[0],
        max_ns: rounds[rounds.len() - 1],
    }
}
