//! Events, rules, rule previews and tier ladders: refused naming the field, or accepted,
//! stored and read back unchanged, and decided by the engine.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::{Value, json};

use super::generate::{Bytes, any_json, any_object, mutated, text};
use super::shop::{BEAUTY, COFFEE, Shop, now};
use super::{checked, refusal};
use crate::api::json::parse;
use crate::engine::event::Event;
use crate::engine::input::EventInput;
use crate::engine::rule::RuleDefinition;
use crate::engine::tiers::TierPolicy;
use crate::error::AppError;
use crate::rules::NewRule;
use crate::rules::preview::PreviewRequest;

const EVENT_KEYS: &[&str] = &[
    "type",
    "id",
    "member",
    "occurred_at",
    "amount",
    "currency",
    "items",
    "shipping",
    "channel",
    "payment",
    "order_id",
    "properties",
];

const RULE_KEYS: &[&str] = &[
    "slug",
    "name",
    "event_type",
    "conditions",
    "effects",
    "priority",
    "stacking",
    "group",
    "limits",
    "active_from",
    "active_until",
];

const TIER_KEYS: &[&str] = &["metric", "window", "levels", "type", "months", "items"];

fn event_seeds() -> Vec<Value> {
    let item = |sku: &str, category: &str, price: &str| json!({"sku": sku, "category": category, "quantity": 2, "unit_price": price});
    vec![
        json!({"type": "purchase", "id": "o-1", "member": "m", "amount": "25.40",
               "currency": "USD", "shipping": "2.00", "channel": "online", "payment": "card",
               "order_id": "o-1", "occurred_at": "2026-11-24T10:00:00Z",
               "items": [item("latte", "drinks", "4.10"), item("beer", "alcohol", "5.00")],
               "properties": {"reusable_cup": true}}),
        json!({"type": "refund", "id": "r-1", "member": "m", "amount": "5.00", "order_id": "o-1"}),
        json!({"type": "referral", "id": "f-1", "member": "m",
               "properties": {"referral_code": "ABCD-2345"}}),
        json!({"type": "review", "id": "v-1", "member": "m", "properties": {"rating": 5}}),
        json!({"type": "signup", "id": "s-1", "member": "m"}),
        json!({"type": "app_open", "id": "c-1", "member": "m", "properties": {"n": [1, 2]}}),
    ]
}

fn rule_seeds() -> Vec<Value> {
    let (coffee, beauty) = (&COFFEE.config.rules, &BEAUTY.config.rules);
    coffee.iter().chain(beauty).cloned().collect()
}

/// A body of the kind `keys` and `seeds` describe: anything, an object of its fields, or a
/// valid body damaged.
fn body(keys: &'static [&'static str], seeds: Vec<Value>) -> impl Strategy<Value = Bytes> {
    text(prop_oneof![
        1 => any_json(),
        2 => any_object(keys),
        5 => mutated(seeds),
    ])
}

/// An event body as `POST /v1/events` reads it, validated, then decided.
fn post_event(shop: &Shop, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Some(input) = checked(parse::<EventInput>(bytes))? else {
        return Ok(());
    };
    let validated = input
        .validate(&shop.program.currency, now())
        .map_err(AppError::from);
    let Some(event) = checked(validated)? else {
        return Ok(());
    };
    input.digest();
    prop_assert!(serde_json::to_string(&input).is_ok());
    let tiers = shop.program.tiers.as_ref();
    shop.decide(&shop.rule_set(None), &shop.game, tiers, &event);
    Ok(())
}

/// Events the program's rules and a rule for `event_type` can fire on.
fn events_for(shop: &Shop, event_type: &str) -> Vec<Event> {
    let mut bodies = event_seeds();
    bodies.push(json!({"type": event_type, "id": "x", "member": "m", "amount": "12.50",
                       "order_id": "o-1", "payment": "stored_value",
                       "items": [{"sku": "a", "category": "drinks", "quantity": 1, "unit_price": "12.50"}],
                       "properties": {"reusable_cup": true, "rating": 4}}));
    bodies
        .into_iter()
        .filter_map(|body| {
            let input: EventInput = serde_json::from_value(body).ok()?;
            input.validate(&shop.program.currency, now()).ok()
        })
        .collect()
}

/// A rule body as `POST .../rules` reads it; when accepted, stored, read back and compiled
/// again, and put among the program's rules for every kind of event.
fn create_rule(shop: &Shop, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Some(body) = checked(parse::<Value>(bytes))? else {
        return Ok(());
    };
    let Some(new) = checked(NewRule::from_json(body, ""))? else {
        return Ok(());
    };
    let compiled = new.definition.compile(99, &new.slug, 1, "");
    let Some(compiled) = checked(compiled.map_err(AppError::from))? else {
        return Ok(());
    };
    let stored = serde_json::to_string(&new.definition)?;
    let read: RuleDefinition = serde_json::from_str(&stored)?;
    prop_assert_eq!(&read, &new.definition);
    let again = read.compile(99, &new.slug, 2, "");
    prop_assert!(again.is_ok(), "a stored rule no longer compiles: {again:?}");
    let rules = shop.rule_set(Some(compiled));
    let tiers = shop.program.tiers.as_ref();
    for event in events_for(shop, &new.definition.event_type) {
        shop.decide(&rules, &shop.game, tiers, &event);
    }
    Ok(())
}

/// A rule body as `PUT .../rules/{slug}` reads it.
fn update_rule(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Some(definition) = checked(parse::<RuleDefinition>(bytes))? {
        checked(definition.compile(7, "r", 2, "").map_err(AppError::from))?;
    }
    Ok(())
}

/// A preview body: its event and draft rules refused naming the field after their place.
fn preview(shop: &Shop, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Some(request) = checked(parse::<PreviewRequest>(bytes))? else {
        return Ok(());
    };
    if let Err(error) = request.event.validate(&shop.program.currency, now()) {
        prop_assert!(!error.field.is_empty());
    }
    for (i, draft) in request.rules.iter().flatten().enumerate() {
        let prefix = format!("rules[{i}].");
        let compiled = NewRule::from_json(draft.clone(), &prefix).and_then(|new| {
            let compiled = new.definition.compile(-1, &new.slug, 1, &prefix);
            compiled.map_err(AppError::from)
        });
        if let Err(error) = compiled {
            refusal(&error)?;
            let AppError::Validation(field) = error else {
                continue;
            };
            prop_assert!(field.field.starts_with(&prefix), "{}", field.field);
        }
    }
    Ok(())
}

/// A ladder as `PUT .../tiers` reads it; when accepted, stored and read back, the game
/// recompiled under it, and a purchase decided with it.
fn replace_tiers(shop: &Shop, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Some(policy) = checked(parse::<TierPolicy>(bytes))? else {
        return Ok(());
    };
    if checked(policy.check().map_err(AppError::from))?.is_none() {
        return Ok(());
    }
    let read: TierPolicy = serde_json::from_str(&serde_json::to_string(&policy)?)?;
    prop_assert!(read.check().is_ok());
    let game = shop.game_with(Some(&policy));
    let rules = shop.rule_set(None);
    for event in events_for(shop, "purchase") {
        shop.decide(&rules, &game, Some(&policy), &event);
    }
    Ok(())
}

proptest! {
    #[test]
    fn event_bodies_are_refused_naming_the_field_or_decided(
        bytes in body(EVENT_KEYS, event_seeds())
    ) {
        post_event(&COFFEE, &bytes.0)?;
        post_event(&BEAUTY, &bytes.0)?;
    }

    #[test]
    fn rule_bodies_are_refused_naming_the_field_or_compiled_and_decided(
        bytes in body(RULE_KEYS, rule_seeds())
    ) {
        create_rule(&COFFEE, &bytes.0)?;
        create_rule(&BEAUTY, &bytes.0)?;
        update_rule(&bytes.0)?;
    }

    #[test]
    fn preview_bodies_are_refused_naming_the_field(
        bytes in text(mutated(vec![json!({
            "event": event_seeds()[0],
            "hypothetical_member": {"tier": "Gold", "lifetime_earned": 10},
            "rules": COFFEE.config.rules.clone(),
            "drafts_only": true,
        })]))
    ) {
        preview(&COFFEE, &bytes.0)?;
    }

    #[test]
    fn tier_ladders_are_refused_naming_the_field_or_decided_with(
        bytes in body(TIER_KEYS, vec![COFFEE.config.tiers.clone(), BEAUTY.config.tiers.clone()])
    ) {
        replace_tiers(&COFFEE, &bytes.0)?;
        replace_tiers(&BEAUTY, &bytes.0)?;
    }
}
