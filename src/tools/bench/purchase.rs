//! The `events` scenario: the coffee program's earning rules and tiers on the bench program
//! (and, unless left out, its badges, challenges, streaks and leaderboards, with half the
//! members in `star-dash`), and purchases as a coffee shop's tills would post them.

use anyhow::bail;
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::IndexedRandom;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::setup::Seeder;
use crate::tools::demo::coffee;

/// Cheapest and dearest purchase, in cents.
const CENTS: std::ops::RangeInclusive<u32> = 300..=3000;
/// Share of purchases paid with stored value (x2 under the coffee rules).
const STORED_VALUE: f64 = 0.3;
/// Share of purchases with a reusable cup (x2, at most 3 a day per member).
const REUSABLE_CUP: f64 = 0.25;

/// What a till sells: `(sku, category)`. Alcohol is rare and earns nothing.
const MENU: [(&str, &str); 8] = [
    ("latte", "coffee"),
    ("espresso", "coffee"),
    ("cold-brew", "coffee"),
    ("flat-white", "coffee"),
    ("croissant", "food"),
    ("sandwich", "food"),
    ("muffin", "food"),
    ("ipa", "alcohol"),
];

/// Creates the coffee program's rules and tiers on the bench program, and with `game` its
/// streaks, badges, challenges and leaderboards, as an admin would.
pub async fn seed_program(seeder: &Seeder, game: bool) -> anyhow::Result<()> {
    let config = coffee::config();
    let program = &seeder.program;
    let path = format!("/v1/admin/programs/{program}/rules");
    for rule in &config.rules {
        let (status, answer) = seeder.admin.post(&path, rule).await?;
        if status != StatusCode::CREATED {
            bail!("POST {path} ({}): {status}: {answer}", rule["slug"]);
        }
    }
    let path = format!("/v1/admin/programs/{program}/tiers");
    let (status, answer) = seeder.admin.put(&path, &config.tiers).await?;
    if status != StatusCode::OK {
        bail!("PUT {path}: {status}: {answer}");
    }
    if game {
        for (kind, element) in config.game_elements() {
            let path = format!("/v1/admin/programs/{program}/{kind}");
            let (status, answer) = seeder.admin.post(&path, element).await?;
            if status != StatusCode::CREATED {
                bail!("POST {path} ({}): {status}: {answer}", element["slug"]);
            }
        }
    }
    Ok(())
}

/// Every other member of the crowd joins `star-dash` with its own member token.
pub async fn join_star_dash(seeder: &Seeder) -> anyhow::Result<()> {
    let joiners: Vec<String> = seeder
        .crowd()
        .step_by(2)
        .map(|i| seeder.member(i).to_owned())
        .collect();
    let store = seeder.store.clone();
    let joiners = std::sync::Arc::new(joiners);
    let shared = joiners.clone();
    super::pool::for_each(
        joiners.len(),
        seeder.workers(),
        "joining star-dash",
        move |i| {
            let (store, joiners) = (store.clone(), shared.clone());
            async move { store.join_challenge(&joiners[i], "star-dash").await }
        },
    )
    .await?;
    Ok(())
}

/// A purchase by `member` (the body of `POST /v1/events`) with a fresh id: 3.00 to 30.00
/// over 1 to 3 items whose prices add up to the amount.
pub fn purchase(member: &str, rng: &mut SmallRng) -> Value {
    let cents = rng.random_range(CENTS);
    let items: Vec<Value> = split(cents, rng.random_range(1..=3), rng)
        .into_iter()
        .map(|price| {
            let (sku, category) = if rng.random_bool(0.05) {
                MENU[MENU.len() - 1]
            } else {
                *MENU[..MENU.len() - 1].choose(rng).unwrap_or(&MENU[0])
            };
            json!({"sku": sku, "category": category, "quantity": 1, "unit_price": money(price)})
        })
        .collect();
    let mut event = json!({
        "type": "purchase",
        "id": format!("bench-{}", uuid::Uuid::new_v4()),
        "member": member,
        "amount": money(cents),
        "payment": if rng.random_bool(STORED_VALUE) { "stored_value" } else { "card" },
        "items": items,
    });
    if rng.random_bool(REUSABLE_CUP) {
        event["properties"] = json!({ "reusable_cup": true });
    }
    event
}

/// `cents` cut into `parts` positive prices (fewer if there are not that many cents).
fn split(cents: u32, parts: u32, rng: &mut SmallRng) -> Vec<u32> {
    let parts = parts.clamp(1, cents.max(1));
    let mut cuts: Vec<u32> = Vec::with_capacity(parts as usize + 1);
    while cuts.len() + 1 < parts as usize {
        let cut = rng.random_range(1..cents);
        if !cuts.contains(&cut) {
            cuts.push(cut);
        }
    }
    cuts.push(0);
    cuts.push(cents);
    cuts.sort_unstable();
    cuts.windows(2).map(|w| w[1] - w[0]).collect()
}

/// Cents as a decimal string: `1234` is `"12.34"`.
fn money(cents: u32) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rust_decimal::Decimal;

    use super::*;

    fn decimal(value: &Value) -> Decimal {
        value.as_str().unwrap().parse().unwrap()
    }

    #[test]
    fn purchases_are_between_3_and_30_and_their_items_add_up_to_the_amount() {
        let mut rng = SmallRng::seed_from_u64(7);
        for _ in 0..1000 {
            let event = purchase("member-1", &mut rng);
            let amount = decimal(&event["amount"]);
            assert!((Decimal::new(300, 2)..=Decimal::new(3000, 2)).contains(&amount));
            let items = event["items"].as_array().unwrap();
            assert!((1..=3).contains(&items.len()), "{event}");
            let total: Decimal = items.iter().map(|i| decimal(&i["unit_price"])).sum();
            assert_eq!(total, amount, "{event}");
            assert!(
                items
                    .iter()
                    .all(|i| decimal(&i["unit_price"]) > Decimal::ZERO)
            );
        }
    }

    #[test]
    fn purchase_ids_are_unique_and_some_pay_with_stored_value_and_a_cup() {
        let mut rng = SmallRng::seed_from_u64(7);
        let events: Vec<Value> = (0..200).map(|_| purchase("m", &mut rng)).collect();
        let mut ids: Vec<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 200);
        assert!(events.iter().any(|e| e["payment"] == "stored_value"));
        assert!(events.iter().any(|e| e["payment"] == "card"));
        assert!(
            events
                .iter()
                .any(|e| e["properties"]["reusable_cup"] == true)
        );
    }

    #[test]
    fn money_is_a_two_decimal_string() {
        assert_eq!(money(300), "3.00");
        assert_eq!(money(1205), "12.05");
        assert_eq!(split(1, 3, &mut SmallRng::seed_from_u64(1)), [1]);
    }
}
