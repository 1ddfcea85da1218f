//! Hostile bodies and query strings against the real service: bodies past the 64 KiB limit
//! (413) and exactly at it (read), nested 10,000 deep, in encodings that are not UTF-8, with
//! NUL bytes, overlong sequences, lone surrogates and content-type variants, sent to an event,
//! a rule, a tier and a reward route, and odd query strings. Every answer is a clean
//! problem+json (never a 5xx), and nothing is written: no event, rule, reward or ladder, and
//! the ledger verifies.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Shop, TestApp, body};

/// The largest body the service reads.
const LIMIT: usize = 64 * 1024;

/// What is sent (named), its content type, its bytes, and the status expected.
type Case<'a> = (&'a str, Option<&'a str>, Vec<u8>, Option<StatusCode>);

/// One program with a member, an admin and the routes under attack.
struct Target {
    app: TestApp,
    shop: Shop,
    admin: String,
}

/// A route and a valid body for it.
struct Route {
    method: Method,
    path: String,
    valid: Value,
}

impl Target {
    async fn new() -> Target {
        let app = TestApp::spawn().await;
        let shop = app.shop("shop").await;
        let admin = app.admin_token().await;
        app.enrol(&shop, "m").await;
        Target { app, shop, admin }
    }

    fn routes(&self) -> Vec<Route> {
        let program = format!("/v1/admin/programs/{}", self.shop.slug);
        vec![
            Route {
                method: Method::POST,
                path: "/v1/events".into(),
                valid: json!({"type": "purchase", "id": "e-ok", "member": "m", "amount": "10.00"}),
            },
            Route {
                method: Method::POST,
                path: format!("{program}/rules"),
                valid: json!({"slug": "ok", "name": "1 per 1", "event_type": "purchase",
                              "effects": [{"type": "points_per_amount", "rate": "1"}]}),
            },
            Route {
                method: Method::PUT,
                path: format!("{program}/tiers"),
                valid: json!({"metric": {"type": "points_earned"}, "window": {"type": "lifetime"},
                              "levels": [{"name": "Base", "threshold": "0"}]}),
            },
            Route {
                method: Method::POST,
                path: format!("{program}/rewards"),
                valid: json!({"slug": "ok", "name": "Gift", "cost": 0, "kind": "gift"}),
            },
        ]
    }

    /// Sends `bytes` to the route as `content_type` (none when `None`).
    async fn send(
        &self,
        route: &Route,
        content_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let mut request = self.app.request(route.method.clone(), &route.path);
        request = if route.path.starts_with("/v1/admin") {
            request.bearer_auth(&self.admin)
        } else {
            request.header("x-api-key", &self.shop.key)
        };
        if let Some(content_type) = content_type {
            request = request.header("content-type", content_type);
        }
        request.body(bytes).send().await.unwrap()
    }

    /// Asserts that nothing was written: no event, rule, reward or ladder, no points, and
    /// the ledger verifies.
    async fn nothing_written(&self) {
        let program = format!("/v1/admin/programs/{}", self.shop.slug);
        for list in ["rules", "rewards"] {
            let response = self
                .app
                .request(Method::GET, &format!("{program}/{list}"))
                .bearer_auth(&self.admin)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(body(response).await["data"], json!([]), "{list}");
        }
        let tiers = self
            .app
            .request(Method::GET, &format!("{program}/tiers"))
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap();
        assert_ne!(tiers.status(), StatusCode::OK, "a ladder was stored");
        let ledger = self
            .app
            .request(Method::GET, &format!("{program}/members/m/ledger"))
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(ledger.status(), StatusCode::OK);
        assert_eq!(body(ledger).await["data"], json!([]), "ledger entries");
        let event = self
            .app
            .store(&self.shop, Method::GET, "/v1/events/e-ok")
            .send()
            .await
            .unwrap();
        assert_eq!(
            event.status(),
            StatusCode::NOT_FOUND,
            "an event was recorded"
        );
        self.app.assert_ledger_verifies().await;
    }
}

/// Asserts a refusal: a 4xx problem+json with a code and a detail; a 422 names the field.
async fn refused(response: reqwest::Response, what: &str) -> (StatusCode, Value) {
    let status = response.status();
    assert!(status.is_client_error(), "{what}: {status}");
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        content_type.as_deref(),
        Some("application/problem+json"),
        "{what}"
    );
    let problem = body(response).await;
    assert_eq!(problem["status"], status.as_u16(), "{what}: {problem}");
    assert!(problem["code"].as_str().is_some_and(|c| !c.is_empty()));
    assert!(problem["detail"].as_str().is_some_and(|d| !d.is_empty()));
    if status == StatusCode::UNPROCESSABLE_ENTITY {
        let field = problem["errors"][0]["field"].as_str().unwrap_or_default();
        assert!(!field.is_empty(), "{what}: no field in {problem}");
    }
    (status, problem)
}

fn text(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap()
}

/// `value` as JSON text padded with spaces to `size` bytes.
fn padded(value: &Value, size: usize) -> Vec<u8> {
    let mut bytes = text(value);
    bytes.resize(size, b' ');
    bytes
}

/// `depth` arrays or objects, one inside the other.
fn nested(depth: usize, object: bool) -> String {
    let (open, close) = if object { ("{\"a\":", "}") } else { ("[", "]") };
    format!("{}1{}", open.repeat(depth), close.repeat(depth))
}

/// The valid body's text with one more field, `deep`, of the JSON text `value`.
fn field(valid: &Value, value: &str) -> Vec<u8> {
    let mut bytes = text(valid);
    bytes.pop();
    [bytes, format!(",\"deep\":{value}}}").into_bytes()].concat()
}

/// The valid body's text with `splinter` put inside its first string value.
fn with_splinter(valid: &Value, splinter: &[u8]) -> Vec<u8> {
    let bytes = text(valid);
    let at = bytes.windows(3).position(|w| w == b"\":\"").unwrap() + 3;
    [&bytes[..at], splinter, &bytes[at..]].concat()
}

fn utf16_with_bom(valid: &Value) -> Vec<u8> {
    let text = serde_json::to_string(valid).unwrap();
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

#[tokio::test]
async fn bodies_of_any_size_depth_and_encoding_are_refused_cleanly_and_write_nothing() {
    let target = Target::new().await;
    let json = Some("application/json");
    for route in target.routes() {
        let over = padded(&route.valid, LIMIT + 1);
        let (status, _) = refused(target.send(&route, json, over).await, "over").await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{}", route.path);

        let far_over = vec![b' '; 4 * 1024 * 1024];
        let (status, _) = refused(target.send(&route, json, far_over).await, "4 MiB").await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{}", route.path);

        let (bad, unprocessable, unsupported) = (
            Some(StatusCode::BAD_REQUEST),
            Some(StatusCode::UNPROCESSABLE_ENTITY),
            Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        );
        let valid = &route.valid;
        // `None`: 400 or 422, as the route's body type reads the first field (a field it
        // does not know is refused before its value is read).
        let mut cases: Vec<Case> = vec![
            (
                "arrays 10,000 deep",
                json,
                nested(10_000, false).into_bytes(),
                unprocessable,
            ),
            (
                "objects 10,000 deep",
                json,
                nested(10_000, true).into_bytes(),
                None,
            ),
            (
                "a field 10,000 deep",
                json,
                field(valid, &nested(10_000, true)),
                None,
            ),
            ("empty", json, Vec::new(), bad),
            (
                "invalid UTF-8",
                json,
                with_splinter(valid, b"\xff\xfe"),
                bad,
            ),
            (
                "an overlong slash",
                json,
                with_splinter(valid, b"\xc0\xaf"),
                bad,
            ),
            (
                "an encoded surrogate",
                json,
                with_splinter(valid, b"\xed\xa0\x80"),
                bad,
            ),
            (
                "a lone surrogate escape",
                json,
                with_splinter(valid, b"\\ud800"),
                bad,
            ),
            ("a raw NUL", json, with_splinter(valid, b"\0"), bad),
            (
                "a NUL after the body",
                json,
                [text(valid), b"\0".to_vec()].concat(),
                bad,
            ),
            ("UTF-16 with a BOM", json, utf16_with_bom(valid), bad),
            (
                "UTF-16 declared",
                Some("application/json; charset=utf-16"),
                utf16_with_bom(valid),
                bad,
            ),
            (
                "UTF-8 with a BOM",
                json,
                [b"\xef\xbb\xbf".to_vec(), text(valid)].concat(),
                bad,
            ),
            ("no content type", None, text(valid), unsupported),
            (
                "text/plain",
                Some("text/plain; charset=utf-8"),
                text(valid),
                unsupported,
            ),
            (
                "a form",
                Some("application/x-www-form-urlencoded"),
                b"slug=ok".to_vec(),
                unsupported,
            ),
            (
                "a content type that is not one",
                Some("json"),
                text(valid),
                unsupported,
            ),
            (
                "a number 10,000 digits long",
                json,
                field(valid, &"9".repeat(10_000)),
                None,
            ),
        ];
        // Read as JSON whatever the charset says: the field named by a NUL is refused by name.
        for content_type in [
            "application/json; charset=utf-8",
            "APPLICATION/JSON;CHARSET=UTF-8",
            "application/json; charset=latin1",
            "application/merge-patch+json",
        ] {
            let mut named_by_nul = valid.clone();
            named_by_nul
                .as_object_mut()
                .unwrap()
                .insert("\u{0}".into(), json!(1));
            cases.push((
                "a charset variant",
                Some(content_type),
                text(&named_by_nul),
                unprocessable,
            ));
        }
        for (what, content_type, bytes, expected) in cases {
            let what = format!("{} {}: {what}", route.method, route.path);
            let (status, problem) =
                refused(target.send(&route, content_type, bytes).await, &what).await;
            if let Some(expected) = expected {
                assert_eq!(status, expected, "{what}: {problem}");
            }
        }
    }
    target.nothing_written().await;

    for route in target.routes() {
        let at_limit = padded(&route.valid, LIMIT);
        let response = target.send(&route, json, at_limit).await;
        assert!(
            response.status().is_success(),
            "{} {} exactly at the limit: {}",
            route.method,
            route.path,
            body(response).await
        );
    }
}

#[tokio::test]
async fn odd_query_strings_are_refused_naming_the_parameter_or_answered() {
    let target = Target::new().await;
    let program = format!("/v1/admin/programs/{}", target.shop.slug);
    let queries = [
        "limit=99999999999999999999",
        "limit=-9223372036854775808",
        "limit=1&limit=2",
        "cursor=%ff%fe",
        "cursor=-1",
        "cursor=99999999999999999999",
        "status=%00",
        "q=%00%c0%af",
        "%ff=1",
        "=",
        "&&&",
        "limit",
        "from=%2B262143-12-31",
        "from=0001-01-01&to=9999-12-31",
        "to=-262144-01-01",
        "from=2026-02-30",
        "months=4294967296",
        "since=%2B262143-12-31T23:59:59Z",
        "period=%00",
    ];
    let long = format!("q={}", "x".repeat(6 * 1024));
    let paths = [
        "members",
        "rules",
        "rewards",
        "badges",
        "analytics/summary",
        "analytics/cohorts",
    ];
    for path in paths {
        for query in queries.iter().copied().chain([long.as_str()]) {
            let url = format!("{program}/{path}?{query}");
            let response = target
                .app
                .request(Method::GET, &url)
                .bearer_auth(&target.admin)
                .send()
                .await
                .unwrap();
            if response.status() != StatusCode::OK {
                refused(response, &url).await;
            }
        }
    }
    let audit = "/v1/admin/audit?since=%2B262143-12-31T23:59:59Z&actor=%00&program=%ff";
    let response = target
        .app
        .request(Method::GET, audit)
        .bearer_auth(&target.admin)
        .send()
        .await
        .unwrap();
    if response.status() != StatusCode::OK {
        refused(response, audit).await;
    }
    target.nothing_written().await;
}

#[tokio::test]
async fn a_nul_in_a_query_parameter_is_refused_naming_it() {
    let target = Target::new().await;
    let program = format!("/v1/admin/programs/{}", target.shop.slug);
    let cases = [
        ("q=a%00b", "q"),
        ("status=%00", "status"),
        ("%00=1", "\\0"),
        ("=%00", "\"\""),
    ];
    for (query, field) in cases {
        let url = format!("{program}/members?{query}");
        let response = target
            .app
            .request(Method::GET, &url)
            .bearer_auth(&target.admin)
            .send()
            .await
            .unwrap();
        let (status, problem) = refused(response, &url).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}

#[tokio::test]
async fn a_nul_in_a_path_is_a_404_problem_on_both_databases() {
    let target = Target::new().await;
    let program = format!("/v1/admin/programs/{}", target.shop.slug);
    let admin_paths = [
        format!("{program}/rules/%00"),
        format!("{program}/members/a%00b"),
        "/v1/admin/programs/%00/rules".to_owned(),
    ];
    for path in &admin_paths {
        let response = target
            .app
            .request(Method::GET, path)
            .bearer_auth(&target.admin)
            .send()
            .await
            .unwrap();
        let (status, _) = refused(response, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    for path in [
        "/v1/events/%00",
        "/v1/members/%00",
        "/v1/members/a%00b/points",
    ] {
        let response = target
            .app
            .store(&target.shop, Method::GET, path)
            .send()
            .await
            .unwrap();
        let (status, _) = refused(response, path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
}

/// JSON pointers of every string in `value`.
fn strings(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::String(_) => out.push(at),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                strings(item, format!("{at}/{i}"), out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                strings(item, format!("{at}/{key}"), out);
            }
        }
        _ => {}
    }
}

#[tokio::test]
async fn a_nul_in_any_string_of_a_body_is_refused_naming_it_or_stored() {
    let target = Target::new().await;
    let mut routes = target.routes();
    routes[0].valid = json!({"type": "purchase", "id": "e-1", "member": "m", "amount": "10.00",
        "channel": "web", "payment": "card", "order_id": "o-1",
        "items": [{"sku": "s", "category": "c", "quantity": 1, "unit_price": "10.00"}],
        "properties": {"note": "n"}});
    routes[1].valid["conditions"] = json!([{"field": "channel", "op": "eq", "value": "web"}]);
    routes[3].valid["description"] = json!("d");
    routes.push(Route {
        method: Method::POST,
        path: "/v1/members".into(),
        valid: json!({"external_id": "n", "email": "n@example.com", "name": "N"}),
    });
    routes.push(Route {
        method: Method::POST,
        path: "/v1/auth/login".into(),
        valid: json!({"email": "admin@example.com", "password": "wrong"}),
    });
    for route in &routes {
        let mut pointers = Vec::new();
        strings(&route.valid, String::new(), &mut pointers);
        for pointer in pointers {
            let mut body = route.valid.clone();
            let value = body.pointer_mut(&pointer).unwrap();
            *value = json!(format!("{}\u{0}x", value.as_str().unwrap()));
            let what = format!("{} {} with a NUL at {pointer}", route.method, route.path);
            let response = target
                .send(route, Some("application/json"), text(&body))
                .await;
            if !response.status().is_success() {
                refused(response, &what).await;
            }
        }
    }
    target.app.assert_ledger_verifies().await;
}
