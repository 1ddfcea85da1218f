//! Rules as data: created, changed (versioned), disabled, previewed, through the admin API.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, body};
use fidelio::tools::demo::{beauty, coffee};

async fn admin_call(
    app: &TestApp,
    admin: &str,
    method: Method,
    path: &str,
    payload: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app.request(method, path).bearer_auth(admin);
    if let Some(payload) = payload {
        request = request.json(&payload);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, body(response).await)
}

#[tokio::test]
async fn a_rule_is_created_listed_changed_as_a_new_version_and_disabled() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    app.enrol(&shop, "ana").await;

    let listed = admin_call(
        &app,
        &admin,
        Method::GET,
        "/v1/admin/programs/coffee/rules",
        None,
    )
    .await
    .1;
    assert_eq!(
        listed["data"].as_array().unwrap().len(),
        coffee::config().rules.len()
    );
    let rule = admin_call(
        &app,
        &admin,
        Method::GET,
        "/v1/admin/programs/coffee/rules/stars-per-dollar",
        None,
    )
    .await
    .1;
    assert_eq!(
        (rule["version"].clone(), rule["status"].clone()),
        (json!(1), json!("active"))
    );
    assert_eq!(rule["effects"][0]["type"], "points_per_amount");

    app.event(
        &shop,
        json!({"type": "purchase", "id": "e1", "member": "ana", "amount": "10.00"}),
    )
    .await;
    let mut changed = rule.clone();
    for key in ["slug", "version", "status", "created_at", "updated_at"] {
        changed.as_object_mut().unwrap().remove(key);
    }
    changed["effects"][0]["rate"] = json!("3");
    let (status, updated) = admin_call(
        &app,
        &admin,
        Method::PUT,
        "/v1/admin/programs/coffee/rules/stars-per-dollar",
        Some(changed),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["version"], 2);
    let outcome = app
        .event(
            &shop,
            json!({"type": "purchase", "id": "e2", "member": "ana", "amount": "10.00"}),
        )
        .await;
    assert_eq!(outcome["points_awarded"], 30);
    assert_eq!(outcome["rules"][0]["version"], 2);

    let ledger = body(
        app.store(&shop, Method::GET, "/v1/members/ana/ledger")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let versions: Vec<_> = ledger["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rule_version"].clone())
        .collect();
    assert_eq!(
        versions,
        vec![json!(2), json!(1)],
        "each entry keeps the version that produced it"
    );
    let history = admin_call(
        &app,
        &admin,
        Method::GET,
        "/v1/admin/programs/coffee/rules/stars-per-dollar/versions",
        None,
    )
    .await
    .1;
    assert_eq!(history.as_array().unwrap().len(), 2);
    assert_eq!(history[1]["definition"]["effects"][0]["rate"], "1");

    let (status, disabled) = admin_call(
        &app,
        &admin,
        Method::POST,
        "/v1/admin/programs/coffee/rules/stars-per-dollar/disable",
        None,
    )
    .await;
    assert_eq!(
        (status, disabled["status"].clone()),
        (StatusCode::OK, json!("disabled"))
    );
    let nothing = app
        .event(
            &shop,
            json!({"type": "purchase", "id": "e3", "member": "ana", "amount": "10.00"}),
        )
        .await;
    assert_eq!(nothing["points_awarded"], 0);
    let only_disabled = admin_call(
        &app,
        &admin,
        Method::GET,
        "/v1/admin/programs/coffee/rules?status=disabled",
        None,
    )
    .await
    .1;
    assert_eq!(only_disabled["data"][0]["slug"], "stars-per-dollar");
    admin_call(
        &app,
        &admin,
        Method::POST,
        "/v1/admin/programs/coffee/rules/stars-per-dollar/enable",
        None,
    )
    .await;
    let again = app
        .event(
            &shop,
            json!({"type": "purchase", "id": "e4", "member": "ana", "amount": "10.00"}),
        )
        .await;
    assert_eq!(again["points_awarded"], 30);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn invalid_rules_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    let base = json!({"slug": "r", "name": "R", "event_type": "purchase", "effects": [{"type": "fixed_points", "points": 5}]});
    let with = |key: &str, value: Value| {
        let mut rule = base.clone();
        rule[key] = value;
        rule
    };
    let cases = [
        (with("slug", json!("Not A Slug")), "slug"),
        (with("event_type", json!("Nope!")), "event_type"),
        (with("effects", json!([])), "effects"),
        (
            with("effects", json!([{"type": "teleport"}])),
            "effects[0].type",
        ),
        (
            with("effects", json!([{"type": "multiplier", "factor": "0"}])),
            "effects[0].factor",
        ),
        (
            with(
                "conditions",
                json!([{"field": "amount", "op": "gte", "value": "a lot"}]),
            ),
            "conditions[0].value",
        ),
        (
            with(
                "conditions",
                json!([{"field": "shoe_size", "op": "eq", "value": 9}]),
            ),
            "conditions[0].field",
        ),
        (with("limits", json!([{"per": "day"}])), "limits[0]"),
        (
            with("limits", json!([{"per": "fortnight", "count": 1}])),
            "limits[0].per",
        ),
        (with("stacking", json!("best_of_group")), "group"),
        (with("active_until", json!("not a time")), "active_until"),
        (with("colour", json!("red")), "colour"),
    ];
    for (rule, field) in cases {
        let response = app
            .request(Method::POST, "/v1/admin/programs/coffee/rules")
            .bearer_auth(&admin)
            .json(&rule)
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
    }
    let taken = app
        .request(Method::POST, "/v1/admin/programs/coffee/rules")
        .bearer_auth(&admin)
        .json(&with("slug", json!("stars-per-dollar")))
        .send()
        .await
        .unwrap();
    assert_problem(taken, StatusCode::CONFLICT, "rule-exists").await;
}

#[tokio::test]
async fn a_preview_explains_the_outcome_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    let admin = app.admin_token().await;
    app.enrol(&shop, "bea").await;
    let event = json!({"type": "purchase", "id": "preview-1", "member": "bea", "amount": "40.00", "channel": "online"});

    let (status, preview) = admin_call(
        &app,
        &admin,
        Method::POST,
        "/v1/admin/programs/beauty/rules/preview",
        Some(json!({"event": event})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["points_awarded"], 40);
    assert_eq!(preview["awarded"]["pending"], 40);
    let results: Vec<_> = preview["considered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["rule"].clone(), c["result"].clone()))
        .collect();
    assert!(
        results.contains(&(json!("referral"), json!("conditions_not_met")))
            || results.contains(&(json!("referral"), json!("not_referred")))
    );
    assert!(results.contains(&(json!("online-return-window"), json!("fired"))));

    let draft = json!({"slug": "points-per-dollar", "name": "Double", "event_type": "purchase", "priority": 100,
                       "effects": [{"type": "points_per_amount", "rate": "2"}]});
    let drafted = admin_call(
        &app,
        &admin,
        Method::POST,
        "/v1/admin/programs/beauty/rules/preview",
        Some(json!({"event": event, "rules": [draft]})),
    )
    .await
    .1;
    assert_eq!(drafted["points_awarded"], 80);
    assert_eq!(
        drafted["rules"][0]["version"], 2,
        "a draft of an existing rule previews as its next version"
    );

    let hypothetical = admin_call(&app, &admin, Method::POST, "/v1/admin/programs/beauty/rules/preview",
        Some(json!({"event": {"type": "purchase", "id": "p", "member": "nobody", "amount": "30.00"},
                    "hypothetical_member": {"tier": "VIB", "tier_multiplier": "1.5", "referred": true}}))).await.1;
    assert_eq!(
        hypothetical["points_awarded"], 130,
        "30 + 100 for the referral (beauty's levels do not multiply)"
    );
    assert_eq!(hypothetical["referrer"]["points"], 250);

    let (status, bad) = admin_call(&app, &admin, Method::POST, "/v1/admin/programs/beauty/rules/preview",
        Some(json!({"event": event, "rules": [{"slug": "x", "name": "x", "event_type": "purchase", "effects": [{"type": "multiplier", "factor": "-2"}]}]}))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad["errors"][0]["field"], "rules[0].effects[0].factor");

    let member = app.member(&shop, "bea").await;
    assert_eq!(member["balance"]["pending"], 0, "a preview writes nothing");
    let stored = app
        .store(&shop, Method::GET, "/v1/events/preview-1")
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), StatusCode::NOT_FOUND);
}
