//! An event as a storefront posts it, and its validation into the engine's `Event`.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::event::{Event, EventType, Item};
use crate::domain::{self, Currency, Invalid, bounds};

/// How far in the future an event's `occurred_at` may be (clock skew between servers).
const FUTURE_TOLERANCE_MINUTES: i64 = 5;

/// What a storefront posts to `/v1/events`.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    /// `purchase`, `refund`, `referral`, `review`, `signup`, `birthday`, or a custom type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The storefront's id of the event, unique in the program: posting it again returns the
    /// first outcome.
    pub id: String,
    /// The member's external id.
    pub member: String,
    /// When it happened; default now. Past times are fine; at most a few minutes ahead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurred_at: Option<DateTime<Utc>>,
    /// Total paid, shipping included, as a decimal string, 0 to 1000000000. Required for
    /// purchases and refunds (the amount refunded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub amount: Option<Decimal>,
    /// Must be the program's currency; default it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
    /// The lines of the order; each line (unit_price x quantity), and all of them together,
    /// at most 1000000000.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<Item>,
    /// The part of `amount` paid for shipping, a decimal string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub shipping: Option<Decimal>,
    /// E.g. `online`, `store`, `app`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// E.g. `card`, `cash`, `stored_value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<String>,
    /// The storefront's order; a refund names the order it refunds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Anything else rules may look at (`reusable_cup`, `rating`); a `referral` event names
    /// the referrer with `referral_code`.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub properties: Map<String, Value>,
}

impl EventInput {
    /// SHA-256 of the event as posted, with decimals normalised (`"25.40"` equals `25.4`).
    pub fn digest(&self) -> String {
        let mut normal = self.clone();
        normal.amount = normal.amount.map(|a| a.normalize());
        normal.shipping = normal.shipping.map(|s| s.normalize());
        for item in &mut normal.items {
            item.unit_price = item.unit_price.normalize();
        }
        // Plain data with string keys: serialising it cannot fail.
        let json = serde_json::to_vec(&normal).unwrap_or_default();
        hex::encode(Sha256::digest(json))
    }

    /// Checks every field; errors name it.
    pub fn validate(&self, currency: &Currency, now: NaiveDateTime) -> Result<Event, Invalid> {
        let kind =
            EventType::parse(&self.kind).map_err(|e| Invalid::new("type", format!("type: {e}")))?;
        let valid_id =
            (1..=128).contains(&self.id.len()) && self.id.bytes().all(|b| b.is_ascii_graphic());
        if !valid_id {
            return Err(Invalid::new(
                "id",
                "id: use 1 to 128 visible ASCII characters",
            ));
        }
        domain::external_id(&self.member).map_err(|_| {
            Invalid::new(
                "member",
                "member: use the member's external id (1 to 128 visible characters)",
            )
        })?;
        let occurred_at = match self.occurred_at {
            Some(at) => bounds::instant("occurred_at", at)?.naive_utc(),
            None => now,
        };
        if occurred_at > now + Duration::minutes(FUTURE_TOLERANCE_MINUTES) {
            return Err(Invalid::new(
                "occurred_at",
                "occurred_at: must not be in the future",
            ));
        }
        if let Some(given) = &self.currency
            && !given.eq_ignore_ascii_case(&currency.code)
        {
            return Err(Invalid::new(
                "currency",
                format!(
                    "currency: this program counts in {}, not {given}",
                    currency.code
                ),
            ));
        }
        let money = |field: &str, value: Option<Decimal>| -> Result<Option<Decimal>, Invalid> {
            let Some(value) = value else { return Ok(None) };
            bounds::money(field, value)?;
            currency.to_minor(field, value)?;
            Ok(Some(value))
        };
        let amount = money("amount", self.amount)?;
        let shipping = money("shipping", self.shipping)?;
        if matches!(kind, EventType::Purchase | EventType::Refund) && amount.is_none() {
            return Err(Invalid::new(
                "amount",
                format!("amount: a {kind} needs the amount, as a decimal string"),
            ));
        }
        if let (Some(amount), Some(shipping)) = (amount, shipping)
            && shipping > amount
        {
            return Err(Invalid::new("shipping", "shipping: must not exceed amount"));
        }
        let mut listed = Decimal::ZERO;
        for (i, item) in self.items.iter().enumerate() {
            domain::text(&format!("items[{i}].sku"), &item.sku, 128)?;
            bounds::count(&format!("items[{i}].quantity"), i64::from(item.quantity), 1)?;
            money(&format!("items[{i}].unit_price"), Some(item.unit_price))?;
            // Both factors are bounded, so the product fits a decimal.
            bounds::money(&format!("items[{i}]"), item.total()).map_err(|_| {
                Invalid::new(
                    format!("items[{i}]"),
                    format!(
                        "items[{i}]: unit_price x quantity must be at most {}",
                        bounds::MAX_MONEY
                    ),
                )
            })?;
            listed += item.total();
        }
        if listed > Decimal::from(bounds::MAX_MONEY) {
            return Err(Invalid::new(
                "items",
                format!(
                    "items: the items must add up to at most {}",
                    bounds::MAX_MONEY
                ),
            ));
        }
        let text = |field: &str, value: &Option<String>| {
            value
                .as_deref()
                .map(|v| domain::text(field, v, 128))
                .transpose()
        };
        let order_id = text("order_id", &self.order_id)?;
        if kind == EventType::Refund && order_id.is_none() {
            return Err(Invalid::new(
                "order_id",
                "order_id: a refund names the order it refunds",
            ));
        }
        Ok(Event {
            id: self.id.clone(),
            kind,
            occurred_at,
            amount,
            currency: currency.code.clone(),
            shipping,
            items: self.items.clone(),
            channel: text("channel", &self.channel)?,
            payment: text("payment", &self.payment)?,
            order_id,
            properties: self.properties.clone(),
        })
    }
}
