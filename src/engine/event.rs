//! Events as the engine sees them: validated, amounts as decimals in the program's currency.

use std::fmt;

use chrono::NaiveDateTime;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// What kind of thing happened.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EventType {
    Purchase,
    Refund,
    Referral,
    Review,
    Signup,
    Birthday,
    /// Any other name a program gives its events (`profile_completed`).
    Custom(String),
}

impl EventType {
    /// Parses a type name: a built-in one, or a custom name of lower-case letters, digits and `_`.
    pub fn parse(name: &str) -> Result<EventType, String> {
        Ok(match name {
            "purchase" => EventType::Purchase,
            "refund" => EventType::Refund,
            "referral" => EventType::Referral,
            "review" => EventType::Review,
            "signup" => EventType::Signup,
            "birthday" => EventType::Birthday,
            custom => {
                let valid = (1..=64).contains(&custom.len())
                    && custom
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                    && custom.as_bytes()[0].is_ascii_lowercase();
                if !valid {
                    return Err(format!(
                        "`{custom}` is not an event type: use purchase, refund, referral, review, signup, birthday, \
                         or a custom name of lower-case letters, digits and _"
                    ));
                }
                EventType::Custom(custom.to_owned())
            }
        })
    }

    pub fn as_str(&self) -> &str {
        match self {
            EventType::Purchase => "purchase",
            EventType::Refund => "refund",
            EventType::Referral => "referral",
            EventType::Review => "review",
            EventType::Signup => "signup",
            EventType::Birthday => "birthday",
            EventType::Custom(name) => name,
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of a purchase.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub sku: String,
    pub category: Option<String>,
    #[schema(minimum = 1, maximum = 1000000)]
    pub quantity: u32,
    /// Price of one unit, a decimal string (`"4.50"`), 0 to 1000000000.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
}

impl Item {
    pub fn total(&self) -> Decimal {
        self.unit_price * Decimal::from(self.quantity)
    }
}

/// Which items an amount counts: all by default; or only some categories or SKUs; minus
/// excluded ones.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemFilter {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_categories: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_skus: Vec<String>,
}

impl ItemFilter {
    fn selects_some(&self) -> bool {
        !self.categories.is_empty() || !self.skus.is_empty()
    }

    pub fn is_everything(&self) -> bool {
        *self == ItemFilter::default()
    }

    pub fn matches(&self, item: &Item) -> bool {
        let category = item.category.as_deref().unwrap_or_default();
        let selected = !self.selects_some()
            || self.categories.iter().any(|c| c == category)
            || self.skus.contains(&item.sku);
        let excluded = self.exclude_categories.iter().any(|c| c == category)
            || self.exclude_skus.contains(&item.sku);
        selected && !excluded
    }
}

/// A validated event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The storefront's id of the event.
    pub id: String,
    pub kind: EventType,
    /// When it happened (UTC).
    pub occurred_at: NaiveDateTime,
    /// Total paid, shipping included.
    pub amount: Option<Decimal>,
    /// The program's currency: events in another one are refused before they get here.
    pub currency: String,
    pub shipping: Option<Decimal>,
    pub items: Vec<Item>,
    pub channel: Option<String>,
    pub payment: Option<String>,
    pub order_id: Option<String>,
    pub properties: Map<String, Value>,
}

impl Event {
    /// What was paid for merchandise: the amount less shipping, or the items' total.
    pub fn merchandise(&self) -> Decimal {
        match self.amount {
            Some(amount) => (amount - self.shipping.unwrap_or_default()).max(Decimal::ZERO),
            None => self.items.iter().map(Item::total).sum(),
        }
    }

    /// The part of the merchandise a filter counts. Items are priced as listed, scaled down
    /// when an order-level discount makes them add up to more than was paid.
    pub fn eligible_amount(&self, filter: &ItemFilter) -> Decimal {
        let merchandise = self.merchandise();
        if self.items.is_empty() {
            return if filter.selects_some() {
                Decimal::ZERO
            } else {
                merchandise
            };
        }
        let listed: Decimal = self.items.iter().map(Item::total).sum();
        let matching: Decimal = self
            .items
            .iter()
            .filter(|i| filter.matches(i))
            .map(Item::total)
            .sum();
        if self.amount.is_some() && listed > merchandise && !listed.is_zero() {
            matching * merchandise / listed
        } else {
            matching
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn item(sku: &str, category: &str, quantity: u32, price: &str) -> Item {
        Item {
            sku: sku.into(),
            category: Some(category.into()),
            quantity,
            unit_price: d(price),
        }
    }

    fn purchase(amount: Option<&str>, shipping: Option<&str>, items: Vec<Item>) -> Event {
        Event {
            id: "e1".into(),
            kind: EventType::Purchase,
            occurred_at: NaiveDateTime::default(),
            amount: amount.map(d),
            currency: "USD".into(),
            shipping: shipping.map(d),
            items,
            channel: None,
            payment: None,
            order_id: None,
            properties: Map::new(),
        }
    }

    #[test]
    fn shipping_and_excluded_categories_are_not_eligible() {
        let event = purchase(
            Some("70.00"),
            Some("5.00"),
            vec![
                item("s1", "skincare", 2, "20.00"),
                item("g1", "gift_card", 1, "25.00"),
            ],
        );
        let filter = ItemFilter {
            exclude_categories: vec!["gift_card".into()],
            ..ItemFilter::default()
        };
        assert_eq!(event.merchandise(), d("65.00"));
        assert_eq!(event.eligible_amount(&filter), d("40.00"));
    }

    #[test]
    fn an_order_discount_scales_the_items_down() {
        let event = purchase(
            Some("50.00"),
            None,
            vec![item("a", "x", 1, "60.00"), item("b", "y", 1, "40.00")],
        );
        let only_x = ItemFilter {
            categories: vec!["x".into()],
            ..ItemFilter::default()
        };
        assert_eq!(event.eligible_amount(&only_x), d("30.00"));
    }

    #[test]
    fn without_items_a_category_filter_counts_nothing_and_an_exclusion_counts_all() {
        let event = purchase(Some("10.00"), None, vec![]);
        assert_eq!(
            event.eligible_amount(&ItemFilter {
                categories: vec!["x".into()],
                ..Default::default()
            }),
            Decimal::ZERO
        );
        assert_eq!(
            event.eligible_amount(&ItemFilter {
                exclude_categories: vec!["x".into()],
                ..Default::default()
            }),
            d("10.00")
        );
    }

    #[test]
    fn event_types_parse() {
        assert_eq!(EventType::parse("purchase").unwrap(), EventType::Purchase);
        assert_eq!(
            EventType::parse("profile_completed").unwrap(),
            EventType::Custom("profile_completed".into())
        );
        assert!(EventType::parse("Bad Type").is_err());
    }
}
