//! What legitimately differs from run to run, or between SQLite and PostgreSQL, replaced with
//! stable placeholders; everything else (points, balances, tiers, badges, progress, notes,
//! and every time the scenario fixed) is kept as it is.
//!
//! - Times from the wall clock: an instant between the scenario's start and end is `<now>`;
//!   one a known period later is `<now+30d>` or `<now+12mo>` (a voucher's expiry, a tier hold
//!   that started today), and a tier held until then is held through `<date of now+12mo>`.
//! - The windows that contain the wall clock (`Recorder::live_window`): their keys and first
//!   days wherever they appear as a word, their bounds as a window's `starts_at` and `ends_at`.
//! - Generated values (referral codes, voucher codes, uuids): `<referral-1>`, `<voucher-2>`,
//!   numbered in order of first appearance, so a value seen twice keeps one placeholder.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Months, Utc};
use serde_json::{Map, Value};

/// How far a wall-clock time may fall outside the scenario's run (clock steps, rounding).
const SLACK_SECONDS: i64 = 60;

/// The periods after now the product counts in days: a pending return window (14), vouchers
/// (30, 90), birthday treats (1, 7).
const DAYS_AFTER: [i64; 5] = [1, 7, 14, 30, 90];

/// The periods after now it counts in months: a tier's hold.
const MONTHS_AFTER: [u32; 1] = [12];

/// The keys under which a window's bounds appear.
const BOUNDS: [&str; 2] = ["starts_at", "ends_at"];

pub struct Normaliser {
    started: DateTime<Utc>,
    ended: DateTime<Utc>,
    live: Live,
}

/// The windows containing the wall clock, as texts (keys, first days) and instants (bounds),
/// each with its placeholder.
#[derive(Default)]
pub struct Live {
    pub texts: Vec<(String, String)>,
    pub bounds: Vec<(DateTime<Utc>, String)>,
}

impl Normaliser {
    pub fn new(started: DateTime<Utc>, ended: DateTime<Utc>, live: Live) -> Normaliser {
        Normaliser {
            started: started - Duration::seconds(SLACK_SECONDS),
            ended: ended + Duration::seconds(SLACK_SECONDS),
            live,
        }
    }

    pub fn apply(&self, document: Value) -> Value {
        let mut generated = Generated::default();
        generated.collect(&document);
        self.rewrite(document, "", &generated)
    }

    fn rewrite(&self, value: Value, key: &str, generated: &Generated) -> Value {
        match value {
            Value::Object(map) => {
                let mut map: Map<String, Value> = map
                    .into_iter()
                    .map(|(k, v)| {
                        let v = self.rewrite(v, &k, generated);
                        (k, v)
                    })
                    .collect();
                held_through_follows_held_until(&mut map);
                Value::Object(map)
            }
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| self.rewrite(v, key, generated))
                    .collect(),
            ),
            Value::String(text) => Value::String(self.text(text, key, generated)),
            other => other,
        }
    }

    fn text(&self, text: String, key: &str, generated: &Generated) -> String {
        if let Ok(at) = DateTime::parse_from_rfc3339(&text) {
            let at = at.with_timezone(&Utc);
            let bound = self.live.bounds.iter().find(|(instant, _)| *instant == at);
            if let Some((_, placeholder)) = bound.filter(|_| BOUNDS.contains(&key)) {
                return placeholder.clone();
            }
            if let Some(placeholder) = self.wall_clock(at) {
                return placeholder;
            }
        }
        let mut text = text;
        for (value, placeholder) in self.live.texts.iter().chain(&generated.order) {
            text = replace_words(&text, value, placeholder);
        }
        text
    }

    /// `<now>`, `<now+Nd>` or `<now+Nmo>` for an instant taken from the wall clock. Later
    /// instants qualify only with a fraction of a second (the scenarios fix whole seconds; the
    /// wall clock has microseconds) and only at the product's own periods after now, tried in
    /// one order, so that 90 days never passes for 3 months one day and not the next.
    fn wall_clock(&self, at: DateTime<Utc>) -> Option<String> {
        let during = |t: DateTime<Utc>| self.started <= t && t <= self.ended;
        if during(at) {
            return Some("<now>".into());
        }
        if at < self.started || at.timestamp_subsec_micros() == 0 {
            return None;
        }
        if let Some(days) = DAYS_AFTER.iter().find(|d| during(at - Duration::days(**d))) {
            return Some(format!("<now+{days}d>"));
        }
        let months = MONTHS_AFTER
            .iter()
            .find(|m| at.checked_sub_months(Months::new(**m)).is_some_and(&during))?;
        Some(format!("<now+{months}mo>"))
    }
}

/// `text` with each occurrence of `word` that stands alone (not inside a longer word, date or
/// code) replaced by `placeholder`.
fn replace_words(text: &str, word: &str, placeholder: &str) -> String {
    let joins = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-');
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (at, _) in text.match_indices(word) {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        if !joins(before) && !joins(after) {
            out.push_str(&text[copied..at]);
            out.push_str(placeholder);
            copied = at + word.len();
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// A tier held until a time from the wall clock is held through that time's date: the date is
/// written as `<date of now+12mo>`.
fn held_through_follows_held_until(map: &mut Map<String, Value>) {
    let until = map.get("held_until").and_then(Value::as_str);
    let Some(placeholder) = until.and_then(|u| u.strip_prefix("<now")) else {
        return;
    };
    let date = format!("<date of now{placeholder}");
    if let Some(through) = map.get_mut("held_through") {
        *through = Value::String(date);
    }
}

/// The kind of generated value `key` holds in `object`, if it holds one: a member's referral
/// code, or a voucher's code (a problem's `code` is kept).
fn generated(key: &str, object: &Map<String, Value>) -> Option<&'static str> {
    match key {
        "referral_code" => Some("referral"),
        "code" if object.contains_key("issued_at") => Some("voucher"),
        _ => None,
    }
}

/// The generated values met in a document, each with its placeholder.
#[derive(Default)]
struct Generated {
    order: Vec<(String, String)>,
    counts: HashMap<&'static str, usize>,
}

impl Generated {
    fn collect(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, inner) in map {
                    match (generated(key, map), inner) {
                        (Some(kind), Value::String(text)) => self.add(kind, text),
                        _ => self.collect(inner),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect(v)),
            Value::String(text) if looks_like_uuid(text) => self.add("uuid", text),
            _ => {}
        }
    }

    fn add(&mut self, kind: &'static str, text: &str) {
        if self.order.iter().any(|(value, _)| value == text) {
            return;
        }
        let count = self.counts.entry(kind).or_default();
        *count += 1;
        self.order
            .push((text.to_owned(), format!("<{kind}-{count}>")));
    }
}

fn looks_like_uuid(text: &str) -> bool {
    text.len() == 36
        && text.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        })
}
