//! The audit log: every change an admin or key makes is written once, with its actor, before
//! and after and the request id the caller was given; refused changes write nothing, and the
//! database refuses to change or remove a row.

use diesel::RunQueryDsl;
use fidelio::db::DbConnection;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, body};

mod configuration;
mod members;

/// The response's `X-Request-Id` and its JSON body (null if none), after checking its status.
async fn sent(request: reqwest::RequestBuilder, status: StatusCode) -> (String, Value) {
    let response = request.send().await.unwrap();
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let code = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(code, status, "{text}");
    (id, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn audit(app: &TestApp, admin: &str, query: &str) -> Vec<Value> {
    let path = format!("/v1/admin/audit{query}");
    let page = body(
        app.request(Method::GET, &path)
            .bearer_auth(admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    page["data"].as_array().unwrap().clone()
}

fn actions(rows: &[Value]) -> Vec<&str> {
    rows.iter().map(|r| r["action"].as_str().unwrap()).collect()
}

fn one<'a>(rows: &'a [Value], action: &str, request_id: &str) -> &'a Value {
    let found: Vec<&Value> = rows.iter().filter(|r| r["action"] == action).collect();
    assert_eq!(found.len(), 1, "{action}: {rows:?}");
    assert_eq!(found[0]["request_id"], request_id, "{action}");
    found[0]
}

#[tokio::test]
async fn each_change_is_audited_once_with_before_after_and_its_request_id() {
    let app = TestApp::spawn().await;
    let shop = app.shop("coffee").await;
    app.enrol(&shop, "ana").await;
    let admin = app.admin_token().await;
    let setup = audit(&app, &admin, "").await.len();
    let rule = json!({"slug": "double", "name": "Double", "event_type": "purchase",
                      "effects": [{"type": "points_per_amount", "rate": "2"}]});
    app.create_rule(&admin, "coffee", &rule).await;

    let changed = json!({"name": "Triple", "event_type": "purchase",
                         "effects": [{"type": "points_per_amount", "rate": "3"}]});
    let put = app.request(Method::PUT, "/v1/admin/programs/coffee/rules/double");
    let (rule_request, _) = sent(put.bearer_auth(&admin).json(&changed), StatusCode::OK).await;

    let by_admin = app
        .request(
            Method::POST,
            "/v1/admin/programs/coffee/members/ana/points/adjust",
        )
        .bearer_auth(&admin)
        .json(&json!({"points": 70, "reason": "goodwill"}));
    let (admin_request, _) = sent(by_admin, StatusCode::CREATED).await;
    let by_key = || {
        app.store(&shop, Method::POST, "/v1/members/ana/points/adjust")
            .header("idempotency-key", "k-1")
            .json(&json!({"points": -20, "reason": "correction"}))
    };
    let (key_request, _) = sent(by_key(), StatusCode::CREATED).await;
    // A retry replays the answer: no second change, no second row.
    sent(by_key(), StatusCode::CREATED).await;
    // A refused change writes nothing.
    let too_much = app
        .store(&shop, Method::POST, "/v1/members/ana/points/adjust")
        .header("idempotency-key", "k-2")
        .json(&json!({"points": -1000, "reason": "too much"}));
    sent(too_much, StatusCode::CONFLICT).await;
    let close = app
        .request(Method::POST, "/v1/admin/programs/coffee/members/ana/close")
        .bearer_auth(&admin);
    let (close_request, _) = sent(close, StatusCode::OK).await;

    let rows = audit(&app, &admin, "").await;
    assert_eq!(
        actions(&rows[..rows.len() - setup]),
        [
            "member.close",
            "points.adjust",
            "points.adjust",
            "rule.update",
            "rule.create"
        ],
        "newest first, nothing for the replay or the refusal"
    );
    let updated = one(&rows, "rule.update", &rule_request);
    assert_eq!(updated["subject"], "double");
    assert_eq!(updated["program"], "coffee");
    assert_eq!(updated["actor_label"], crate::helpers::ADMIN_EMAIL);
    assert_eq!(updated["before"]["version"], 1);
    assert_eq!(updated["before"]["definition"]["name"], "Double");
    assert_eq!(updated["after"]["version"], 2);
    assert_eq!(updated["after"]["definition"]["name"], "Triple");

    let adjusted: Vec<&Value> = rows
        .iter()
        .filter(|r| r["action"] == "points.adjust")
        .collect();
    let (key_row, admin_row) = (adjusted[0], adjusted[1]);
    assert_eq!(admin_row["request_id"], admin_request);
    assert!(admin_row["actor"].as_str().unwrap().starts_with("admin:"));
    assert_eq!(admin_row["before"]["balance"]["available"], 0);
    assert_eq!(admin_row["after"]["balance"]["available"], 70);
    assert_eq!(key_row["request_id"], key_request);
    assert!(key_row["actor"].as_str().unwrap().starts_with("key:"));
    assert_eq!(key_row["actor_label"], "test storefront");
    assert_eq!(key_row["before"]["balance"]["available"], 70);
    assert_eq!(key_row["after"]["balance"]["available"], 50);
    assert_eq!(key_row["subject"], "ana");

    let closed = one(&rows, "member.close", &close_request);
    assert_eq!(closed["before"]["status"], "active");
    assert_eq!(closed["after"]["status"], "closed");
    assert!(
        closed["before"].get("email").is_none(),
        "no personal data in the log"
    );

    let key_actor = key_row["actor"].as_str().unwrap();
    let only_key = audit(&app, &admin, &format!("?actor={key_actor}")).await;
    assert_eq!(actions(&only_key), ["points.adjust", "member.enrol"]);
    assert!(
        audit(&app, &admin, "?since=2999-01-01T00:00:00Z")
            .await
            .is_empty()
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn refused_changes_and_other_programs_stay_out_of_sight() {
    let app = TestApp::spawn().await;
    let shop = app.shop("coffee").await;
    let other = app.shop("other").await;
    app.enrol(&shop, "ana").await;
    app.enrol(&other, "cy").await;
    let owner = app.admin_token().await;
    let analyst = app
        .admin_with_role(&owner, "analyst@example.com", "analyst", &["coffee"])
        .await;
    let refused = app
        .request(
            Method::POST,
            "/v1/admin/programs/coffee/members/ana/points/adjust",
        )
        .bearer_auth(&analyst)
        .json(&json!({"points": 5, "reason": "x"}));
    sent(refused, StatusCode::FORBIDDEN).await;
    let coffee = audit(&app, &owner, "?program=coffee").await;
    assert!(!actions(&coffee).contains(&"points.adjust"), "{coffee:?}");

    let adjust = app
        .request(
            Method::POST,
            "/v1/admin/programs/other/members/cy/points/adjust",
        )
        .bearer_auth(&owner)
        .json(&json!({"points": 5, "reason": "x"}));
    sent(adjust, StatusCode::CREATED).await;
    let all = audit(&app, &owner, "").await;
    assert_eq!(
        actions(&all)
            .iter()
            .filter(|a| **a == "points.adjust")
            .count(),
        1
    );
    assert!(actions(&all).contains(&"admin.create"));
    let seen = audit(&app, &analyst, "").await;
    assert!(
        seen.iter().all(|r| r["program"] == "coffee"),
        "neither another program's rows nor admins' rows: {seen:?}"
    );
    let response = app
        .request(Method::GET, "/v1/admin/audit?program=other")
        .bearer_auth(&analyst)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_database_refuses_to_update_delete_or_truncate_audit_rows() {
    let app = TestApp::spawn().await;
    let shop = app.shop("coffee").await;
    app.enrol(&shop, "ana").await;
    app.admin_call(
        Method::POST,
        "/v1/admin/programs/coffee/members/ana/points/adjust",
        Some(json!({"points": 5, "reason": "x"})),
    )
    .await;
    let refusals = app
        .with_db(|conn| {
            let conn: &mut DbConnection = conn;
            let mut statements = vec![
                "UPDATE audit_log SET action = 'nothing'",
                "DELETE FROM audit_log",
            ];
            if matches!(conn, DbConnection::Postgresql(_)) {
                statements.push("TRUNCATE audit_log");
            }
            statements
                .into_iter()
                .map(|sql| {
                    let refused = diesel::sql_query(sql).execute(conn);
                    (sql, refused.map_err(|e| e.to_string()))
                })
                .collect::<Vec<_>>()
        })
        .await;
    for (sql, result) in refusals {
        let error = result.expect_err(sql);
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    let admin = app.admin_token().await;
    let rows = audit(&app, &admin, "").await;
    assert_eq!(
        actions(&rows),
        [
            "points.adjust",
            "member.enrol",
            "api_key.issue",
            "program.create"
        ]
    );
}

/// An admin's request to `path` with `json` (if any).
fn as_admin(
    app: &TestApp,
    admin: &str,
    method: Method,
    path: &str,
    json: Option<Value>,
) -> reqwest::RequestBuilder {
    let request = app.request(method, path).bearer_auth(admin);
    match json {
        Some(json) => request.json(&json),
        None => request,
    }
}
