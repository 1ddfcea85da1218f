//! The engine at the bounds of its numbers: configurations past them are refused naming the
//! field, and the largest configurations allowed compute without overflow, capped at what one
//! event may earn.

use chrono::NaiveDateTime;
use serde_json::{Value, json};

use super::input::EventInput;
use super::member::MemberState;
use super::rule::RuleDefinition;
use super::tests_support::{at, purchase};
use super::{RuleSet, evaluate};
use crate::domain::Currency;
use crate::domain::bounds::{MAX_MONEY, MAX_POINTS};

fn definition(rule: Value) -> RuleDefinition {
    serde_json::from_value(rule).unwrap()
}

/// The field a rule is refused for, or `None` when it compiles.
fn refused_field(rule: Value) -> Option<String> {
    definition(rule)
        .compile(1, "r", 1, "")
        .err()
        .map(|e| e.field)
}

fn rule_with(effect: Value) -> Value {
    json!({"name": "r", "event_type": "purchase", "effects": [effect]})
}

fn set(rules: &[Value]) -> RuleSet {
    let compiled = rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            definition(r.clone())
                .compile(i as i64 + 1, &format!("r{i}"), 1, "")
                .unwrap()
        })
        .collect();
    RuleSet::new(chrono_tz::UTC, compiled)
}

fn now() -> NaiveDateTime {
    at("2026-11-25 12:00")
}

#[test]
fn effects_past_their_bounds_are_refused_naming_the_key() {
    let cases = [
        (json!({"type": "points_per_amount", "rate": "1e28"}), "rate"),
        (
            json!({"type": "points_per_amount", "rate": "1000.01"}),
            "rate",
        ),
        (json!({"type": "points_per_amount", "rate": "-0.5"}), "rate"),
        (
            json!({"type": "points_per_amount", "rate": "1", "per": "0.001"}),
            "per",
        ),
        (
            json!({"type": "points_per_amount", "rate": "1", "per": "1000000000.01"}),
            "per",
        ),
        (
            json!({"type": "fixed_points", "points": MAX_POINTS + 1}),
            "points",
        ),
        (
            json!({"type": "fixed_points", "points": i64::MAX}),
            "points",
        ),
        (json!({"type": "multiplier", "factor": "100.5"}), "factor"),
        (
            json!({"type": "referral_bonus", "referrer_points": i64::MAX, "member_points": 1}),
            "referrer_points",
        ),
        (
            json!({"type": "referral_bonus", "referrer_points": 1, "member_points": i64::MAX}),
            "member_points",
        ),
    ];
    for (effect, key) in cases {
        assert_eq!(
            refused_field(rule_with(effect.clone())),
            Some(format!("effects[0].{key}")),
            "{effect}"
        );
    }
    let largest = [
        json!({"type": "points_per_amount", "rate": "1000", "per": "0.01"}),
        json!({"type": "fixed_points", "points": MAX_POINTS}),
        json!({"type": "multiplier", "factor": "100"}),
        json!({"type": "referral_bonus", "referrer_points": MAX_POINTS, "member_points": MAX_POINTS}),
    ];
    for effect in largest {
        assert_eq!(refused_field(rule_with(effect.clone())), None, "{effect}");
    }
}

#[test]
fn priorities_limits_and_active_windows_past_their_bounds_are_refused() {
    let fixed = json!([{"type": "fixed_points", "points": 1}]);
    let rule = |extra: Value| {
        let mut rule = json!({"name": "r", "event_type": "review", "effects": fixed});
        rule.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        rule
    };
    let cases = [
        (json!({"priority": i32::MIN}), "priority"),
        (json!({"priority": 1_000_001}), "priority"),
        (
            json!({"limits": [{"per": "day", "count": 1_000_001}]}),
            "limits[0].count",
        ),
        (
            json!({"limits": [{"per": "day", "points": i64::MAX}]}),
            "limits[0].points",
        ),
        (
            json!({"active_from": "-200000-01-01T00:00:00Z"}),
            "active_from",
        ),
        (
            json!({"active_until": "+20000-01-01T00:00:00Z"}),
            "active_until",
        ),
    ];
    for (extra, field) in cases {
        assert_eq!(
            refused_field(rule(extra.clone())),
            Some(field.into()),
            "{extra}"
        );
    }
    assert_eq!(
        refused_field(rule(json!({"priority": -1_000_000,
            "limits": [{"per": "lifetime", "count": 1_000_000, "points": 1_000_000_000_000_i64}]}))),
        None
    );
}

#[test]
fn what_an_events_rules_pay_is_capped_at_the_points_of_one_entry() {
    // Twenty rules at the largest rate, each with the largest multiplier: far past an i64
    // and a decimal before the cap.
    let mut rules = vec![json!({"name": "base", "event_type": "purchase",
        "effects": [{"type": "points_per_amount", "rate": "1000", "per": "0.01"}]})];
    for i in 0..20 {
        rules.push(json!({"name": format!("x{i}"), "event_type": "purchase",
            "effects": [{"type": "multiplier", "factor": "100"}, {"type": "tier_multiplier"},
                        {"type": "fixed_points", "points": MAX_POINTS}]}));
    }
    let event = purchase(&MAX_MONEY.to_string(), &[]);
    let outcome = evaluate(&set(&rules), &event, &MemberState::new(1, now()), now());
    assert_eq!(outcome.points, MAX_POINTS);
    assert_eq!(
        outcome.lines.iter().map(|l| l.points).sum::<i64>(),
        MAX_POINTS
    );
    assert_eq!(
        outcome.lines[0].points, MAX_POINTS,
        "the first line fills it"
    );
    assert!(outcome.lines[1..].iter().all(|l| l.points == 0));
    assert!(outcome.lines[1].why.contains("an event earns at most"));
}

#[test]
fn two_fixed_rules_share_the_cap_and_smaller_events_are_untouched() {
    let rules = set(&[
        rule_with(json!({"type": "fixed_points", "points": MAX_POINTS})),
        rule_with(json!({"type": "fixed_points", "points": 7})),
        rule_with(json!({"type": "points_per_amount", "rate": "2"})),
    ]);
    let member = MemberState::new(1, now());
    let outcome = evaluate(&rules, &purchase("10.00", &[]), &member, now());
    assert_eq!(outcome.points, MAX_POINTS);
    let points: Vec<i64> = outcome.lines.iter().map(|l| l.points).collect();
    assert_eq!(points, vec![MAX_POINTS, 0, 0]);
    let small = set(&[
        rule_with(json!({"type": "fixed_points", "points": 7})),
        rule_with(json!({"type": "points_per_amount", "rate": "2"})),
    ]);
    assert_eq!(
        evaluate(&small, &purchase("10.00", &[]), &member, now()).points,
        27
    );
}

fn event_input(body: Value) -> EventInput {
    serde_json::from_value(body).unwrap()
}

/// The field an event is refused for, or `None` when it is valid.
fn event_refused(body: Value) -> Option<String> {
    let usd = Currency::parse("currency", "USD").unwrap();
    let kwd = Currency::parse("currency", "KWD").unwrap();
    let input = event_input(body);
    let (a, b) = (input.validate(&usd, now()), input.validate(&kwd, now()));
    assert_eq!(a.is_ok(), b.is_ok(), "the bounds are in major units");
    a.err().map(|e| e.field)
}

#[test]
fn event_money_and_quantities_past_their_bounds_are_refused_naming_the_field() {
    let purchase = |extra: Value| {
        let mut body = json!({"type": "purchase", "id": "e", "member": "m"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let item =
        |quantity: u32, price: &str| json!({"sku": "s", "quantity": quantity, "unit_price": price});
    let cases = [
        (json!({"amount": "1e28"}), "amount"),
        (json!({"amount": "79228162514264337593543950335"}), "amount"),
        (json!({"amount": "1000000000.01"}), "amount"),
        (json!({"amount": "-0.01"}), "amount"),
        (json!({"amount": "10", "shipping": "1e28"}), "shipping"),
        (
            json!({"amount": "10", "items": [item(1, "1"), item(1, "1"), item(1, "1e28")]}),
            "items[2].unit_price",
        ),
        (
            json!({"amount": "10", "items": [item(1_000_001, "1")]}),
            "items[0].quantity",
        ),
        (
            json!({"amount": "10", "items": [item(0, "1")]}),
            "items[0].quantity",
        ),
        (
            json!({"amount": "10", "items": [item(1_000_000, "1000000000")]}),
            "items[0]",
        ),
        (
            json!({"amount": "10", "items": [item(1, "600000000"), item(1, "600000000")]}),
            "items",
        ),
        (
            json!({"amount": "1", "occurred_at": "-200000-01-01T00:00:00Z"}),
            "occurred_at",
        ),
    ];
    for (extra, field) in cases {
        assert_eq!(
            event_refused(purchase(extra.clone())),
            Some(field.into()),
            "{extra}"
        );
    }
    let largest = purchase(json!({"amount": "1000000000", "shipping": "1000000000",
        "items": [item(1_000_000, "1000"), item(1, "0.0000000000000000000000000001")]}));
    let usd = Currency::parse("currency", "USD").unwrap();
    assert_eq!(
        event_input(largest)
            .validate(&usd, now())
            .unwrap_err()
            .field,
        "items[1].unit_price",
        "more places than the currency has"
    );
    assert_eq!(
        event_refused(purchase(json!({"amount": "1000000000", "shipping": "-0",
            "items": [item(1_000_000, "1000")]}))),
        None
    );
}
