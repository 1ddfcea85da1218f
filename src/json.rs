//! JSON documents into typed values, with errors that name the offending field.

use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::error::Category;

use crate::error::AppError;

/// For fields where `null` means something: tells a field sent as `null` (`Some(None)`) from
/// one not sent (`None`, with `#[serde(default)]`).
pub fn present<'de, T: serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// Splits `{slug, ...rest}` into the slug (checked) and the rest; errors name the field after
/// `prefix`.
pub fn take_slug(
    mut body: serde_json::Value,
    prefix: &str,
) -> Result<(String, serde_json::Value), AppError> {
    let slug = match body.as_object_mut().map(|o| o.remove("slug")) {
        Some(Some(serde_json::Value::String(slug))) => slug,
        Some(_) => {
            return Err(AppError::invalid(
                format!("{prefix}slug"),
                format!("{prefix}slug: give a slug"),
            ));
        }
        None => {
            return Err(AppError::invalid(
                format!("{prefix}body"),
                format!("{prefix}body: expected an object"),
            ));
        }
    };
    Ok((crate::domain::slug(&format!("{prefix}slug"), &slug)?, body))
}

/// Parses JSON text into `T`. A number written with a zero fraction (`7.0`) is the integer
/// it equals, as JSON Schema reads it; a NUL character anywhere is refused (PostgreSQL
/// cannot store one), naming the field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut value: Value =
        serde_json::from_slice(bytes).map_err(|error| describe("", ".", error))?;
    normalise(&mut value, "")?;
    from_value(value, "")
}

/// The largest integer a float spells exactly.
const EXACT_FLOAT_INTEGER: f64 = 9_007_199_254_740_992.0;

fn normalise(value: &mut Value, path: &str) -> Result<(), AppError> {
    let field = || if path.is_empty() { "body" } else { path };
    match value {
        Value::Number(n) => {
            let whole = n.as_f64().filter(|f| n.is_f64() && f.fract() == 0.0);
            if let Some(f) = whole.filter(|f| f.abs() <= EXACT_FLOAT_INTEGER) {
                // Exact: the float is an integer no larger than 2^53.
                *value = Value::from(f as i64);
            }
        }
        Value::String(s) if s.contains('\0') => return Err(nul(field())),
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                normalise(item, &format!("{}[{i}]", field()))?;
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let inner = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                if key.contains('\0') {
                    return Err(nul(&inner));
                }
                normalise(item, &inner)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn nul(field: &str) -> AppError {
    AppError::invalid(field, format!("{field}: must not contain a NUL character"))
}

/// Converts a JSON value into `T`; field names in errors start with `prefix` (`rules[2].`).
pub fn from_value<T: DeserializeOwned>(value: Value, prefix: &str) -> Result<T, AppError> {
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        describe(prefix, &path, error.into_inner())
    })
}

fn describe(prefix: &str, path: &str, error: serde_json::Error) -> AppError {
    match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => {
            AppError::MalformedJson(error.to_string())
        }
        Category::Data => {
            let message = without_position(&error);
            // serde reports a missing field at its parent: name the field itself.
            let missing = message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next());
            let unknown = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next());
            // A field named by the empty string is shown as `""`, never as no field at all.
            let named = missing.or(unknown).map(|name| match name {
                "" => "\"\"",
                name => name,
            });
            let field = match (path, named) {
                ("." | "", Some(name)) => name.to_owned(),
                (parent, Some(name @ "\"\"")) => format!("{}.{name}", parent.trim_end_matches('.')),
                (parent, Some(name)) if !parent.ends_with(name) => format!("{parent}.{name}"),
                (".", None) => "body".to_owned(),
                (parent, _) => parent.to_owned(),
            };
            let field = format!("{prefix}{field}");
            AppError::invalid(field.clone(), format!("{field}: {message}"))
        }
    }
}

fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    match message.find(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        points: i64,
        items: Vec<Item>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        quantity: u32,
    }

    fn field_of(json: &str) -> String {
        match parse::<Body>(json.as_bytes()) {
            Err(AppError::Validation(field)) => field.field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_offending_field() {
        assert_eq!(field_of(r#"{"items": []}"#), "points");
        assert_eq!(field_of(r#"{"points": "ten", "items": []}"#), "points");
        assert_eq!(
            field_of(r#"{"points": 1, "items": [{"quantity": -1}]}"#),
            "items[0].quantity"
        );
        assert_eq!(
            field_of(r#"{"points": 1, "items": [], "pionts": 2}"#),
            "pionts"
        );
    }

    #[test]
    fn an_unknown_field_named_by_the_empty_string_is_named_as_such() {
        assert_eq!(field_of(r#"{"points": 1, "items": [], "": 2}"#), r#""""#);
        let value = serde_json::json!({"points": 1, "items": [], "": 2});
        match from_value::<Body>(value, "rules[3].") {
            Err(AppError::Validation(field)) => assert_eq!(field.field, r#"rules[3]."""#),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn whole_floats_are_integers_and_nul_is_refused() {
        let body: Body = parse(br#"{"points": 7.0, "items": [{"quantity": 2.0}]}"#).unwrap();
        assert_eq!((body.points, body.items[0].quantity), (7, 2));
        assert_eq!(field_of(r#"{"points": 7.5, "items": []}"#), "points");
        assert_eq!(
            field_of(r#"{"points": 1, "items": [{"quantity": 1e300}]}"#),
            "items[0].quantity"
        );
        assert_eq!(
            field_of(r#"{"points": 1, "items": [], "x": {"a": ["\u0000"]}}"#),
            "x.a[0]"
        );
    }

    #[test]
    fn a_prefix_places_the_field_in_a_larger_document() {
        let value = serde_json::json!({"points": 1, "items": [{}]});
        match from_value::<Body>(value, "rules[3].") {
            Err(AppError::Validation(field)) => {
                assert_eq!(field.field, "rules[3].items[0].quantity")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        assert!(matches!(
            parse::<Body>(b"{\"points\": "),
            Err(AppError::MalformedJson(_))
        ));
        assert!(matches!(
            parse::<Body>(br#"{"points": 1, "items": []} trailing"#),
            Err(AppError::MalformedJson(_))
        ));
    }
}
