//! What the contract check (schemathesis, `.ci/contract`) found, kept: the service answers as
//! its OpenAPI document says, and the document says what the validators enforce.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_invalid, assert_problem, body};

#[tokio::test]
async fn a_nul_character_in_a_path_query_or_body_is_a_4xx_naming_the_field() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    let admin = app.admin_token().await;

    let response = app
        .store(&shop, Method::GET, "/v1/members/a%00b")
        .send()
        .await
        .unwrap();
    let problem = assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .starts_with("external_id:"),
        "{problem}"
    );

    let response = app
        .request(Method::GET, "/v1/admin/programs/shop/members?q=a%00")
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_invalid(response, "q").await;

    let response = app
        .store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "bea", "email": "bea\u{0}@example.com"}))
        .send()
        .await
        .unwrap();
    assert_invalid(response, "email").await;
    let response = app
        .store(&shop, Method::GET, "/v1/members/bea")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "nothing was written"
    );
}

#[tokio::test]
async fn a_whole_number_written_with_a_fraction_is_that_integer() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;

    let response = app
        .store(&shop, Method::POST, "/v1/members/ana/points/adjust")
        .header("content-type", "application/json")
        .header("idempotency-key", "whole-1")
        .body(r#"{"points": 7.0, "reason": "goodwill"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        body(response).await
    );
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 7);

    let response = app
        .store(&shop, Method::POST, "/v1/members/ana/points/adjust")
        .header("content-type", "application/json")
        .header("idempotency-key", "whole-2")
        .body(r#"{"points": 7.5, "reason": "goodwill"}"#)
        .send()
        .await
        .unwrap();
    assert_invalid(response, "points").await;
}

#[tokio::test]
async fn cohort_months_out_of_bounds_are_refused_not_clamped() {
    let app = TestApp::spawn().await;
    app.shop("shop").await;
    let cohorts = "/v1/admin/programs/shop/analytics/cohorts?months=";
    for months in ["0", "37", "2147483648"] {
        let (status, problem) = app
            .admin_call(Method::GET, &format!("{cohorts}{months}"), None)
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{months}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], "months");
    }
    let (status, _) = app
        .admin_call(Method::GET, &format!("{cohorts}36"), None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_cursor_is_digits_and_an_empty_one_is_the_first_page() {
    let app = TestApp::spawn().await;
    app.shop("shop").await;
    let (status, page) = app
        .admin_call(Method::GET, "/v1/admin/programs?cursor=", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["data"][0]["slug"], "shop");
    for cursor in ["-1", "1x", "1234567890123456789"] {
        let (status, problem) = app
            .admin_call(
                Method::GET,
                &format!("/v1/admin/programs?cursor={cursor}"),
                None,
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{cursor}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], "cursor");
    }
}

#[tokio::test]
async fn descriptions_of_streaks_challenges_and_leaderboards_are_checked_text() {
    let app = TestApp::spawn().await;
    app.shop("shop").await;
    let elements = [
        (
            "streaks",
            json!({"slug": "x", "name": "X", "period": "week", "event_type": "purchase",
                   "description": "\u{84}"}),
        ),
        (
            "leaderboards",
            json!({"slug": "x", "name": "X", "metric": {"type": "points_earned"},
                   "period": {"type": "week"}, "description": ""}),
        ),
        (
            "challenges",
            json!({"slug": "x", "name": "X", "window": {"type": "recurring", "every": "week"},
                   "goal": {"type": "count", "target": 3, "event_type": "purchase"},
                   "description": " "}),
        ),
    ];
    for (kind, element) in elements {
        let (status, problem) = app
            .admin_call(
                Method::POST,
                &format!("/v1/admin/programs/shop/{kind}"),
                Some(element),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: {problem}"
        );
        assert_eq!(problem["errors"][0]["field"], "description", "{kind}");
    }
}

#[tokio::test]
async fn the_document_states_the_string_rules_and_new_elements_are_one_object() {
    let app = TestApp::spawn().await;
    let response = app
        .request(Method::GET, "/openapi.json")
        .send()
        .await
        .unwrap();
    let document: Value = body(response).await;
    let schemas = &document["components"]["schemas"];

    let new_rule = &schemas["NewRule"];
    assert!(new_rule.get("allOf").is_none(), "{new_rule}");
    assert_eq!(new_rule["additionalProperties"], false);
    assert!(new_rule["properties"]["slug"]["pattern"].is_string());
    assert!(new_rule["properties"]["event_type"].is_object());
    assert!(
        new_rule["required"]
            .as_array()
            .unwrap()
            .contains(&json!("slug"))
    );

    let zones = schemas["CreateProgram"]["properties"]["time_zone"]["enum"]
        .as_array()
        .unwrap();
    assert!(zones.contains(&json!("Europe/Paris")));
    assert_eq!(schemas["TierPolicy"]["properties"]["levels"]["minItems"], 1);

    let adjust = &document["paths"]["/v1/members/{external_id}/points/adjust"]["post"];
    let key = adjust["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .unwrap();
    assert_eq!(key["schema"]["pattern"], "^[!-~]{1,255}$");
}
