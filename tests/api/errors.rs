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
async fn a_wrong_method_is_a_405_problem_that_names_the_allowed_ones() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;

    let response = app
        .store(&shop, Method::DELETE, "/v1/members/ana")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["allow"].to_str().unwrap(),
        "GET, PATCH, HEAD"
    );
    let problem = assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;
    assert!(
        problem["detail"].as_str().unwrap().contains("DELETE"),
        "{problem}"
    );

    let response = app.request(Method::GET, "/v1/events").send().await.unwrap();
    assert_eq!(response.headers()["allow"].to_str().unwrap(), "POST");
    assert_problem(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
    )
    .await;

    let preview = app
        .request(Method::DELETE, "/v1/admin/programs/shop/rules/preview")
        .send()
        .await
        .unwrap();
    assert_eq!(
        preview.headers()["allow"].to_str().unwrap(),
        "POST",
        "the literal route names the methods, not `/rules/{{slug}}`"
    );

    let response = app
        .request(Method::PUT, "/openapi.json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["allow"].to_str().unwrap(), "GET, HEAD");
    assert_eq!(
        app.member(&shop, "ana").await["status"],
        "active",
        "nothing changed"
    );
}

#[tokio::test]
async fn head_on_a_get_route_sends_its_headers_without_a_body() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;

    let get = app
        .store(&shop, Method::GET, "/v1/members/ana")
        .send()
        .await
        .unwrap();
    let length = get.text().await.unwrap().len();
    let head = app
        .store(&shop, Method::HEAD, "/v1/members/ana")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-type"], "application/json");
    assert_eq!(
        head.headers()["content-length"].to_str().unwrap(),
        length.to_string()
    );
    assert!(head.bytes().await.unwrap().is_empty());

    let missing = app
        .store(&shop, Method::HEAD, "/v1/members/nobody")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let on_post = app
        .request(Method::HEAD, "/v1/events")
        .send()
        .await
        .unwrap();
    assert_eq!(on_post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(on_post.headers()["allow"].to_str().unwrap(), "POST");
}

#[tokio::test]
async fn the_documentation_answers_at_the_address_the_readme_gives() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .get(format!("{}/docs", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PERMANENT_REDIRECT);
    assert_eq!(response.headers()["location"], "/docs/");
    let page = app.request(Method::GET, "/docs").send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(
        page.text().await.unwrap().contains("swagger"),
        "the Swagger UI page"
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
