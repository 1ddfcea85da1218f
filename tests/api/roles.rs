//! Admin roles: owners do everything, managers configure and adjust their programs, analysts
//! read theirs. A program an admin does not work in is 404, a change its role forbids 403.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp, assert_problem, body};

async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    json_body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.request(method, path).bearer_auth(token);
    if let Some(json_body) = json_body {
        request = request.json(&json_body);
    }
    request.send().await.unwrap()
}

fn adjustment(points: i64) -> Option<Value> {
    Some(json!({"points": points, "reason": "goodwill"}))
}

#[tokio::test]
async fn a_manager_configures_and_adjusts_its_program_and_nothing_else() {
    let app = TestApp::spawn().await;
    let coffee = app.shop("coffee").await;
    let other = app.shop("other").await;
    app.enrol(&coffee, "ana").await;
    app.enrol(&other, "cy").await;
    let owner = app.admin_token().await;
    let manager = app
        .admin_with_role(&owner, "manager@example.com", "manager", &["coffee"])
        .await;

    let adjust = "/v1/admin/programs/coffee/members/ana/points/adjust";
    let response = call(&app, &manager, Method::POST, adjust, adjustment(40)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(app.member(&coffee, "ana").await["balance"]["available"], 40);
    let rule = json!({"slug": "double", "name": "Double", "event_type": "purchase",
                      "effects": [{"type": "points_per_amount", "rate": "2"}]});
    let response = call(
        &app,
        &manager,
        Method::POST,
        "/v1/admin/programs/coffee/rules",
        Some(rule.clone()),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "{}",
        response.text().await.unwrap()
    );
    let response = call(
        &app,
        &manager,
        Method::PATCH,
        "/v1/admin/programs/coffee",
        Some(json!({"name": "Coffee & co"})),
    )
    .await;
    assert_eq!(body(response).await["name"], "Coffee & co");

    let elsewhere = "/v1/admin/programs/other/members/cy/points/adjust";
    let response = call(&app, &manager, Method::POST, elsewhere, adjustment(40)).await;
    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    assert_eq!(app.member(&other, "cy").await["balance"]["available"], 0);
    let response = call(
        &app,
        &manager,
        Method::POST,
        "/v1/admin/programs/other/rules",
        Some(rule),
    )
    .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    let response = call(
        &app,
        &manager,
        Method::GET,
        "/v1/admin/programs/other",
        None,
    )
    .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;

    let listed = body(call(&app, &manager, Method::GET, "/v1/admin/programs", None).await).await;
    let slugs: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["coffee"]);
    let response = call(
        &app,
        &manager,
        Method::POST,
        "/v1/admin/programs",
        Some(json!({"slug": "new", "name": "New"})),
    )
    .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let response = call(&app, &manager, Method::GET, "/v1/admin/admins", None).await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn an_analyst_reads_its_program_and_every_change_is_refused() {
    let app = TestApp::spawn().await;
    let coffee = app.shop("coffee").await;
    app.shop("other").await;
    app.enrol(&coffee, "ana").await;
    app.give(&coffee, "ana", 100).await;
    let owner = app.admin_token().await;
    let analyst = app
        .admin_with_role(&owner, "analyst@example.com", "analyst", &["coffee"])
        .await;

    let member = body(
        call(
            &app,
            &analyst,
            Method::GET,
            "/v1/admin/programs/coffee/members/ana",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(member["balance"]["available"], 100);
    let response = call(
        &app,
        &analyst,
        Method::GET,
        "/v1/admin/programs/coffee/analytics/summary",
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);

    let changes = [
        (
            Method::POST,
            "/v1/admin/programs/coffee/members/ana/points/adjust",
            adjustment(-50),
        ),
        (
            Method::POST,
            "/v1/admin/programs/coffee/members/ana/close",
            None,
        ),
        (
            Method::PATCH,
            "/v1/admin/programs/coffee/members/ana",
            Some(json!({"name": "Eve"})),
        ),
        (
            Method::PATCH,
            "/v1/admin/programs/coffee",
            Some(json!({"name": "Mine"})),
        ),
        (
            Method::POST,
            "/v1/admin/programs/coffee/api-keys",
            Some(json!({"name": "k", "scopes": ["members:read"]})),
        ),
        (
            Method::POST,
            "/v1/admin/programs/coffee/rewards",
            Some(json!({"slug": "r", "name": "R", "cost": 10, "kind": "gift"})),
        ),
    ];
    for (method, path, json_body) in changes {
        let response = call(&app, &analyst, method.clone(), path, json_body).await;
        assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let member = app.member(&coffee, "ana").await;
    assert_eq!(member["balance"]["available"], 100);
    assert_eq!(member["status"], "active");
    let program =
        body(call(&app, &owner, Method::GET, "/v1/admin/programs/coffee", None).await).await;
    assert_eq!(program["name"], "Shop coffee");
    let response = call(
        &app,
        &analyst,
        Method::GET,
        "/v1/admin/programs/other/members",
        None,
    )
    .await;
    assert_problem(response, StatusCode::NOT_FOUND, "not-found").await;
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn creating_an_admin_names_the_field_that_is_wrong() {
    let app = TestApp::spawn().await;
    app.shop("coffee").await;
    let owner = app.admin_token().await;
    let cases = [
        (
            json!({"email": "a@example.com", "password": ADMIN_PASSWORD, "role": "root", "programs": ["coffee"]}),
            "role",
        ),
        (
            json!({"email": "a@example.com", "password": ADMIN_PASSWORD, "role": "manager", "programs": ["tea"]}),
            "programs",
        ),
        (
            json!({"email": "a@example.com", "password": ADMIN_PASSWORD, "role": "manager"}),
            "programs",
        ),
        (
            json!({"email": "a@example.com", "password": ADMIN_PASSWORD, "role": "owner", "programs": ["coffee"]}),
            "programs",
        ),
        (
            json!({"email": "a@example.com", "password": "short", "role": "analyst", "programs": ["coffee"]}),
            "password",
        ),
        (
            json!({"email": "not an email", "password": ADMIN_PASSWORD, "role": "analyst", "programs": ["coffee"]}),
            "email",
        ),
    ];
    for (request, field) in cases {
        let response = call(
            &app,
            &owner,
            Method::POST,
            "/v1/admin/admins",
            Some(request),
        )
        .await;
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let taken = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "role": "analyst", "programs": ["coffee"]});
    let response = call(&app, &owner, Method::POST, "/v1/admin/admins", Some(taken)).await;
    assert_problem(response, StatusCode::CONFLICT, "admin-exists").await;

    let admins = body(call(&app, &owner, Method::GET, "/v1/admin/admins", None).await).await;
    let admins = admins["data"].as_array().unwrap();
    assert_eq!(admins.len(), 1, "nothing half-written: {admins:?}");
    assert_eq!(admins[0]["role"], "owner");
    assert_eq!(admins[0]["programs"], json!([]));
    assert!(admins[0].get("password_hash").is_none());
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_and_a_demotion_takes_effect_at_once() {
    let app = TestApp::spawn().await;
    app.shop("coffee").await;
    let owner = app.admin_token().await;
    let admins = body(call(&app, &owner, Method::GET, "/v1/admin/admins", None).await).await;
    let owner_id = admins["data"][0]["id"].as_i64().unwrap();
    let demote = json!({"role": "manager", "programs": ["coffee"]});
    let path = format!("/v1/admin/admins/{owner_id}");

    let response = call(&app, &owner, Method::PATCH, &path, Some(demote.clone())).await;
    assert_problem(response, StatusCode::CONFLICT, "last-owner").await;

    let second = app
        .admin_with_role(&owner, "second@example.com", "owner", &[])
        .await;
    let response = call(&app, &second, Method::PATCH, &path, Some(demote)).await;
    let changed = body(response).await;
    assert_eq!(changed["role"], "manager");
    assert_eq!(changed["programs"], json!(["coffee"]));

    // The first admin's token is still valid, but what it may do is read on every request.
    let response = call(
        &app,
        &owner,
        Method::POST,
        "/v1/admin/programs",
        Some(json!({"slug": "tea", "name": "Tea"})),
    )
    .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
    let second_id = body(call(&app, &second, Method::GET, "/v1/admin/admins", None).await).await["data"][1]["id"].as_i64().unwrap();
    let response = call(
        &app,
        &second,
        Method::PATCH,
        &format!("/v1/admin/admins/{second_id}"),
        Some(json!({"role": "analyst", "programs": ["coffee"]})),
    )
    .await;
    assert_problem(response, StatusCode::CONFLICT, "last-owner").await;
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let app = TestApp::spawn().await;
    app.shop("coffee").await;
    let first = app.admin_token().await;
    let second = app
        .admin_with_role(&first, "second@example.com", "owner", &[])
        .await;
    let listed = body(call(&app, &first, Method::GET, "/v1/admin/admins", None).await).await;
    let ids: Vec<i64> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    let demote = json!({"role": "analyst", "programs": ["coffee"]});
    let (first_path, second_path) = (
        format!("/v1/admin/admins/{}", ids[0]),
        format!("/v1/admin/admins/{}", ids[1]),
    );
    let (a, b) = tokio::join!(
        call(
            &app,
            &first,
            Method::PATCH,
            &second_path,
            Some(demote.clone())
        ),
        call(&app, &second, Method::PATCH, &first_path, Some(demote)),
    );
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    // Either one demotion wins and the other is refused (last owner, or no longer an owner).
    assert_eq!(statuses[0], StatusCode::OK, "{statuses:?}");
    assert!(
        statuses[1] == StatusCode::CONFLICT || statuses[1] == StatusCode::FORBIDDEN,
        "{statuses:?}"
    );
    let survivor = if a.status() == StatusCode::OK {
        &first
    } else {
        &second
    };
    let listed = body(call(&app, survivor, Method::GET, "/v1/admin/admins", None).await).await;
    let owners = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["role"] == "owner")
        .count();
    assert_eq!(owners, 1);
}
