//! What the demo's customers buy: a purchase event's body in each program's style.

use rand::Rng;
use rand::rngs::StdRng;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::simulate::Style;

/// A purchase body for `member` (order id `order`) and its amount.
pub fn purchase(style: Style, rng: &mut StdRng, member: &str, order: &str) -> (Value, Decimal) {
    let cents =
        |low: i64, high: i64, rng: &mut StdRng| Decimal::new(rng.random_range(low..high), 2);
    match style {
        Style::Coffee => {
            let drink = cents(300, 700, rng);
            let food = if rng.random::<f64>() < 0.3 {
                cents(250, 900, rng)
            } else {
                Decimal::ZERO
            };
            let mut items = vec![
                json!({"sku": "drink", "category": "coffee", "quantity": 1, "unit_price": drink.to_string()}),
            ];
            if !food.is_zero() {
                items.push(json!({"sku": "food", "category": "food", "quantity": 1, "unit_price": food.to_string()}));
            }
            let amount = drink + food;
            let payment = if rng.random::<f64>() < 0.3 {
                "stored_value"
            } else {
                "card"
            };
            let body = json!({"type": "purchase", "id": order, "order_id": order, "member": member, "amount": amount.to_string(),
                              "items": items, "payment": payment, "channel": "store",
                              "properties": {"reusable_cup": rng.random::<f64>() < 0.2}});
            (body, amount)
        }
        Style::Beauty => {
            let category = ["skincare", "makeup", "fragrance", "hair"][rng.random_range(0..4)];
            let price = cents(1500, 9000, rng);
            let quantity = rng.random_range(1..3);
            let amount = price * Decimal::from(quantity);
            let channel = if rng.random::<bool>() {
                "online"
            } else {
                "store"
            };
            let body = json!({"type": "purchase", "id": order, "order_id": order, "member": member, "amount": amount.to_string(),
                              "items": [{"sku": format!("{category}-1"), "category": category, "quantity": quantity, "unit_price": price.to_string()}],
                              "channel": channel});
            (body, amount)
        }
    }
}
