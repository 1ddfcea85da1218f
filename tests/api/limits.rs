//! Per-key request limits: `rate_limit` on storefront keys, the 429 past it and the `RateLimit`
//! headers.

use std::time::Instant;

use fidelio::startup::Application;
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, body, database_args, serve_args};

/// A program `shop` with member `ann`; returns the admin token.
async fn shop_with_a_member(app: &TestApp) -> String {
    let admin = app.admin_token().await;
    app.create_program(&admin, json!({"slug": "shop", "name": "Shop"}))
        .await;
    let key = app.api_key(&admin, "shop", &["members:write"]).await;
    let enrolled = app
        .request(Method::POST, "/v1/members")
        .header("x-api-key", key["key"].as_str().unwrap())
        .json(&json!({"external_id": "ann"}))
        .send()
        .await
        .unwrap();
    assert_eq!(enrolled.status(), StatusCode::CREATED);
    admin
}

/// Issues a `members:read` key of `shop` with this `rate_limit`; returns the created key.
async fn key_limited_to(app: &TestApp, admin: &str, rate_limit: Value) -> Value {
    let created = app
        .request(Method::POST, "/v1/admin/programs/shop/api-keys")
        .bearer_auth(admin)
        .json(&json!({"name": "limited", "scopes": ["members:read"], "rate_limit": rate_limit}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let created = body(created).await;
    assert_eq!(created["rate_limit"], rate_limit);
    created
}

fn secret(key: &Value) -> &str {
    key["key"].as_str().unwrap()
}

async fn read_ann(app: &TestApp, key: &str) -> Response {
    app.request(Method::GET, "/v1/members/ann")
        .header("x-api-key", key)
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

/// Sends reads until one is refused (at most 100); returns how many went through, the refusal
/// and the seconds the burst took.
async fn burst_until_refused(app: &TestApp, key: &str) -> (u32, Response, f64) {
    let started = Instant::now();
    for passed in 0..100 {
        let response = read_ann(app, key).await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            return (passed, response, started.elapsed().as_secs_f64());
        }
        assert_eq!(response.status(), StatusCode::OK);
    }
    panic!("100 requests in a row went through a limited key");
}

/// At most the burst, plus what refilled while the requests were sent.
fn assert_within(passed: u32, per_second: f64, seconds: f64) {
    let allowed = per_second * (1.0 + seconds) + 1.0;
    assert!(
        f64::from(passed) <= allowed,
        "{passed} requests went through in {seconds:.2} s at {per_second}/s"
    );
}

#[tokio::test]
async fn a_key_past_its_limit_is_refused_with_retry_after_and_ratelimit_headers() {
    let app = TestApp::spawn().await;
    let admin = shop_with_a_member(&app).await;
    let key = key_limited_to(&app, &admin, json!(5)).await;

    let first = read_ann(&app, secret(&key)).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        header(&first, "ratelimit-policy"),
        Some("\"default\";q=5;w=1")
    );
    assert_eq!(header(&first, "ratelimit"), Some("\"default\";r=4;t=1"));

    let (passed, refused, seconds) = burst_until_refused(&app, secret(&key)).await;
    assert!(
        passed >= 4,
        "the burst of 5 goes through: {passed} did after the first"
    );
    assert_within(passed + 1, 5.0, seconds);
    assert_eq!(header(&refused, "retry-after"), Some("1"));
    assert_eq!(
        header(&refused, "ratelimit-policy"),
        Some("\"default\";q=5;w=1")
    );
    assert_eq!(header(&refused, "ratelimit"), Some("\"default\";r=0;t=1"));
    let problem = assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate-limited").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("5 requests per second")
    );

    let listed = body(
        app.request(Method::GET, "/v1/admin/programs/shop/api-keys")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let limits: Vec<&Value> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| &k["rate_limit"])
        .collect();
    assert_eq!(limits, [&Value::Null, &json!(5)]);
}

#[tokio::test]
async fn another_key_of_the_program_keeps_its_own_limit_and_a_key_without_one_is_never_limited() {
    let app = TestApp::spawn().await;
    let admin = shop_with_a_member(&app).await;
    let exhausted = key_limited_to(&app, &admin, json!(5)).await;
    let other = key_limited_to(&app, &admin, json!(5)).await;
    let unlimited = key_limited_to(&app, &admin, Value::Null).await;

    burst_until_refused(&app, secret(&exhausted)).await;
    let (passed, _, _) = burst_until_refused(&app, secret(&other)).await;
    assert!(
        passed >= 5,
        "the other key's burst of 5 goes through: {passed} did"
    );

    for _ in 0..60 {
        let response = read_ann(&app, secret(&unlimited)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(header(&response, "ratelimit"), None);
        assert_eq!(header(&response, "ratelimit-policy"), None);
    }
}

#[tokio::test]
async fn a_changed_limit_applies_from_the_next_request() {
    let app = TestApp::spawn().await;
    let admin = shop_with_a_member(&app).await;
    let key = key_limited_to(&app, &admin, json!(1)).await;
    let path = format!("/v1/admin/programs/shop/api-keys/{}", key["id"]);
    let set_limit = |limit: Value| {
        app.request(Method::PATCH, &path)
            .bearer_auth(&admin)
            .json(&json!({"rate_limit": limit}))
            .send()
    };

    assert_eq!(read_ann(&app, secret(&key)).await.status(), StatusCode::OK);
    let refused = read_ann(&app, secret(&key)).await;
    assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "rate-limited").await;

    let raised = body(set_limit(json!(1000)).await.unwrap()).await;
    assert_eq!(raised["rate_limit"], 1000);
    assert_eq!(raised["id"], key["id"]);
    for _ in 0..30 {
        let response = read_ann(&app, secret(&key)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, "ratelimit-policy"),
            Some("\"default\";q=1000;w=1")
        );
    }

    let lifted = body(set_limit(Value::Null).await.unwrap()).await;
    assert_eq!(lifted["rate_limit"], Value::Null);
    let response = read_ann(&app, secret(&key)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(header(&response, "ratelimit"), None);

    set_limit(json!(1)).await.unwrap();
    let (passed, _, seconds) = burst_until_refused(&app, secret(&key)).await;
    assert!(passed >= 1);
    assert_within(passed, 1.0, seconds);

    let unchanged = app
        .request(Method::PATCH, &path)
        .bearer_auth(&admin)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(body(unchanged).await["rate_limit"], 1);
    let missing = app
        .request(Method::PATCH, "/v1/admin/programs/shop/api-keys/999")
        .bearer_auth(&admin)
        .json(&json!({"rate_limit": 5}))
        .send()
        .await
        .unwrap();
    assert_problem(missing, StatusCode::NOT_FOUND, "not-found").await;
}

#[tokio::test]
async fn a_bad_rate_limit_is_422_naming_the_field_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let admin = shop_with_a_member(&app).await;
    let key = key_limited_to(&app, &admin, json!(7)).await;
    let path = format!("/v1/admin/programs/shop/api-keys/{}", key["id"]);
    let bad = [
        json!(0),
        json!(-1),
        json!(100_001),
        json!(1_000_000_000_000_i64),
        json!(1e30),
        json!(2.5),
        json!("5"),
        json!([5]),
    ];
    for value in bad {
        let created = app
            .request(Method::POST, "/v1/admin/programs/shop/api-keys")
            .bearer_auth(&admin)
            .json(&json!({"name": "bad", "scopes": ["members:read"], "rate_limit": value}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(
            created,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(
            problem["errors"][0]["field"], "rate_limit",
            "{value}: {problem}"
        );

        let changed = app
            .request(Method::PATCH, &path)
            .bearer_auth(&admin)
            .json(&json!({"rate_limit": value}))
            .send()
            .await
            .unwrap();
        let problem = assert_problem(
            changed,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(
            problem["errors"][0]["field"], "rate_limit",
            "{value}: {problem}"
        );
    }

    let listed = body(
        app.request(Method::GET, "/v1/admin/programs/shop/api-keys")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let keys = listed["data"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "no bad key was created: {listed}");
    assert_eq!(keys[1]["rate_limit"], 7);
}

#[tokio::test]
async fn concurrent_requests_never_get_past_a_keys_limit() {
    let app = TestApp::spawn().await;
    let admin = shop_with_a_member(&app).await;
    let key = key_limited_to(&app, &admin, json!(5)).await;
    let started = Instant::now();
    let tasks: Vec<_> = (0..40)
        .map(|_| {
            let request = app
                .request(Method::GET, "/v1/members/ann")
                .header("x-api-key", secret(&key));
            tokio::spawn(async move { request.send().await.unwrap().status() })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    let seconds = started.elapsed().as_secs_f64();
    let passed = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(passed + refused, 40, "{statuses:?}");
    assert!(passed >= 5, "the burst of 5 goes through: {statuses:?}");
    assert_within(u32::try_from(passed).unwrap(), 5.0, seconds);
}

/// Each process keeps its own buckets: two instances on one database let a key through twice.
#[tokio::test]
async fn each_instance_limits_a_key_on_its_own() {
    let app = TestApp::spawn().await;
    let admin = shop_with_a_member(&app).await;
    let key = key_limited_to(&app, &admin, json!(5)).await;
    let second = Application::build(&database_args(&app.database.url), &serve_args())
        .await
        .unwrap();
    let second_address = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());

    burst_until_refused(&app, secret(&key)).await;
    let on_second = app
        .client
        .get(format!("{second_address}/v1/members/ann"))
        .header("x-api-key", secret(&key))
        .send()
        .await
        .unwrap();
    assert_eq!(on_second.status(), StatusCode::OK);
    assert_eq!(header(&on_second, "ratelimit"), Some("\"default\";r=4;t=1"));
}

#[tokio::test]
async fn the_openapi_document_describes_the_limit() {
    let app = TestApp::spawn().await;
    let document = body(
        app.request(Method::GET, "/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let patch = &document["paths"]["/v1/admin/programs/{program}/api-keys/{id}"]["patch"];
    assert!(patch["responses"]["422"].is_object(), "{patch}");
    let schemas = &document["components"]["schemas"];
    for schema in ["CreateApiKey", "UpdateApiKey", "ApiKeyView"] {
        assert!(
            schemas[schema]["properties"]["rate_limit"].is_object(),
            "{schema}: {}",
            schemas[schema]
        );
    }
    assert_eq!(
        schemas["UpdateApiKey"]["properties"]["rate_limit"]["maximum"],
        100_000
    );
    let key_scheme = document["components"]["securitySchemes"]["api_key"]["description"]
        .as_str()
        .unwrap();
    assert!(key_scheme.contains("429 `rate-limited`"), "{key_scheme}");
}
