//! Where two JSON documents differ, told as paths a reader can follow.

use std::fmt;

use serde_json::Value;

/// One place where the snapshot and this run disagree.
pub struct Difference {
    /// The step it is in, as recorded (`POST /v1/events p3`).
    step: String,
    /// The JSON path, from the document's root.
    path: String,
    expected: String,
    actual: String,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "- {} [{}]\n    snapshot: {}\n    this run: {}",
            self.path, self.step, self.expected, self.actual
        )
    }
}

/// Every difference between `expected` and `actual`, in document order.
pub fn differences(expected: &Value, actual: &Value) -> Vec<Difference> {
    let mut found = Vec::new();
    walk(expected, actual, "$", "", &mut found);
    found
}

fn walk(expected: &Value, actual: &Value, path: &str, step: &str, found: &mut Vec<Difference>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (key, value) in e {
                let inner = format!("{path}.{key}");
                match a.get(key) {
                    Some(other) => walk(value, other, &inner, step, found),
                    None => found.push(difference(step, &inner, Some(value), None)),
                }
            }
            for (key, value) in a.iter().filter(|(k, _)| !e.contains_key(*k)) {
                found.push(difference(
                    step,
                    &format!("{path}.{key}"),
                    None,
                    Some(value),
                ));
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for (i, pair) in e.iter().zip(a).enumerate() {
                let inner = format!("{path}[{i}]");
                let step = if path == "$.steps" {
                    describe(pair.0)
                } else {
                    step.to_owned()
                };
                walk(pair.0, pair.1, &inner, &step, found);
            }
            for (i, value) in e.iter().enumerate().skip(a.len()) {
                found.push(difference(step, &format!("{path}[{i}]"), Some(value), None));
            }
            for (i, value) in a.iter().enumerate().skip(e.len()) {
                found.push(difference(step, &format!("{path}[{i}]"), None, Some(value)));
            }
        }
        _ if expected != actual => {
            found.push(difference(step, path, Some(expected), Some(actual)));
        }
        _ => {}
    }
}

/// A step as a reader finds it in the file: its call, and the id of the event it posted.
fn describe(step: &Value) -> String {
    let call = step["call"].as_str().unwrap_or("?");
    match step["request"]["id"].as_str() {
        Some(id) if step["request"]["type"].is_string() => format!("{call} {id}"),
        _ => call.to_owned(),
    }
}

fn difference(
    step: &str,
    path: &str,
    expected: Option<&Value>,
    actual: Option<&Value>,
) -> Difference {
    let shown = |value: Option<&Value>| value.map_or_else(|| "(absent)".to_owned(), short);
    Difference {
        step: step.to_owned(),
        path: path.to_owned(),
        expected: shown(expected),
        actual: shown(actual),
    }
}

/// A value on one line, cut to a readable length.
fn short(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(300) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text,
    }
}
