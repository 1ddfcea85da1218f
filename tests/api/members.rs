//! Enrolling, reading, changing, closing and finding members.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, body};

#[tokio::test]
async fn enrolling_returns_the_member_with_an_empty_balance_and_a_referral_code() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    let response = app
        .store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "cus_1", "email": "Ana@Example.com", "name": "Ana", "birthday": "1990-03-14"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let member = body(response).await;
    assert_eq!(member["external_id"], "cus_1");
    assert_eq!(member["email"], "ana@example.com");
    assert_eq!(member["birthday"], "1990-03-14");
    assert_eq!(member["status"], "active");
    assert_eq!(
        member["balance"],
        json!({"available": 0, "pending": 0, "lifetime_earned": 0, "lifetime_redeemed": 0})
    );
    assert_eq!(member["referral_code"].as_str().unwrap().len(), 8);

    let again = app
        .store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "cus_1"}))
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::CONFLICT, "member-exists").await;
}

#[tokio::test]
async fn every_member_gets_a_unique_referral_code_and_can_name_a_referrer() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    let mut codes = std::collections::HashSet::new();
    for i in 0..20 {
        let member = app.enrol(&shop, &format!("m{i}")).await;
        assert!(codes.insert(member["referral_code"].as_str().unwrap().to_owned()));
    }
    let referrer = app.member(&shop, "m0").await["referral_code"]
        .as_str()
        .unwrap()
        .to_lowercase();
    let referred = app
        .store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "friend", "referral_code": referrer}))
        .send()
        .await
        .unwrap();
    assert_eq!(body(referred).await["referred_by"], "m0");

    let unknown = app
        .store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "x", "referral_code": "NOPE2345"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(
        unknown,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "referral_code");
}

#[tokio::test]
async fn invalid_members_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    let cases = [
        (json!({"external_id": ""}), "external_id"),
        (json!({"external_id": "a/b"}), "external_id"),
        (json!({"external_id": "a", "email": "nope"}), "email"),
        (
            json!({"external_id": "a", "birthday": "3000-01-01"}),
            "birthday",
        ),
        (
            json!({"external_id": "a", "birthday": "14/03/1990"}),
            "birthday",
        ),
    ];
    for (request, field) in cases {
        let response = app
            .store(&shop, Method::POST, "/v1/members")
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
    }
}

#[tokio::test]
async fn a_member_can_be_updated_suspended_and_reactivated() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "ana", "name": "Ana", "email": "a@x.io"}))
        .send()
        .await
        .unwrap();

    let patch = |changes: Value| {
        app.store(&shop, Method::PATCH, "/v1/members/ana")
            .json(&changes)
            .send()
    };
    let updated = body(
        patch(json!({"name": "Ana María", "email": null}))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(updated["name"], "Ana María");
    assert_eq!(updated["email"], Value::Null);

    app.give(&shop, "ana", 50).await;
    let suspended = body(patch(json!({"status": "suspended"})).await.unwrap()).await;
    assert_eq!(suspended["status"], "suspended");
    let refused = app
        .store(&shop, Method::POST, "/v1/members/ana/points/redeem")
        .header("idempotency-key", "r1")
        .json(&json!({"points": 10}))
        .send()
        .await
        .unwrap();
    assert_problem(refused, StatusCode::CONFLICT, "member-suspended").await;

    let active = body(patch(json!({"status": "active"})).await.unwrap()).await;
    assert_eq!(active["status"], "active");
    assert_eq!(active["balance"]["available"], 50);
}

#[tokio::test]
async fn closing_erases_personal_data_forfeits_points_and_keeps_the_ledger() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "ana", "name": "Ana", "email": "a@x.io", "birthday": "1990-01-01"}))
        .send()
        .await
        .unwrap();
    app.give(&shop, "ana", 80).await;

    let closed = body(
        app.store(&shop, Method::POST, "/v1/members/ana/close")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(closed["status"], "closed");
    assert_eq!(
        (
            closed["email"].clone(),
            closed["name"].clone(),
            closed["birthday"].clone()
        ),
        (Value::Null, Value::Null, Value::Null)
    );
    assert_eq!(closed["balance"]["available"], 0);

    let ledger = body(
        app.store(&shop, Method::GET, "/v1/members/ana/ledger")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let kinds: Vec<_> = ledger["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].clone(), e["points"].clone()))
        .collect();
    assert_eq!(
        kinds,
        vec![(json!("expire"), json!(-80)), (json!("adjust"), json!(80))]
    );

    let token = app
        .store(&shop, Method::POST, "/v1/members/ana/token")
        .send()
        .await
        .unwrap();
    assert_problem(token, StatusCode::CONFLICT, "member-closed").await;
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn admins_list_and_search_members_page_by_page() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    for (id, name) in [
        ("c-1", "Ana Pérez"),
        ("c-2", "Bruno"),
        ("c-3", "Carla Ana"),
        ("d-4", "Dora"),
    ] {
        app.store(&shop, Method::POST, "/v1/members")
            .json(&json!({"external_id": id, "name": name}))
            .send()
            .await
            .unwrap();
    }
    let admin = app.admin_token().await;
    let get = |query: &str| {
        app.request(
            Method::GET,
            &format!("/v1/admin/programs/{}/members{query}", shop.slug),
        )
        .bearer_auth(&admin)
        .send()
    };
    let ids = |page: &Value| {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["external_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };

    let first = body(get("?limit=3").await.unwrap()).await;
    assert_eq!(ids(&first), ["c-1", "c-2", "c-3"]);
    let rest = body(
        get(&format!(
            "?limit=3&cursor={}",
            first["next_cursor"].as_str().unwrap()
        ))
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(ids(&rest), ["d-4"]);
    assert_eq!(rest["next_cursor"], Value::Null);

    assert_eq!(
        ids(&body(get("?q=ana").await.unwrap()).await),
        ["c-1", "c-3"]
    );
    assert_eq!(
        ids(&body(get("?q=C-").await.unwrap()).await),
        ["c-1", "c-2", "c-3"]
    );
    assert_eq!(
        ids(&body(get("?q=%25").await.unwrap()).await),
        Vec::<String>::new()
    );

    app.store(&shop, Method::PATCH, "/v1/members/c-2")
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        ids(&body(get("?status=suspended").await.unwrap()).await),
        ["c-2"]
    );

    let one = body(get("/c-3").await.unwrap()).await;
    assert_eq!(one["name"], "Carla Ana");
}

#[tokio::test]
async fn a_member_sees_its_own_profile_and_ledger() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.enrol(&shop, "bob").await;
    app.give(&shop, "ana", 25).await;
    app.give(&shop, "bob", 99).await;
    let token = app.member_token(&shop, "ana").await;

    let me = body(
        app.request(Method::GET, "/v1/me")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(me["external_id"], "ana");
    assert_eq!(me["balance"]["available"], 25);
    let ledger = body(
        app.request(Method::GET, "/v1/me/ledger")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ledger["data"].as_array().unwrap().len(), 1);
    assert_eq!(ledger["data"][0]["points"], 25);
}

#[tokio::test]
async fn a_re_posted_event_of_a_member_closed_since_gets_its_stored_reply() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "ana"}))
        .send()
        .await
        .unwrap();
    let purchase = json!({"type": "purchase", "id": "o-1", "member": "ana", "amount": "30.00"});
    let first = app.event(&shop, purchase.clone()).await;
    app.store(&shop, Method::POST, "/v1/members/ana/close")
        .send()
        .await
        .unwrap();

    let (status, again) = app.post_event(&shop, purchase).await;
    assert_eq!((status, &again), (StatusCode::OK, &first));

    let changed = json!({"type": "purchase", "id": "o-1", "member": "ana", "amount": "31.00"});
    let (status, problem) = app.post_event(&shop, changed).await;
    assert_eq!(
        (status, problem["code"].clone()),
        (StatusCode::CONFLICT, json!("event-conflict"))
    );
    let new = json!({"type": "purchase", "id": "o-2", "member": "ana", "amount": "30.00"});
    let (status, problem) = app.post_event(&shop, new).await;
    assert_eq!(
        (status, problem["code"].clone()),
        (StatusCode::CONFLICT, json!("member-closed"))
    );
}
