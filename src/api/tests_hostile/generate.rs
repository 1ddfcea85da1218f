//! What hostile clients send: any JSON value, mutations of valid bodies, and JSON text with
//! what a value cannot hold (lone surrogates, numbers past every type, NUL, bytes that are
//! not UTF-8, nesting past the parser's limit).

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Number, Value, json};

/// Numbers at the edges of every type the bodies use.
fn odd_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop::sample::select(vec![
            json!(0),
            json!(-0.0),
            json!(i64::MAX),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(i32::MAX),
            json!(i32::MIN),
            json!(u32::MAX),
            json!(1e308),
            json!(-1e308),
            json!(5e-324),
            json!(0.1),
            json!(-1),
        ]),
    ]
}

/// Strings a field may be given: decimals past their bounds, dates past the calendar, empty,
/// long, control characters, right-to-left marks, astral characters.
fn odd_string() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => any::<String>(),
        2 => "[a-z_.]{0,12}",
        2 => "\\PC{0,40}",
        4 => prop::sample::select(vec![
            "",
            " ",
            "\0",
            "a\0b",
            "1e28",
            "-1e28",
            "79228162514264337593543950335",
            "-79228162514264337593543950336",
            "0.0000000000000000000000000001",
            "1000000000.01",
            "-0",
            "NaN",
            "Infinity",
            "+262143-12-31T23:59:59Z",
            "-262144-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "0000-01-01",
            "2026-02-30",
            "2026-W99",
            "2026-13",
            "\u{202e}evil",
            "🦀🦀🦀",
            "\u{feff}",
            "purchase",
            "refund",
            "referral",
            "week",
            "day",
            "lifetime",
        ])
        .prop_map(str::to_owned),
        1 => (100usize..3000).prop_map(|n| "x".repeat(n)),
    ]
}

/// A leaf of any type.
fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        odd_number(),
        odd_string().prop_map(Value::String),
    ]
}

/// Any JSON value, nested a few levels.
pub fn any_json() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((odd_string(), inner), 0..8)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Any JSON object whose keys are drawn from `keys` (the fields of the body under test) or
/// are anything.
pub fn any_object(keys: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        4 => prop::sample::select(keys).prop_map(str::to_owned),
        1 => odd_string(),
    ];
    prop::collection::vec((key, any_json()), 0..10)
        .prop_map(|pairs| Value::Object(pairs.into_iter().collect()))
}

/// One change to a body.
#[derive(Debug, Clone)]
enum Mutation {
    Drop(Index),
    Rename(Index, String),
    Replace(Index, Value),
    AddField(Index, String, Value),
    Duplicate(Index),
    /// A leaf given another value of its type: a number, a string, the other boolean.
    Extreme(Index, Value, String),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => any::<Index>().prop_map(Mutation::Drop),
        1 => (any::<Index>(), odd_string()).prop_map(|(i, k)| Mutation::Rename(i, k)),
        4 => (any::<Index>(), leaf()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        1 => (any::<Index>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        1 => (any::<Index>(), odd_string(), leaf())
            .prop_map(|(i, k, v)| Mutation::AddField(i, k, v)),
        1 => any::<Index>().prop_map(Mutation::Duplicate),
        6 => (any::<Index>(), odd_number(), odd_string())
            .prop_map(|(i, n, s)| Mutation::Extreme(i, n, s)),
    ]
}

/// JSON pointers of every node of `value`, the root first.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            out.push(at.clone());
            for (key, child) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{at}/{key}"), out);
            }
        }
        Value::Array(items) => {
            out.push(at.clone());
            for (i, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{i}"), out);
            }
        }
        _ => out.push(at),
    }
}

fn split(pointer: &str) -> Option<(&str, String)> {
    let (parent, last) = pointer.rsplit_once('/')?;
    Some((parent, last.replace("~1", "/").replace("~0", "~")))
}

fn apply(body: &mut Value, mutation: Mutation) {
    let mut all = Vec::new();
    pointers(body, String::new(), &mut all);
    let pick = |i: &Index| all[i.index(all.len())].clone();
    match mutation {
        Mutation::Drop(i) => {
            let pointer = pick(&i);
            if let Some((parent, key)) = split(&pointer) {
                match body.pointer_mut(parent) {
                    Some(Value::Object(map)) => drop(map.remove(&key)),
                    Some(Value::Array(items)) => {
                        if let Ok(at) = key.parse::<usize>() {
                            items.remove(at);
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Rename(i, new) => {
            let pointer = pick(&i);
            if let Some((parent, key)) = split(&pointer)
                && let Some(Value::Object(map)) = body.pointer_mut(parent)
                && let Some(value) = map.remove(&key)
            {
                map.insert(new, value);
            }
        }
        Mutation::Replace(i, value) => {
            if let Some(node) = body.pointer_mut(&pick(&i)) {
                *node = value;
            }
        }
        Mutation::AddField(i, key, value) => {
            if let Some(Value::Object(map)) = body.pointer_mut(&pick(&i)) {
                map.insert(key, value);
            }
        }
        Mutation::Extreme(i, number, string) => {
            let leaves: Vec<&String> = all
                .iter()
                .filter(|p| !matches!(body.pointer(p), Some(Value::Object(_) | Value::Array(_))))
                .collect();
            if leaves.is_empty() {
                return;
            }
            let pointer = leaves[i.index(leaves.len())].clone();
            if let Some(node) = body.pointer_mut(&pointer) {
                *node = match node {
                    Value::Number(_) => number,
                    Value::String(_) => Value::String(string),
                    Value::Bool(b) => Value::Bool(!*b),
                    _ => Value::Null,
                };
            }
        }
        Mutation::Duplicate(i) => {
            let pointer = pick(&i);
            if let Some((parent, _)) = split(&pointer)
                && let Some(node) = body.pointer(&pointer).cloned()
                && let Some(Value::Array(items)) = body.pointer_mut(parent)
            {
                items.push(node);
            }
        }
    }
}

/// One of `seeds`, changed up to three times.
pub fn mutated(seeds: Vec<Value>) -> impl Strategy<Value = Value> {
    (
        prop::sample::select(seeds),
        prop::collection::vec(mutation(), 0..4),
    )
        .prop_map(|(mut body, mutations)| {
            for mutation in mutations {
                apply(&mut body, mutation);
            }
            body
        })
}

/// Changes to JSON text that no value can make.
#[derive(Debug, Clone)]
enum TextDamage {
    None,
    Truncate(Index),
    Insert(Index, &'static [u8]),
    Append(&'static [u8]),
}

const SPLINTERS: &[&[u8]] = &[
    b"\"\\ud800\"",
    b"\"\\udfff\\ud800\"",
    b"\"\\u0000\"",
    b"\\ud83e",
    b"1e400",
    b"-1e400",
    b"123456789012345678901234567890",
    b"\0",
    b"\xff\xfe",
    b"\xc0\xaf",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\xe2\x82",
    b",",
    b"}",
    b"]",
    b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    b"NaN",
    b"true false",
    b"\"\t\"",
];

fn damage() -> impl Strategy<Value = TextDamage> {
    prop_oneof![
        3 => Just(TextDamage::None),
        1 => any::<Index>().prop_map(TextDamage::Truncate),
        1 => (any::<Index>(), prop::sample::select(SPLINTERS))
            .prop_map(|(i, s)| TextDamage::Insert(i, s)),
        1 => prop::sample::select(SPLINTERS).prop_map(TextDamage::Append),
    ]
}

/// A body's bytes, shown as text when a case fails.
#[derive(Clone)]
pub struct Bytes(pub Vec<u8>);

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(&self.0))
    }
}

/// JSON text of `values`, sometimes damaged; or bytes that are anything at all.
pub fn text(values: impl Strategy<Value = Value>) -> impl Strategy<Value = Bytes> {
    let bytes = prop_oneof![
        8 => (values, damage()).prop_map(|(value, damage)| {
            let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
            match damage {
                TextDamage::None => {}
                TextDamage::Truncate(i) => bytes.truncate(i.index(bytes.len() + 1)),
                TextDamage::Insert(i, splinter) => {
                    let at = i.index(bytes.len() + 1);
                    bytes.splice(at..at, splinter.iter().copied());
                }
                TextDamage::Append(splinter) => bytes.extend_from_slice(splinter),
            }
            bytes
        }),
        1 => prop::collection::vec(any::<u8>(), 0..64),
    ];
    bytes.prop_map(Bytes)
}
