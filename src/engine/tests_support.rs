//! Builders for the game layer's unit tests.

use std::str::FromStr;
use std::sync::LazyLock;

use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde_json::Map;

use super::activity::Play;
use super::condition::Facts;
use super::event::{Event, EventType, Item};
use super::member::MemberState;
use super::period;

static MEMBER: LazyLock<MemberState> =
    LazyLock::new(|| MemberState::new(1, at("2026-01-01 00:00")));

/// A UTC time from `YYYY-MM-DD HH:MM`.
pub fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

/// A UTC time from a local `YYYY-MM-DD HH:MM` in `tz`.
pub fn local_at(tz: Tz, s: &str) -> NaiveDateTime {
    tz.from_local_datetime(&at(s)).unwrap().naive_utc()
}

/// An event of `kind` at `occurred_at`.
pub fn event(kind: &str, occurred_at: NaiveDateTime) -> Event {
    Event {
        id: "e".into(),
        kind: EventType::parse(kind).unwrap(),
        occurred_at,
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

/// A purchase of `amount` with items `(category, price)`, on 2026-11-25 at noon UTC.
pub fn purchase(amount: &str, items: &[(&str, &str)]) -> Event {
    let mut purchase = event("purchase", at("2026-11-25 12:00"));
    purchase.amount = Some(Decimal::from_str(amount).unwrap());
    purchase.items = items
        .iter()
        .enumerate()
        .map(|(i, (category, price))| Item {
            sku: format!("sku-{i}"),
            category: Some((*category).to_owned()),
            quantity: 1,
            unit_price: Decimal::from_str(price).unwrap(),
        })
        .collect();
    purchase
}

/// The event as the game layer sees it, with times in UTC.
pub fn play_of(event: &Event, rewarded: bool) -> Play<'_> {
    play_in(event, chrono_tz::UTC, rewarded)
}

/// The event as the game layer sees it, with times in `tz`.
pub fn play_in(event: &Event, tz: Tz, rewarded: bool) -> Play<'_> {
    Play {
        facts: Facts {
            event,
            member: &MEMBER,
            local_time: period::local(tz, event.occurred_at),
        },
        rewarded,
        exponent: 2,
    }
}
