//! The engine on the earning mechanics of both demo programs, and every condition and effect.

use std::str::FromStr;

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::event::{Event, EventType, Item};
use super::member::{MemberState, Referrer, TierState, Usage};
use super::outcome::Outcome;
use super::period::Period;
use super::rule::RuleDefinition;
use super::{RuleSet, evaluate};

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn rules(tz: chrono_tz::Tz, definitions: &[Value]) -> RuleSet {
    let compiled = definitions
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let definition: RuleDefinition = serde_json::from_value(v.clone()).unwrap();
            definition
                .compile(i as i64 + 1, &format!("r{}", i + 1), 1, "")
                .unwrap()
        })
        .collect();
    RuleSet::new(tz, compiled)
}

fn coffee() -> RuleSet {
    rules(
        chrono_tz::America::New_York,
        &[
            json!({"name": "Stars per dollar", "event_type": "purchase", "priority": 100,
                   "effects": [{"type": "points_per_amount", "rate": "1", "items": {"exclude_categories": ["alcohol"]}}]}),
            json!({"name": "Stored value x2", "event_type": "purchase", "priority": 90,
                   "conditions": [{"field": "payment", "op": "eq", "value": "stored_value"}],
                   "effects": [{"type": "multiplier", "factor": "2"}]}),
            json!({"name": "Tier multiplier", "event_type": "purchase", "priority": 80, "effects": [{"type": "tier_multiplier"}]}),
            json!({"name": "Double Star Day", "event_type": "purchase", "priority": 70,
                   "conditions": [{"field": "time.date", "op": "eq", "value": "2026-12-05"}],
                   "effects": [{"type": "multiplier", "factor": "2"}]}),
            json!({"name": "Reusable cup", "event_type": "purchase", "priority": 60,
                   "conditions": [{"field": "properties.reusable_cup", "op": "eq", "value": true}],
                   "effects": [{"type": "multiplier", "factor": "2"}], "limits": [{"per": "day", "count": 3}]}),
        ],
    )
}

fn beauty() -> RuleSet {
    rules(
        chrono_tz::America::Los_Angeles,
        &[
            json!({"name": "Points per dollar", "event_type": "purchase", "priority": 100,
                   "effects": [{"type": "points_per_amount", "rate": "1", "items": {"exclude_categories": ["gift_card"]}}]}),
            json!({"name": "Online return window", "event_type": "purchase", "priority": 90,
                   "conditions": [{"field": "channel", "op": "eq", "value": "online"}],
                   "effects": [{"type": "pending", "days": 14}]}),
            json!({"name": "Sign-up bonus", "event_type": "signup", "effects": [{"type": "fixed_points", "points": 50}],
                   "limits": [{"per": "lifetime", "count": 1}]}),
            json!({"name": "Profile completed", "event_type": "profile_completed", "effects": [{"type": "fixed_points", "points": 50}],
                   "limits": [{"per": "lifetime", "count": 1}]}),
            json!({"name": "Review", "event_type": "review", "effects": [{"type": "fixed_points", "points": 5}],
                   "limits": [{"per": "day", "count": 5}]}),
            json!({"name": "Referral", "event_type": "purchase", "priority": 50,
                   "conditions": [{"field": "merchandise", "op": "gte", "value": "25.00"}],
                   "effects": [{"type": "referral_bonus", "referrer_points": 250, "member_points": 100}],
                   "limits": [{"per": "lifetime", "count": 1}]}),
        ],
    )
}

fn event(kind: EventType, occurred_at: &str) -> Event {
    Event {
        id: "e1".into(),
        kind,
        occurred_at: at(occurred_at),
        amount: None,
        currency: "USD".into(),
        shipping: None,
        items: vec![],
        channel: None,
        payment: None,
        order_id: None,
        properties: serde_json::Map::new(),
    }
}

fn purchase(amount: &str) -> Event {
    Event {
        amount: Some(d(amount)),
        ..event(EventType::Purchase, "2026-06-01 15:00")
    }
}

fn member() -> MemberState {
    MemberState::new(1, at("2026-01-01 00:00"))
}

fn with_tier(name: &str, multiplier: &str) -> MemberState {
    MemberState {
        tier: Some(TierState {
            name: name.into(),
            multiplier: d(multiplier),
        }),
        ..member()
    }
}

fn earn(rules: &RuleSet, event: &Event, member: &MemberState) -> Outcome {
    let outcome = evaluate(rules, event, member, at("2026-06-01 16:00"));
    assert_eq!(
        outcome.lines.iter().map(|l| l.points).sum::<i64>(),
        outcome.points,
        "lines add up"
    );
    outcome
}

#[test]
fn coffee_a_green_member_paying_10_by_card_earns_10() {
    assert_eq!(
        earn(&coffee(), &purchase("10.00"), &with_tier("Green", "1")).points,
        10
    );
}

#[test]
fn coffee_a_gold_member_paying_10_by_card_earns_12() {
    let outcome = earn(&coffee(), &purchase("10.00"), &with_tier("Gold", "1.2"));
    assert_eq!(outcome.points, 12);
    assert_eq!(
        outcome.lines.iter().map(|l| l.points).collect::<Vec<_>>(),
        [10, 2]
    );
    assert!(outcome.lines[1].why.contains("x1.2 for Gold"));
}

#[test]
fn coffee_a_reserve_member_paying_10_with_stored_value_earns_34() {
    let event = Event {
        payment: Some("stored_value".into()),
        ..purchase("10.00")
    };
    let outcome = earn(&coffee(), &event, &with_tier("Reserve", "1.7"));
    assert_eq!(outcome.points, 34);
    assert_eq!(
        outcome.lines.iter().map(|l| l.points).collect::<Vec<_>>(),
        [10, 10, 14]
    );
}

#[test]
fn coffee_alcohol_earns_nothing() {
    let event = Event {
        items: vec![
            Item {
                sku: "latte".into(),
                category: Some("coffee".into()),
                quantity: 2,
                unit_price: d("4.50"),
            },
            Item {
                sku: "wine".into(),
                category: Some("alcohol".into()),
                quantity: 1,
                unit_price: d("12.00"),
            },
        ],
        ..purchase("21.00")
    };
    assert_eq!(earn(&coffee(), &event, &with_tier("Green", "1")).points, 9);
}

#[test]
fn coffee_double_star_day_doubles_on_its_date_in_new_york() {
    let on_the_day = Event {
        occurred_at: at("2026-12-06 04:30"),
        ..purchase("10.00")
    };
    assert_eq!(
        earn(&coffee(), &on_the_day, &with_tier("Green", "1")).points,
        20,
        "23:30 in New York"
    );
    let next_day = Event {
        occurred_at: at("2026-12-06 05:30"),
        ..purchase("10.00")
    };
    assert_eq!(
        earn(&coffee(), &next_day, &with_tier("Green", "1")).points,
        10,
        "00:30 in New York"
    );
}

#[test]
fn coffee_a_reusable_cup_doubles_at_most_three_times_a_day() {
    let mut event = purchase("5.00");
    event.properties.insert("reusable_cup".into(), json!(true));
    let mut member = with_tier("Green", "1");
    let rules = coffee();
    let first = earn(&rules, &event, &member);
    assert_eq!(first.points, 10);
    assert_eq!(first.usage.len(), 1);
    assert_eq!(first.usage[0].key, "2026-06-01");
    member.usage.insert(
        (5, Period::Day),
        Usage {
            count: 3,
            points: 15,
        },
    );
    let fourth = earn(&rules, &event, &member);
    assert_eq!(fourth.points, 5);
    assert!(
        fourth
            .considered
            .iter()
            .any(|c| c.result == "limit_reached")
    );
}

#[test]
fn beauty_gift_cards_and_shipping_earn_nothing() {
    let event = Event {
        shipping: Some(d("5.00")),
        items: vec![
            Item {
                sku: "serum".into(),
                category: Some("skincare".into()),
                quantity: 1,
                unit_price: d("40.00"),
            },
            Item {
                sku: "card".into(),
                category: Some("gift_card".into()),
                quantity: 1,
                unit_price: d("25.00"),
            },
        ],
        ..purchase("70.00")
    };
    assert_eq!(earn(&beauty(), &event, &member()).points, 40);
}

#[test]
fn beauty_online_purchases_are_pending_for_14_days() {
    let online = Event {
        channel: Some("online".into()),
        ..purchase("40.00")
    };
    let outcome = earn(&beauty(), &online, &member());
    assert_eq!(outcome.points, 40);
    assert_eq!(outcome.available_at, at("2026-06-15 15:00"));
    let in_store = Event {
        channel: Some("store".into()),
        ..purchase("40.00")
    };
    assert_eq!(
        earn(&beauty(), &in_store, &member()).available_at,
        at("2026-06-01 16:00")
    );
}

#[test]
fn beauty_six_reviews_in_one_day_earn_25() {
    let rules = beauty();
    let mut member = member();
    let mut total = 0;
    for hour in 10..16 {
        let review = event(EventType::Review, &format!("2026-06-01 {hour}:00"));
        let outcome = earn(&rules, &review, &member);
        total += outcome.points;
        for increment in outcome.usage {
            let usage = member
                .usage
                .entry((increment.rule_id, increment.period))
                .or_default();
            usage.count += 1;
            usage.points += increment.points;
        }
    }
    assert_eq!(total, 25);
}

#[test]
fn beauty_referral_pays_both_sides_on_a_first_purchase_of_25() {
    let rules = beauty();
    let referrer = Referrer {
        id: 9,
        external_id: "ref".into(),
        email: Some("ref@x.io".into()),
        active: true,
    };
    let referred = MemberState {
        email: Some("new@x.io".into()),
        referrer: Some(referrer.clone()),
        ..member()
    };
    let small = earn(&rules, &purchase("20.00"), &referred);
    assert_eq!(small.points, 20);
    assert!(small.referrer_award.is_none());
    let big = earn(&rules, &purchase("30.00"), &referred);
    assert_eq!(big.points, 130);
    let award = big.referrer_award.unwrap();
    assert_eq!((award.member_id, award.points), (9, 250));

    let same_email = MemberState {
        email: Some("REF@x.io".into()),
        referrer: Some(referrer),
        ..member()
    };
    let outcome = earn(&rules, &purchase("30.00"), &same_email);
    assert_eq!(outcome.points, 30);
    assert!(outcome.referrer_award.is_none());
    assert!(
        outcome
            .considered
            .iter()
            .any(|c| c.result == "self_referral")
    );
    let unreferred = earn(&rules, &purchase("30.00"), &member());
    assert!(
        unreferred
            .considered
            .iter()
            .any(|c| c.result == "not_referred")
    );
}

#[test]
fn a_custom_event_pays_once_in_a_lifetime() {
    let rules = beauty();
    let completed = event(
        EventType::Custom("profile_completed".into()),
        "2026-06-01 10:00",
    );
    let mut member = member();
    assert_eq!(earn(&rules, &completed, &member).points, 50);
    member.usage.insert(
        (4, Period::Lifetime),
        Usage {
            count: 1,
            points: 50,
        },
    );
    assert_eq!(earn(&rules, &completed, &member).points, 0);
}

fn one_rule(definition: Value) -> RuleSet {
    rules(chrono_tz::UTC, &[definition])
}

fn holds(condition: Value, event: &Event, member: &MemberState) -> bool {
    let rule = one_rule(
        json!({"name": "t", "event_type": event.kind.as_str(), "conditions": [condition],
                               "effects": [{"type": "fixed_points", "points": 1}]}),
    );
    evaluate(&rule, event, member, event.occurred_at).points == 1
}

#[test]
fn every_condition_field_and_operator_works() {
    let mut e = Event {
        amount: Some(d("30.00")),
        shipping: Some(d("5.00")),
        channel: Some("online".into()),
        payment: Some("card".into()),
        order_id: Some("o-1".into()),
        items: vec![
            Item {
                sku: "a1".into(),
                category: Some("skincare".into()),
                quantity: 2,
                unit_price: d("10.00"),
            },
            Item {
                sku: "b2".into(),
                category: Some("makeup".into()),
                quantity: 1,
                unit_price: d("5.00"),
            },
        ],
        ..event(EventType::Purchase, "2026-03-14 09:30")
    };
    e.properties.insert("rating".into(), json!(4));
    e.properties.insert("source".into(), json!("app"));
    let m = MemberState {
        birthday: Some(NaiveDate::from_ymd_opt(1990, 3, 2).unwrap()),
        lifetime_earned: 120,
        event_counts: [("purchase".to_owned(), 3)].into_iter().collect(),
        referrer: Some(Referrer {
            id: 2,
            external_id: "r".into(),
            email: None,
            active: true,
        }),
        ..with_tier("VIB", "1")
    };
    let cases = [
        (json!({"field": "amount", "op": "gte", "value": "30"}), true),
        (json!({"field": "amount", "op": "gt", "value": 30}), false),
        (
            json!({"field": "merchandise", "op": "eq", "value": "25"}),
            true,
        ),
        (
            json!({"field": "shipping", "op": "lt", "value": "5.01"}),
            true,
        ),
        (
            json!({"field": "amount", "op": "between", "value": ["10", "30"]}),
            true,
        ),
        (
            json!({"field": "currency", "op": "eq", "value": "USD"}),
            true,
        ),
        (
            json!({"field": "channel", "op": "in", "value": ["online", "app"]}),
            true,
        ),
        (
            json!({"field": "payment", "op": "ne", "value": "card"}),
            false,
        ),
        (json!({"field": "order_id", "op": "exists"}), true),
        (
            json!({"field": "items.category", "op": "eq", "value": "makeup"}),
            true,
        ),
        (
            json!({"field": "items.category", "op": "not_in", "value": ["alcohol"]}),
            true,
        ),
        (
            json!({"field": "items.category", "op": "ne", "value": "makeup"}),
            false,
        ),
        (
            json!({"field": "items.sku", "op": "in", "value": ["zz", "a1"]}),
            true,
        ),
        (
            json!({"field": "items.quantity", "op": "gte", "value": 3}),
            true,
        ),
        (json!({"field": "rating", "op": "gte", "value": 4}), true),
        (
            json!({"field": "properties.source", "op": "eq", "value": "app"}),
            true,
        ),
        (
            json!({"field": "properties.missing", "op": "not_exists"}),
            true,
        ),
        (
            json!({"field": "member.tier", "op": "eq", "value": "VIB"}),
            true,
        ),
        (
            json!({"field": "member.days_since_enrolment", "op": "gte", "value": 72}),
            true,
        ),
        (
            json!({"field": "member.birthday_month", "op": "eq", "value": 3}),
            true,
        ),
        (
            json!({"field": "member.is_birthday_month", "op": "eq", "value": true}),
            true,
        ),
        (
            json!({"field": "member.lifetime_earned", "op": "lt", "value": 100}),
            false,
        ),
        (
            json!({"field": "member.referred", "op": "eq", "value": true}),
            true,
        ),
        (
            json!({"field": "member.count.purchase", "op": "eq", "value": 3}),
            true,
        ),
        (
            json!({"field": "member.count.review", "op": "eq", "value": 0}),
            true,
        ),
        (
            json!({"field": "time.date", "op": "between", "value": ["2026-03-01", "2026-03-31"]}),
            true,
        ),
        (
            json!({"field": "time.weekday", "op": "in", "value": ["sat", "sun"]}),
            true,
        ),
        (json!({"field": "time.hour", "op": "lt", "value": 9}), false),
        (json!({"field": "time.month", "op": "eq", "value": 3}), true),
        (json!({"field": "time.day", "op": "eq", "value": 14}), true),
    ];
    for (condition, expected) in cases {
        assert_eq!(holds(condition.clone(), &e, &m), expected, "{condition}");
    }
}

#[test]
fn invalid_conditions_and_effects_are_refused_naming_the_part() {
    let cases = [
        (
            json!({"field": "colour", "op": "eq", "value": "red"}),
            "conditions[0].field",
        ),
        (
            json!({"field": "amount", "op": "gt", "value": "lots"}),
            "conditions[0].value",
        ),
        (
            json!({"field": "channel", "op": "gt", "value": "a"}),
            "conditions[0].op",
        ),
        (
            json!({"field": "time.weekday", "op": "eq", "value": "someday"}),
            "conditions[0].value",
        ),
        (
            json!({"field": "amount", "op": "in", "value": []}),
            "conditions[0].value",
        ),
        (
            json!({"field": "amount", "op": "eq"}),
            "conditions[0].value",
        ),
    ];
    for (condition, field) in cases {
        let definition: RuleDefinition =
            serde_json::from_value(json!({"name": "t", "event_type": "purchase",
            "conditions": [condition], "effects": [{"type": "fixed_points", "points": 1}]}))
            .unwrap();
        match definition.compile(1, "t", 1, "") {
            Err(e) => assert_eq!(e.field, field),
            other => panic!("expected {field} to be refused, got {other:?}"),
        }
    }
    let bad_effects = [
        (
            json!({"type": "multiplier", "factor": "0.5"}),
            "effects[0].factor",
        ),
        (
            json!({"type": "fixed_points", "points": 0}),
            "effects[0].points",
        ),
        (json!({"type": "pending", "days": 0}), "effects[0].days"),
        (
            json!({"type": "points_per_amount", "rate": "-1"}),
            "effects[0].rate",
        ),
    ];
    for (effect, field) in bad_effects {
        let definition: RuleDefinition = serde_json::from_value(
            json!({"name": "t", "event_type": "purchase", "effects": [effect]}),
        )
        .unwrap();
        match definition.compile(1, "t", 1, "") {
            Err(e) => assert_eq!(e.field, field),
            other => panic!("expected {field} to be refused, got {other:?}"),
        }
    }
}

#[test]
fn an_exclusive_rule_stops_lower_priorities() {
    let set = rules(
        chrono_tz::UTC,
        &[
            json!({"name": "VIP day", "event_type": "purchase", "priority": 10, "stacking": "exclusive",
                   "effects": [{"type": "points_per_amount", "rate": "5"}]}),
            json!({"name": "Base", "event_type": "purchase", "effects": [{"type": "points_per_amount", "rate": "1"}]}),
        ],
    );
    let outcome = earn(&set, &purchase("10.00"), &member());
    assert_eq!(outcome.points, 50);
    assert_eq!(outcome.considered[1].result, "excluded");
}

#[test]
fn only_the_best_rule_of_a_group_applies() {
    let set = rules(
        chrono_tz::UTC,
        &[
            json!({"name": "Base", "event_type": "purchase", "effects": [{"type": "points_per_amount", "rate": "1"}]}),
            json!({"name": "x2", "event_type": "purchase", "stacking": "best_of_group", "group": "promo",
                   "effects": [{"type": "multiplier", "factor": "2"}]}),
            json!({"name": "x3", "event_type": "purchase", "stacking": "best_of_group", "group": "promo",
                   "effects": [{"type": "multiplier", "factor": "3"}]}),
        ],
    );
    let outcome = earn(&set, &purchase("10.00"), &member());
    assert_eq!(outcome.points, 30);
    assert!(
        outcome
            .considered
            .iter()
            .any(|c| c.rule.rule == "r2" && c.result == "outdone")
    );
}

#[test]
fn a_rule_outside_its_active_window_does_not_fire() {
    let set = one_rule(json!({"name": "Launch week", "event_type": "purchase",
        "active_from": "2026-06-01T00:00:00Z", "active_until": "2026-06-08T00:00:00Z",
        "effects": [{"type": "fixed_points", "points": 100}]}));
    assert_eq!(earn(&set, &purchase("1.00"), &member()).points, 100);
    let later = Event {
        occurred_at: at("2026-06-08 00:00"),
        ..purchase("1.00")
    };
    assert_eq!(
        earn(&set, &later, &member()).considered[0].result,
        "inactive"
    );
}

#[test]
fn a_points_limit_caps_the_line() {
    let set = one_rule(json!({"name": "Capped", "event_type": "purchase",
        "effects": [{"type": "points_per_amount", "rate": "1"}], "limits": [{"per": "month", "points": 100}]}));
    let mut member = member();
    member.usage.insert(
        (1, Period::Month),
        Usage {
            count: 4,
            points: 80,
        },
    );
    let outcome = earn(&set, &purchase("50.00"), &member);
    assert_eq!(outcome.points, 20);
    assert!(outcome.lines[0].why.contains("capped at 20"));
}

#[test]
fn rounding_is_chosen_by_the_rule() {
    let rate = |rounding: &str| {
        one_rule(json!({"name": "r", "event_type": "purchase",
            "effects": [{"type": "points_per_amount", "rate": "1", "per": "2", "rounding": rounding}]}))
    };
    assert_eq!(earn(&rate("floor"), &purchase("5.00"), &member()).points, 2);
    assert_eq!(
        earn(&rate("nearest"), &purchase("5.00"), &member()).points,
        3
    );
    assert_eq!(earn(&rate("ceil"), &purchase("4.10"), &member()).points, 3);
}
