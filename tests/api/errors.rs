//! Every error is a problem document that says what is wrong, and writes nothing.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, assert_problem};

#[tokio::test]
async fn unknown_routes_are_problems() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/v1/nothing-here")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("/v1/nothing-here")
    );
}

#[tokio::test]
async fn malformed_json_is_a_400_problem() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let response = app
        .request(Method::POST, "/v1/admin/programs")
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(r#"{"slug": "a", "name": "#)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "malformed-json").await;
}

#[tokio::test]
async fn a_wrong_content_type_is_a_415_problem() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let response = app
        .request(Method::POST, "/v1/admin/programs")
        .bearer_auth(&admin)
        .header("content-type", "text/plain")
        .body(r#"{"slug": "a", "name": "A"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(
        response,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported-media-type",
    )
    .await;
}

#[tokio::test]
async fn an_oversized_body_is_a_413_problem() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let huge = json!({"slug": "a", "name": "x".repeat(70 * 1024)});
    let response = app
        .request(Method::POST, "/v1/admin/programs")
        .bearer_auth(&admin)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large").await;
}

#[tokio::test]
async fn validation_problems_name_the_field_and_write_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let cases = [
        (json!({"slug": "Bad Slug", "name": "A"}), "slug"),
        (
            json!({"slug": "a", "name": "A", "time_zone": "Mars/Base"}),
            "time_zone",
        ),
        (
            json!({"slug": "a", "name": "A", "currency": "dollars"}),
            "currency",
        ),
        (
            json!({"slug": "a", "name": "A", "point_value": "-1"}),
            "point_value",
        ),
        (json!({"slug": "a"}), "name"),
        (json!({"slug": "a", "name": 5}), "name"),
        (json!({"slug": "a", "name": "A", "colour": "red"}), "colour"),
    ];
    for (request, field) in cases {
        let response = app
            .request(Method::POST, "/v1/admin/programs")
            .bearer_auth(&admin)
            .json(&request)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(field),
            "{problem}"
        );
    }
    let listed = crate::helpers::body(
        app.request(Method::GET, "/v1/admin/programs")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_bad_query_parameter_is_named() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let response = app
        .request(Method::GET, "/v1/admin/programs?limit=many")
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "limit");
}

#[tokio::test]
async fn list_pages_are_capped() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    for i in 0..3 {
        app.create_program(&admin, json!({"slug": format!("p{i}"), "name": "P"}))
            .await;
    }
    let page = crate::helpers::body(
        app.request(Method::GET, "/v1/admin/programs?limit=2")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let rest = crate::helpers::body(
        app.request(
            Method::GET,
            &format!("/v1/admin/programs?limit=100000&cursor={cursor}"),
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), 1);
    assert_eq!(rest["data"][0]["slug"], "p2");
}
