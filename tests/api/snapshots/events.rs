//! Building the events the scenarios post, one readable line each.

use serde_json::{Value, json};

/// An event of `kind` for `member` at `occurred_at` (RFC 3339), with its `id`.
pub fn event(kind: &str, id: &str, member: &str, occurred_at: &str) -> Value {
    json!({"type": kind, "id": id, "member": member, "occurred_at": occurred_at})
}

/// Fields added to an event as it is built.
pub trait Fields: Sized {
    fn with(self, field: &str, value: Value) -> Self;

    fn set(self, field: &str, value: &str) -> Self {
        self.with(field, json!(value))
    }

    fn order(self, order_id: &str) -> Self {
        self.set("order_id", order_id)
    }

    /// Paid with a reusable cup (coffee's x2, three times a day).
    fn cup(self) -> Self {
        self.with("properties", json!({"reusable_cup": true}))
    }

    /// Bought in store: one item per `(category, price)`, the amount their total.
    fn basket(self, lines: &[(&str, &str)]) -> Self {
        let cents: i64 = lines.iter().map(|(_, price)| cents(price)).sum();
        let items: Vec<Value> = lines.iter().map(|(c, price)| item(c, price)).collect();
        self.set("amount", &format!("{}.{:02}", cents / 100, cents % 100))
            .set("channel", "store")
            .with("items", json!(items))
    }
}

impl Fields for Value {
    fn with(mut self, field: &str, value: Value) -> Value {
        self[field] = value;
        self
    }
}

/// One unit of an item of `category`.
pub fn item(category: &str, price: &str) -> Value {
    json!({"sku": format!("{category}-sku"), "category": category, "quantity": 1,
           "unit_price": price})
}

fn cents(price: &str) -> i64 {
    let (units, hundredths) = price.split_once('.').unwrap();
    units.parse::<i64>().unwrap() * 100 + hundredths.parse::<i64>().unwrap()
}
