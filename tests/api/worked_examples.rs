//! Every worked example of PROGRAMS.md, on the demo configuration (`fidelio::tools::demo`), in one
//! place. Each is also tested, with its variations, beside the feature it exercises.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, body};
use fidelio::tools::demo::{beauty, coffee};

async fn set_tier(app: &TestApp, program: &str, member: &str, tier: &str) {
    let admin = app.admin_token().await;
    let response = app
        .request(
            Method::POST,
            &format!("/v1/admin/programs/{program}/members/{member}/tier"),
        )
        .bearer_auth(&admin)
        .json(&json!({"tier": tier, "reason": "worked example"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn coffee_green_gold_and_reserve_members_paying_10() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    for (member, tier, payment, stars) in [
        ("green", "Green", "card", 10),
        ("gold", "Gold", "card", 12),
        ("reserve", "Reserve", "stored_value", 34),
    ] {
        app.enrol(&shop, member).await;
        set_tier(&app, "coffee", member, tier).await;
        let outcome = app
            .event(&shop, json!({"type": "purchase", "id": member, "member": member, "amount": "10.00", "payment": payment}))
            .await;
        assert_eq!(
            outcome["points_awarded"], stars,
            "{tier} paying by {payment}"
        );
    }
}

#[tokio::test]
async fn coffee_stars_earned_2025_12_15_expire_2026_07_01_at_midnight_new_york() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.event(&shop, json!({"type": "purchase", "id": "p", "member": "ana", "amount": "10.00", "occurred_at": "2025-12-15T16:00:00Z"})).await;
    assert_eq!(app.tick("2026-07-01T03:59:59Z").await.expired_points, 0);
    assert_eq!(app.tick("2026-07-01T04:00:00Z").await.expired_points, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn coffee_two_brewed_coffees_at_once_on_100_stars_exactly_one_succeeds() {
    let app = Arc::new(TestApp::spawn().await);
    let shop = Arc::new(app.configured_shop(coffee::config()).await);
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 100).await;
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (app, shop) = (app.clone(), shop.clone());
            tokio::spawn(async move {
                app.store(&shop, Method::POST, "/v1/members/ana/redemptions")
                    .json(&json!({"reward": "brewed-coffee"}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let mut created = 0;
    for task in tasks {
        created += usize::from(task.await.unwrap() == StatusCode::CREATED);
    }
    assert_eq!(created, 1);
}

#[tokio::test]
async fn beauty_insider_spending_360_in_store_on_2026_06_01_is_vib_until_2027_12_31() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    let outcome = app
        .event(&shop, json!({"type": "purchase", "id": "p", "member": "bea", "amount": "360.00", "channel": "store", "occurred_at": "2026-06-01T18:00:00Z"}))
        .await;
    assert_eq!(outcome["points_awarded"], 360);
    assert_eq!(outcome["tier"]["name"], "VIB");
    assert_eq!(outcome["tier"]["held_through"], "2027-12-31");
}

#[tokio::test]
async fn beauty_an_online_purchase_of_40_is_40_pending_points_available_14_days_later() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    let outcome = app.event(&shop, json!({"type": "purchase", "id": "p", "member": "bea", "amount": "40.00", "channel": "online"})).await;
    assert_eq!(outcome["awarded"]["pending"], 40);
    let occurred =
        chrono::DateTime::parse_from_rfc3339(outcome["event"]["occurred_at"].as_str().unwrap())
            .unwrap();
    let available =
        chrono::DateTime::parse_from_rfc3339(outcome["awarded"]["available_at"].as_str().unwrap())
            .unwrap();
    assert_eq!(available - occurred, chrono::Duration::days(14));
    app.tick(&available.to_rfc3339()).await;
    assert_eq!(app.member(&shop, "bea").await["balance"]["available"], 40);
}

#[tokio::test]
async fn beauty_six_reviews_in_one_day_earn_25() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    for i in 0..6 {
        app.event(&shop, json!({"type": "review", "id": format!("r{i}"), "member": "bea", "occurred_at": "2026-06-01T18:00:00Z"})).await;
    }
    assert_eq!(app.member(&shop, "bea").await["balance"]["available"], 25);
}

#[tokio::test]
async fn beauty_signup_buy_100_burn_120_refund_100_is_30_then_minus_70_and_redemptions_wait() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    app.event(&shop, json!({"type": "signup", "id": "s", "member": "bea"}))
        .await;
    app.event(&shop, json!({"type": "purchase", "id": "p", "member": "bea", "amount": "100.00", "order_id": "O", "channel": "store"})).await;
    let burn = app
        .store(&shop, Method::POST, "/v1/members/bea/points/redeem")
        .header("idempotency-key", "burn")
        .json(&json!({"points": 120}))
        .send()
        .await
        .unwrap();
    assert_eq!(body(burn).await["balance"]["available"], 30);
    let refund = app.event(&shop, json!({"type": "refund", "id": "r", "member": "bea", "amount": "100.00", "order_id": "O"})).await;
    assert_eq!(refund["balance"]["available"], -70);
    let refused = app
        .store(&shop, Method::POST, "/v1/members/bea/redemptions")
        .json(&json!({"reward": "cash-10"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    app.assert_ledger_verifies().await;
}
