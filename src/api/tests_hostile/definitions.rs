//! Badges, challenges, streaks, leaderboards and rewards: refused naming the field, or
//! accepted, stored and read back unchanged, and accepted again as read.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use serde_json::Value;
use utoipa::ToSchema;

use super::checked;
use super::generate::{Bytes, any_json, any_object, mutated, text};
use super::shop::{BEAUTY, COFFEE, Shop, now};
use crate::api::json::parse;
use crate::engine::badges::BadgeDefinition;
use crate::engine::challenges::ChallengeDefinition;
use crate::engine::leaderboards::LeaderboardDefinition;
use crate::engine::streaks::StreakDefinition;
use crate::error::AppError;
use crate::gamification::elements::{Definition, NewElement};
use crate::rewards::RewardDefinition;

const ELEMENT_KEYS: &[&str] = &[
    "slug",
    "name",
    "description",
    "hidden",
    "criterion",
    "levels",
    "threshold",
    "points",
    "period",
    "event_type",
    "conditions",
    "rewarded_only",
    "metric",
    "size",
    "goal",
    "window",
    "enrolment",
    "tiers",
    "reward",
    "type",
    "target",
    "badge",
];

const REWARD_KEYS: &[&str] = &[
    "slug",
    "name",
    "description",
    "cost",
    "kind",
    "amount",
    "percent",
    "min_tier",
    "stock",
    "per_member_limit",
    "active_from",
    "active_until",
    "voucher_days",
    "refund_on_expiry",
    "status",
];

fn body(keys: &'static [&'static str], seeds: Vec<Value>) -> impl Strategy<Value = Bytes> {
    text(prop_oneof![
        1 => any_json(),
        2 => any_object(keys),
        5 => mutated(seeds),
    ])
}

/// An element body as `POST .../{kind}` and `PUT .../{kind}/{slug}` read it; when accepted,
/// stored, read back and checked again.
fn element<D: Definition + ToSchema>(shop: &Shop, bytes: &[u8]) -> Result<(), TestCaseError> {
    let created = checked(parse::<Value>(bytes).and_then(NewElement::<D>::from_json))?;
    let updated = checked(parse::<D>(bytes))?;
    let definitions = created
        .map(|new| (new.slug, new.definition))
        .into_iter()
        .chain(updated.map(|d| ("updated".to_owned(), d)));
    for (slug, definition) in definitions {
        let check = definition.check(&shop.program, &shop.refs, &slug);
        if checked(check.map_err(AppError::from))?.is_none() {
            continue;
        }
        definition.measured();
        definition.references();
        let read: D = serde_json::from_str(&serde_json::to_string(&definition)?)?;
        prop_assert!(read == definition, "{slug} changed when stored");
        prop_assert!(read.check(&shop.program, &shop.refs, &slug).is_ok());
    }
    Ok(())
}

/// A reward body as `POST .../rewards` reads it; when accepted, stored and read back.
fn reward(shop: &Shop, bytes: &[u8]) -> Result<(), TestCaseError> {
    let Some(body) = checked(parse::<Value>(bytes))? else {
        return Ok(());
    };
    let read = crate::json::take_slug(body, "")
        .and_then(|(_, rest)| crate::json::from_value::<RewardDefinition>(rest, ""));
    let Some(definition) = checked(read)? else {
        return Ok(());
    };
    if checked(definition.columns(&shop.program, now()))?.is_none() {
        return Ok(());
    }
    let stored = serde_json::to_value(&definition)?;
    let read: RewardDefinition = serde_json::from_value(stored.clone())?;
    prop_assert_eq!(serde_json::to_value(&read)?, stored);
    prop_assert!(read.columns(&shop.program, now()).is_ok());
    Ok(())
}

fn game_seeds() -> Vec<Value> {
    [&*COFFEE, &*BEAUTY]
        .iter()
        .flat_map(|shop| shop.config.game_elements().map(|(_, body)| body.clone()))
        .collect()
}

proptest! {
    #[test]
    fn game_element_bodies_are_refused_naming_the_field_or_kept_as_sent(
        bytes in body(ELEMENT_KEYS, game_seeds())
    ) {
        for shop in [&*COFFEE, &*BEAUTY] {
            element::<BadgeDefinition>(shop, &bytes.0)?;
            element::<ChallengeDefinition>(shop, &bytes.0)?;
            element::<StreakDefinition>(shop, &bytes.0)?;
            element::<LeaderboardDefinition>(shop, &bytes.0)?;
        }
    }

    #[test]
    fn reward_bodies_are_refused_naming_the_field_or_kept_as_sent(
        bytes in body(REWARD_KEYS, {
            let (coffee, beauty) = (&COFFEE.config.rewards, &BEAUTY.config.rewards);
            coffee.iter().chain(beauty).cloned().collect()
        })
    ) {
        reward(&COFFEE, &bytes.0)?;
        reward(&BEAUTY, &bytes.0)?;
    }
}
