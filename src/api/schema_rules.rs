//! What the validators enforce on strings, added to the OpenAPI document once its paths are
//! collected, so that a client (and schemathesis) can tell a valid request from the schema
//! alone: slugs, time zones, roles, free text, emails and external ids of request bodies,
//! the `Idempotency-Key` header, and the new elements' `{slug, ...definition}` as one object.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use utoipa::openapi::OpenApi;

use crate::auth::Scope;

/// A slug: `domain::slug`.
const SLUG: &str = "^[a-z0-9][a-z0-9-]{0,63}$";
/// Free text: `domain::text` (no control character, something left once trimmed).
const TEXT: &str = "^[^\\u0000-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u001F\\u007F-\\u009F]*$";
/// An email's shape: `domain::email`.
const EMAIL: &str = "^[^\\s\\u0000@]+@[^\\s\\u0000.][^\\s\\u0000]*\\.[^\\s\\u0000]*[^\\s\\u0000.]$";
/// A storefront's id for a customer: `domain::external_id`.
const EXTERNAL_ID: &str = "^[!\"$&-.0->@-\\[\\]-~]{1,128}$";
/// An event type: a known one or a custom name (`engine::EventType`).
const EVENT_TYPE: &str = "^[a-z][a-z0-9_]{0,63}$";
/// A currency: three letters (`domain::Currency`).
const CURRENCY: &str = "^[A-Za-z]{3}$";
/// Money as a decimal string, well inside `bounds::MAX_MONEY`.
const MONEY: &str = "^[0-9]{1,8}(\\.[0-9]{1,2})?$";
/// An amount above 0, as a decimal string.
const POSITIVE_AMOUNT: &str = "^[1-9][0-9]{0,7}(\\.[0-9]{1,2})?$";
/// An event's id: 1 to 128 visible ASCII characters.
const EVENT_ID: &str = "^[!-~]{1,128}$";
/// A share, 0 to 1.
const SHARE: &str = "^(0(\\.[0-9]{1,6})?|1(\\.0{1,6})?)$";
/// A point's value, 0 to 1000 with at most 6 decimal places.
const POINT_VALUE: &str = "^[0-9]{1,3}(\\.[0-9]{1,6})?$";
/// Any text without a NUL character: `json::parse` refuses one anywhere in a body.
const NO_NUL: &str = "^[^\\u0000]*$";
/// `Idempotency-Key`: 1 to 255 visible ASCII characters.
const IDEMPOTENCY_KEY: &str = "^[!-~]{1,255}$";

/// Fields of free text, by name.
const TEXT_FIELDS: [&str; 8] = [
    "name",
    "reason",
    "description",
    "point_name",
    "order_id",
    "channel",
    "payment",
    "sku",
];

/// The document as served: `openapi` with the rules added.
pub fn document(openapi: &OpenApi) -> Value {
    let mut document = serde_json::to_value(openapi).unwrap_or_default();
    tighten(&mut document);
    document
}

fn tighten(document: &mut Value) {
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in operation.values_mut() {
                idempotency_key(op);
            }
        }
    }
    let bodies = request_schemas(document);
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let components = schemas.clone();
    for schema in schemas.values_mut() {
        merge_all_of(schema, &components);
    }
    for (name, schema) in schemas.iter_mut() {
        decimals(schema);
        if bodies.contains(name) {
            strings(schema);
            close_variants(schema);
        }
        if name == "AdjustPoints"
            && let Some(points) = schema.pointer_mut("/properties/points")
        {
            points["not"] = json!({"const": 0});
        }
        if name == "TierPolicy"
            && let Some(levels) = schema.pointer_mut("/properties/levels")
        {
            levels["minItems"] = json!(1);
        }
    }
}

fn idempotency_key(operation: &mut Value) {
    let Some(parameters) = operation
        .get_mut("parameters")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for parameter in parameters {
        if parameter["in"] == "header" && parameter["name"] == "Idempotency-Key" {
            parameter["schema"] = json!({"type": "string", "pattern": IDEMPOTENCY_KEY});
        }
        // Every query string refuses a NUL (`api::query::parse`).
        let in_query = parameter["in"] == "query";
        let schema = &mut parameter["schema"];
        if in_query && schema["type"] == "string" && schema.get("pattern").is_none() {
            schema["pattern"] = json!(NO_NUL);
        }
    }
}

/// The component schemas a request body names, directly or through others.
fn request_schemas(document: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = Vec::new();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for item in paths.values().filter_map(Value::as_object) {
            for operation in item.values() {
                if let Some(body) = operation.get("requestBody") {
                    refs(body, &mut pending);
                }
            }
        }
    }
    while let Some(name) = pending.pop() {
        if found.insert(name.clone())
            && let Some(schema) = document.pointer(&format!("/components/schemas/{name}"))
        {
            refs(schema, &mut pending);
        }
    }
    found
}

fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.push(name.to_owned());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// `allOf` of objects (a flattened definition beside a slug or an id) as one object, so that
/// one part's `additionalProperties: false` does not refuse the other part's properties.
fn merge_all_of(schema: &mut Value, components: &Map<String, Value>) {
    match schema {
        Value::Object(map) => map.values_mut().for_each(|v| merge_all_of(v, components)),
        Value::Array(items) => items.iter_mut().for_each(|v| merge_all_of(v, components)),
        _ => {}
    }
    let Some(parts) = schema.get("allOf").and_then(Value::as_array) else {
        return;
    };
    let resolve = |part: &Value| -> Option<Value> {
        match part.get("$ref").and_then(Value::as_str) {
            Some(r) => components
                .get(r.strip_prefix("#/components/schemas/")?)
                .cloned(),
            None => Some(part.clone()),
        }
    };
    let Some(parts) = parts.iter().map(resolve).collect::<Option<Vec<Value>>>() else {
        return;
    };
    if !parts.iter().all(|p| p["type"] == "object") {
        return;
    }
    let mut properties = Map::new();
    let mut required = Vec::new();
    let mut closed = false;
    for part in &parts {
        if let Some(p) = part["properties"].as_object() {
            properties.extend(p.clone());
        }
        if let Some(r) = part["required"].as_array() {
            required.extend(r.iter().cloned());
        }
        closed |= part["additionalProperties"] == false;
    }
    let mut merged = json!({"type": "object", "required": required, "properties": properties});
    if closed {
        merged["additionalProperties"] = json!(false);
    }
    if let Some(description) = schema.get("description") {
        merged["description"] = description.clone();
    }
    *schema = merged;
}

/// Closes the variants of a tagged enum (objects told apart by an enumerated `type`) that
/// have fields: their types refuse unknown fields.
fn close_variants(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(variants)) = map.get_mut("oneOf") {
                for variant in variants.iter_mut() {
                    // serde lets a unit variant (`{"type": "never"}`) carry unknown fields.
                    let fields = variant["properties"].as_object().map_or(0, Map::len);
                    if variant["type"] == "object"
                        && variant.pointer("/properties/type/enum").is_some()
                        && fields > 1
                    {
                        variant["additionalProperties"] = json!(false);
                    }
                }
            }
            map.values_mut().for_each(close_variants);
        }
        Value::Array(items) => items.iter_mut().for_each(close_variants),
        _ => {}
    }
}

/// Calls `change` with the name and schema of every property of every object in `schema`.
fn each_property(schema: &mut Value, change: &mut impl FnMut(&str, &mut Value)) {
    match schema {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    change(name, property);
                }
            }
            map.values_mut().for_each(|v| each_property(v, change));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| each_property(v, change)),
        _ => {}
    }
}

/// Types the progress thresholds and targets, kept as JSON values: a count (an integer) or
/// money (a decimal string).
fn decimals(schema: &mut Value) {
    each_property(schema, &mut |name, property| {
        let nullable = property["type"] == json!(["object", "null"]);
        if ["threshold", "target"].contains(&name) && (nullable || property["type"] == "object") {
            property["type"] = if nullable {
                json!(["integer", "string", "null"])
            } else {
                json!(["integer", "string"])
            };
            property["minimum"] = json!(1);
        }
    });
}

/// Adds the string rules, by field name, to every object in `schema`.
fn strings(schema: &mut Value) {
    each_property(schema, &mut rule);
}

fn rule(name: &str, property: &mut Value) {
    if name == "scopes" && property["type"] == "array" {
        let scopes: Vec<Value> = Scope::ALL.iter().map(|s| json!(s.to_string())).collect();
        property["items"] = json!({"type": "string", "enum": scopes});
        property["minItems"] = json!(1);
        return;
    }
    if name == "effects" && property["type"] == "array" {
        property["minItems"] = json!(1);
        return;
    }
    let is_string = match &property["type"] {
        Value::String(t) => t == "string",
        Value::Array(types) => types.iter().any(|t| t == "string"),
        _ => false,
    };
    let constrained = ["pattern", "enum", "format"]
        .iter()
        .any(|k| property.get(k).is_some());
    if !is_string || constrained {
        return;
    }
    let nullable = property["type"].is_array();
    match name {
        "slug" => property["pattern"] = json!(SLUG),
        "email" => {
            property["pattern"] = json!(EMAIL);
            property["maxLength"] = json!(254);
        }
        "external_id" | "member" => property["pattern"] = json!(EXTERNAL_ID),
        "type" | "event_type" => property["pattern"] = json!(EVENT_TYPE),
        "currency" => property["pattern"] = json!(CURRENCY),
        "amount" | "shipping" | "unit_price" | "program_cost_per_month" => {
            property["pattern"] = json!(MONEY)
        }
        "attributed_revenue_share" => property["pattern"] = json!(SHARE),
        "threshold" | "target" => property["pattern"] = json!(POSITIVE_AMOUNT),
        "id" => property["pattern"] = json!(EVENT_ID),
        "reward" | "badge" | "voucher" => property["pattern"] = json!(SLUG),
        "password" => {
            property["minLength"] = json!(crate::auth::password::MIN_LENGTH);
            property["maxLength"] = json!(crate::auth::password::MAX_LENGTH);
            property["pattern"] = json!(NO_NUL);
        }
        "point_value" => property["pattern"] = json!(POINT_VALUE),
        "time_zone" => {
            let mut zones: Vec<Value> = chrono_tz::TZ_VARIANTS
                .iter()
                .map(|tz| json!(tz.name()))
                .collect();
            if nullable {
                zones.push(Value::Null);
            }
            property["enum"] = Value::Array(zones);
        }
        "role" => {
            let mut roles = vec![json!("owner"), json!("manager"), json!("analyst")];
            if nullable {
                roles.push(Value::Null);
            }
            property["enum"] = Value::Array(roles);
        }
        _ if TEXT_FIELDS.contains(&name) => property["pattern"] = json!(TEXT),
        _ => property["pattern"] = json!(NO_NUL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_all_of_of_objects_becomes_one_object() {
        let mut schema = json!({"allOf": [
            {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}},
             "additionalProperties": false},
            {"type": "object", "required": ["slug"], "properties": {"slug": {"type": "string"}}},
        ]});
        merge_all_of(&mut schema, &Map::new());
        assert_eq!(schema["required"], json!(["name", "slug"]));
        assert_eq!(schema["additionalProperties"], json!(false));
        assert!(schema["properties"]["slug"].is_object());
    }

    #[test]
    fn string_fields_get_the_validators_rules() {
        let mut schema = json!({"type": "object", "properties": {
            "slug": {"type": "string"},
            "time_zone": {"type": ["string", "null"]},
            "name": {"type": "string"},
            "points": {"type": "integer"},
        }});
        strings(&mut schema);
        assert_eq!(schema["properties"]["slug"]["pattern"], json!(SLUG));
        let zones = schema["properties"]["time_zone"]["enum"]
            .as_array()
            .unwrap();
        assert!(zones.contains(&json!("America/New_York")) && zones.contains(&Value::Null));
        assert_eq!(schema["properties"]["name"]["pattern"], json!(TEXT));
        assert!(schema["properties"]["points"].get("pattern").is_none());
    }
}
