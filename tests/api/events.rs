//! Events and the earning rules, through the API, on the demo programs' configuration.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, body};
use fidelio::tools::demo::{beauty, coffee};

fn purchase(id: &str, member: &str, amount: &str) -> Value {
    json!({"type": "purchase", "id": id, "member": member, "amount": amount})
}

#[tokio::test]
async fn coffee_a_member_paying_10_by_card_earns_10_stars() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    let outcome = app.event(&shop, json!({"type": "purchase", "id": "e1", "member": "ana", "amount": "10.00", "payment": "card"})).await;
    assert_eq!(outcome["points_awarded"], 10);
    assert_eq!(outcome["awarded"], json!({"available": 10, "pending": 0}));
    assert_eq!(outcome["rules"][0]["rule"], "stars-per-dollar");
    assert_eq!(outcome["rules"][0]["points"], 10);
    assert_eq!(outcome["balance"]["available"], 10);

    let ledger = body(
        app.store(&shop, Method::GET, "/v1/members/ana/ledger")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ledger["data"].as_array().unwrap().len(), 1);
    assert_eq!(ledger["data"][0]["kind"], "earn");
    assert_eq!(ledger["data"][0]["rule"], "stars-per-dollar");
    assert_eq!(ledger["data"][0]["rule_version"], 1);
    assert_eq!(ledger["data"][0]["event_id"], "e1");
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn coffee_stored_value_doubles_and_alcohol_earns_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    let outcome = app
        .event(&shop, json!({"type": "purchase", "id": "e1", "member": "ana", "amount": "22.00", "payment": "stored_value",
            "items": [{"sku": "latte", "category": "coffee", "quantity": 2, "unit_price": "5.00"},
                      {"sku": "ipa", "category": "alcohol", "quantity": 1, "unit_price": "12.00"}]}))
        .await;
    assert_eq!(outcome["points_awarded"], 20);
    let lines: Vec<_> = outcome["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["rule"].clone(), l["points"].clone()))
        .collect();
    assert_eq!(
        lines,
        vec![
            (json!("stars-per-dollar"), json!(10)),
            (json!("stored-value"), json!(10)),
            (json!("tier-multiplier"), json!(0))
        ]
    );
}

#[tokio::test]
async fn coffee_double_star_day_counts_the_day_in_new_york() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    app.create_rule(&admin, "coffee", &coffee::double_star_day("2026-11-20"))
        .await;
    app.enrol(&shop, "ana").await;
    let late_evening = app
        .event(&shop, json!({"type": "purchase", "id": "e1", "member": "ana", "amount": "10.00", "occurred_at": "2026-11-21T04:30:00Z"}))
        .await;
    assert_eq!(
        late_evening["points_awarded"], 20,
        "23:30 on the day in New York"
    );
    let after_midnight = app
        .event(&shop, json!({"type": "purchase", "id": "e2", "member": "ana", "amount": "10.00", "occurred_at": "2026-11-21T05:30:00Z"}))
        .await;
    assert_eq!(
        after_midnight["points_awarded"], 10,
        "00:30 the next day in New York"
    );
}

#[tokio::test]
async fn coffee_a_reusable_cup_doubles_at_most_three_times_a_day() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    let mut earned = Vec::new();
    for i in 0..4 {
        let outcome = app
            .event(
                &shop,
                json!({"type": "purchase", "id": format!("e{i}"), "member": "ana", "amount": "5.00",
                "occurred_at": "2026-11-20T15:00:00Z", "properties": {"reusable_cup": true}}),
            )
            .await;
        earned.push(outcome["points_awarded"].as_i64().unwrap());
    }
    assert_eq!(earned, [10, 10, 10, 5]);
    let next_day = app
        .event(
            &shop,
            json!({"type": "purchase", "id": "e9", "member": "ana", "amount": "5.00",
            "occurred_at": "2026-11-21T15:00:00Z", "properties": {"reusable_cup": true}}),
        )
        .await;
    assert_eq!(next_day["points_awarded"], 10);
}

#[tokio::test]
async fn beauty_an_online_purchase_of_40_is_40_pending_points_available_14_days_later() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    let outcome = app
        .event(&shop, json!({"type": "purchase", "id": "o1", "member": "bea", "amount": "40.00", "channel": "online"}))
        .await;
    assert_eq!(outcome["points_awarded"], 40);
    assert_eq!(outcome["awarded"]["pending"], 40);
    let occurred =
        chrono::DateTime::parse_from_rfc3339(outcome["event"]["occurred_at"].as_str().unwrap())
            .unwrap();
    let available =
        chrono::DateTime::parse_from_rfc3339(outcome["awarded"]["available_at"].as_str().unwrap())
            .unwrap();
    assert_eq!(available - occurred, chrono::Duration::days(14));
    assert_eq!(outcome["balance"]["pending"], 40);
    assert_eq!(outcome["balance"]["available"], 0);

    let early = app
        .tick(&(available - chrono::Duration::minutes(1)).to_rfc3339())
        .await;
    assert_eq!(early.released_points, 0);
    assert_eq!(app.member(&shop, "bea").await["balance"]["pending"], 40);
    let due = app.tick(&available.to_rfc3339()).await;
    assert_eq!(due.released_points, 40);
    let again = app
        .tick(&(available + chrono::Duration::hours(6)).to_rfc3339())
        .await;
    assert_eq!(
        again.released_points, 0,
        "a second tick releases nothing twice"
    );
    let balance = app.member(&shop, "bea").await["balance"].clone();
    assert_eq!(
        (balance["available"].clone(), balance["pending"].clone()),
        (json!(40), json!(0))
    );
    let late = app
        .event(&shop, json!({"type": "purchase", "id": "o2", "member": "bea", "amount": "10.00", "channel": "online",
            "occurred_at": "2025-01-10T18:00:00Z"}))
        .await;
    assert_eq!(
        late["awarded"]["available"], 10,
        "posted after its return window, the points are available at once"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn beauty_six_reviews_in_one_day_earn_25_points() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    let mut total = 0;
    for i in 0..6 {
        let at = format!("2026-11-20T{:02}:00:00Z", 16 + i);
        let outcome = app.event(&shop, json!({"type": "review", "id": format!("r{i}"), "member": "bea", "occurred_at": at})).await;
        total += outcome["points_awarded"].as_i64().unwrap();
    }
    assert_eq!(total, 25);
    let next_day = app.event(&shop, json!({"type": "review", "id": "r9", "member": "bea", "occurred_at": "2026-11-21T16:00:00Z"})).await;
    assert_eq!(next_day["points_awarded"], 5, "a new day in Los Angeles");
}

#[tokio::test]
async fn beauty_a_refund_of_spent_points_makes_the_balance_negative_and_blocks_redemptions() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    app.event(
        &shop,
        json!({"type": "signup", "id": "s1", "member": "bea"}),
    )
    .await;
    let bought = app.event(&shop, json!({"type": "purchase", "id": "p1", "member": "bea", "amount": "100.00", "order_id": "A-1", "channel": "store"})).await;
    assert_eq!(bought["balance"]["available"], 150);
    let burn = app
        .store(&shop, Method::POST, "/v1/members/bea/points/redeem")
        .header("idempotency-key", "burn-1")
        .json(&json!({"points": 120, "order_id": "A-2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(body(burn).await["balance"]["available"], 30);

    let refund = app.event(&shop, json!({"type": "refund", "id": "rf1", "member": "bea", "amount": "100.00", "order_id": "A-1"})).await;
    assert_eq!(refund["points_awarded"], -100);
    assert_eq!(refund["reversed"]["points"], 100);
    assert_eq!(refund["balance"]["available"], -70);

    let refused = app
        .store(&shop, Method::POST, "/v1/members/bea/points/redeem")
        .header("idempotency-key", "burn-2")
        .json(&json!({"points": 1}))
        .send()
        .await
        .unwrap();
    assert_problem(refused, StatusCode::CONFLICT, "negative-balance").await;

    let again = app.event(&shop, json!({"type": "refund", "id": "rf2", "member": "bea", "amount": "100.00", "order_id": "A-1"})).await;
    assert_eq!(
        again["reversed"]["points"], 0,
        "a purchase is never reversed twice"
    );
    let earned = app.event(&shop, json!({"type": "purchase", "id": "p2", "member": "bea", "amount": "80.00", "channel": "store"})).await;
    assert_eq!(
        earned["balance"]["available"], 10,
        "new points pay the debt first"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn partial_refunds_reverse_their_share_and_never_more_than_was_earned() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    app.event(&shop, json!({"type": "purchase", "id": "p1", "member": "bea", "amount": "90.00", "order_id": "B-1"})).await;
    let mut reversed = 0;
    for (i, amount) in ["30.00", "30.00", "30.00", "10.00"].iter().enumerate() {
        let refund = app
            .event(&shop, json!({"type": "refund", "id": format!("rf{i}"), "member": "bea", "amount": amount, "order_id": "B-1"}))
            .await;
        reversed += refund["reversed"]["points"].as_i64().unwrap();
    }
    assert_eq!(reversed, 90);
    assert_eq!(app.member(&shop, "bea").await["balance"]["available"], 0);
    let unknown = app.event(&shop, json!({"type": "refund", "id": "rf9", "member": "bea", "amount": "5.00", "order_id": "NOPE"})).await;
    assert_eq!(unknown["points_awarded"], 0);
    assert!(unknown["notes"][0].as_str().unwrap().contains("NOPE"));
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn beauty_a_referral_pays_both_sides_once_on_the_first_purchase_of_25() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    let referrer = app.enrol(&shop, "ref").await;
    let code = referrer["referral_code"].as_str().unwrap();
    app.store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "new", "referral_code": code}))
        .send()
        .await
        .unwrap();

    let small = app.event(&shop, purchase("p1", "new", "20.00")).await;
    assert_eq!(small["points_awarded"], 20);
    let first = app.event(&shop, purchase("p2", "new", "30.00")).await;
    assert_eq!(first["points_awarded"], 130);
    assert_eq!(first["referrer"]["member"], "ref");
    assert_eq!(first["referrer"]["points"], 250);
    let second = app.event(&shop, purchase("p3", "new", "30.00")).await;
    assert_eq!(second["points_awarded"], 30, "once");
    assert_eq!(app.member(&shop, "ref").await["balance"]["available"], 250);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn a_referral_event_links_the_referrer_but_never_oneself() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    let ana = app
        .store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "ana", "email": "ana@x.io"}))
        .send()
        .await
        .unwrap();
    let code = body(ana).await["referral_code"]
        .as_str()
        .unwrap()
        .to_owned();
    app.store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "ana2", "email": "ANA@x.io"}))
        .send()
        .await
        .unwrap();
    app.enrol(&shop, "bob").await;

    let own = app.event(&shop, json!({"type": "referral", "id": "x1", "member": "ana", "properties": {"referral_code": code}})).await;
    assert!(
        own["notes"][0]
            .as_str()
            .unwrap()
            .contains("no other member")
    );
    let same_email = app.event(&shop, json!({"type": "referral", "id": "x2", "member": "ana2", "properties": {"referral_code": code}})).await;
    assert!(
        same_email["notes"][0]
            .as_str()
            .unwrap()
            .contains("no other member")
    );
    app.event(&shop, json!({"type": "referral", "id": "x3", "member": "bob", "properties": {"referral_code": code}})).await;
    assert_eq!(app.member(&shop, "bob").await["referred_by"], "ana");
    let paid = app.event(&shop, purchase("p1", "bob", "25.00")).await;
    assert_eq!(paid["referrer"]["points"], 250);
}

#[tokio::test]
async fn beauty_sign_up_and_profile_completion_pay_once() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    assert_eq!(
        app.event(
            &shop,
            json!({"type": "signup", "id": "s1", "member": "bea"})
        )
        .await["points_awarded"],
        50
    );
    assert_eq!(
        app.event(
            &shop,
            json!({"type": "signup", "id": "s2", "member": "bea"})
        )
        .await["points_awarded"],
        0
    );
    assert_eq!(
        app.event(
            &shop,
            json!({"type": "profile_completed", "id": "c1", "member": "bea"})
        )
        .await["points_awarded"],
        50
    );
    assert_eq!(
        app.event(
            &shop,
            json!({"type": "profile_completed", "id": "c2", "member": "bea"})
        )
        .await["points_awarded"],
        0
    );
}

#[tokio::test]
async fn reposting_an_event_returns_the_identical_outcome_and_a_changed_body_is_409() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    let first = app.post_event(&shop, purchase("e1", "ana", "10.00")).await;
    assert_eq!(first.0, StatusCode::CREATED);
    let again = app
        .store(&shop, Method::POST, "/v1/events")
        .json(&json!({"type": "purchase", "id": "e1", "member": "ana", "amount": "10.0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(body(again).await, first.1);
    let changed = app
        .store(&shop, Method::POST, "/v1/events")
        .json(&purchase("e1", "ana", "11.00"))
        .send()
        .await
        .unwrap();
    assert_problem(changed, StatusCode::CONFLICT, "event-conflict").await;
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 10);
    let stored = body(
        app.store(&shop, Method::GET, "/v1/events/e1")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(stored, first.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_posts_of_one_event_credit_once() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let shop = std::sync::Arc::new(app.configured_shop(coffee::config()).await);
    app.enrol(&shop, "ana").await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (app, shop) = (app.clone(), shop.clone());
        tasks.push(tokio::spawn(async move {
            app.post_event(&shop, purchase("same", "ana", "10.00"))
                .await
        }));
    }
    let mut created = 0;
    let mut outcomes = Vec::new();
    for task in tasks {
        let (status, outcome) = task.await.unwrap();
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{status}: {outcome}"
        );
        created += usize::from(status == StatusCode::CREATED);
        outcomes.push(outcome);
    }
    assert_eq!(created, 1);
    assert!(outcomes.iter().all(|o| *o == outcomes[0]));
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 10);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn invalid_events_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    let cases = [
        (
            json!({"type": "purchase", "id": "x", "member": "ana", "amount": "-1.00"}),
            "amount",
        ),
        (
            json!({"type": "purchase", "id": "x", "member": "ana", "amount": 10.5}),
            "amount",
        ),
        (
            json!({"type": "purchase", "id": "x", "member": "ana"}),
            "amount",
        ),
        (
            json!({"type": "purchase", "id": "x", "member": "ana", "amount": "1.001"}),
            "amount",
        ),
        (
            json!({"type": "purchase", "id": "x", "member": "ana", "amount": "1.00", "currency": "EUR"}),
            "currency",
        ),
        (
            json!({"type": "purchase", "id": "x", "member": "ana", "amount": "1.00", "occurred_at": "2099-01-01T00:00:00Z"}),
            "occurred_at",
        ),
        (
            json!({"type": "purchase", "id": "x", "member": "ana", "amount": "5.00",
                "items": [{"sku": "a", "quantity": 0, "unit_price": "5.00"}]}),
            "items[0].quantity",
        ),
        (
            json!({"type": "purchase", "id": "x", "member": "ana", "amount": "5.00",
                "items": [{"sku": "a", "quantity": 1}]}),
            "items[0].unit_price",
        ),
        (
            json!({"type": "refund", "id": "x", "member": "ana", "amount": "5.00"}),
            "order_id",
        ),
        (
            json!({"type": "Bad Type!", "id": "x", "member": "ana"}),
            "type",
        ),
        (
            json!({"type": "purchase", "id": "", "member": "ana", "amount": "1.00"}),
            "id",
        ),
    ];
    for (event, field) in cases {
        let response = app
            .store(&shop, Method::POST, "/v1/events")
            .json(&event)
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
    let unknown = app
        .store(&shop, Method::POST, "/v1/events")
        .json(&purchase("y", "ghost", "1.00"))
        .send()
        .await
        .unwrap();
    assert_problem(unknown, StatusCode::NOT_FOUND, "not-found").await;
    assert_eq!(
        app.member(&shop, "ana").await["balance"]["lifetime_earned"],
        0
    );
}

#[tokio::test]
async fn a_program_may_enrol_unknown_members_on_their_first_event() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    let patched = app
        .request(Method::PATCH, "/v1/admin/programs/coffee")
        .bearer_auth(&admin)
        .json(&json!({"auto_enrol": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(body(patched).await["auto_enrol"], true);
    let outcome = app.event(&shop, purchase("e1", "walk-in", "7.50")).await;
    assert_eq!(outcome["points_awarded"], 7);
    assert_eq!(
        app.member(&shop, "walk-in").await["balance"]["available"],
        7
    );
}

#[tokio::test]
async fn a_suspended_member_earns_nothing_but_the_event_is_kept() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.store(&shop, Method::PATCH, "/v1/members/ana")
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    let outcome = app.event(&shop, purchase("e1", "ana", "10.00")).await;
    assert_eq!(outcome["points_awarded"], 0);
    assert!(outcome["notes"][0].as_str().unwrap().contains("suspended"));
    let stored = app
        .store(&shop, Method::GET, "/v1/events/e1")
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), StatusCode::OK);
}
