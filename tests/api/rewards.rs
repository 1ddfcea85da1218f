//! The rewards catalogue, redemptions and vouchers, on the demo programs.

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Shop, TestApp, assert_problem, body};
use fidelio::tools::demo::{beauty, coffee};

async fn redeem(app: &TestApp, shop: &Shop, member: &str, reward: &str) -> (StatusCode, Value) {
    let response = app
        .store(
            shop,
            Method::POST,
            &format!("/v1/members/{member}/redemptions"),
        )
        .json(&json!({"reward": reward}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, body(response).await)
}

async fn reward(app: &TestApp, program: &str, slug: &str) -> Value {
    let admin = app.admin_token().await;
    body(
        app.request(
            Method::GET,
            &format!("/v1/admin/programs/{program}/rewards/{slug}"),
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap(),
    )
    .await
}

async fn set_tier(app: &TestApp, program: &str, member: &str, tier: &str) {
    let admin = app.admin_token().await;
    let response = app
        .request(
            Method::POST,
            &format!("/v1/admin/programs/{program}/members/{member}/tier"),
        )
        .bearer_auth(&admin)
        .json(&json!({"tier": tier, "reason": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn redeeming_debits_the_points_and_issues_a_voucher_that_is_used_once() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 150).await;

    let (status, voucher) = redeem(&app, &shop, "ana", "brewed-coffee").await;
    assert_eq!(status, StatusCode::CREATED, "{voucher}");
    assert_eq!(voucher["reward"], "brewed-coffee");
    assert_eq!(voucher["points_spent"], 100);
    assert_eq!(voucher["status"], "issued");
    let code = voucher["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 14);
    let issued =
        chrono::DateTime::parse_from_rfc3339(voucher["issued_at"].as_str().unwrap()).unwrap();
    let expires =
        chrono::DateTime::parse_from_rfc3339(voucher["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!((expires - issued).num_days(), 30);
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 50);

    let typed = code.to_lowercase().replace('-', "");
    let looked_up = body(
        app.store(&shop, Method::GET, &format!("/v1/vouchers/{typed}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(looked_up["id"], voucher["id"]);

    let id = voucher["id"].as_str().unwrap();
    let used = app
        .store(&shop, Method::POST, &format!("/v1/redemptions/{id}/use"))
        .json(&json!({"order_id": "T-9"}))
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), StatusCode::OK);
    assert_eq!(body(used).await["status"], "used");
    let again = app
        .store(&shop, Method::POST, &format!("/v1/redemptions/{id}/use"))
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::CONFLICT, "voucher-used").await;
    let cancel = app
        .store(&shop, Method::POST, &format!("/v1/redemptions/{id}/cancel"))
        .send()
        .await
        .unwrap();
    assert_problem(cancel, StatusCode::CONFLICT, "voucher-used").await;
    app.assert_ledger_verifies().await;
}

/// Using a voucher takes no body or a JSON object: anything else is refused and leaves the
/// voucher issued.
#[tokio::test]
async fn a_voucher_is_not_used_by_a_body_that_is_not_a_valid_object() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 150).await;
    let (_, voucher) = redeem(&app, &shop, "ana", "brewed-coffee").await;
    let path = format!("/v1/redemptions/{}/use", voucher["id"].as_str().unwrap());
    let refused = [
        (
            "application/json",
            "{\"order_id\": ",
            StatusCode::BAD_REQUEST,
        ),
        (
            "application/json",
            "{\"order\": \"T-1\"}",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "application/json",
            "[\"T-1\"]",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "text/plain",
            "{\"order_id\": \"T-1\"}",
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
    ];
    for (content_type, sent, status) in refused {
        let response = app
            .store(&shop, Method::POST, &path)
            .header("content-type", content_type)
            .body(sent)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{content_type} {sent}");
    }
    let looked_up = body(
        app.store(
            &shop,
            Method::GET,
            &format!("/v1/redemptions/{}", voucher["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(looked_up["status"], "issued", "{looked_up}");
    let used = app.store(&shop, Method::POST, &path).send().await.unwrap();
    assert_eq!(body(used).await["status"], "used");
}

#[tokio::test]
async fn refusals_say_why_and_write_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    let admin = app.admin_token().await;
    app.enrol(&shop, "bea").await;
    app.give(&shop, "bea", 600).await;

    assert_problem_of(
        redeem(&app, &shop, "bea", "cash-20").await,
        StatusCode::CONFLICT,
        "insufficient-points",
    );
    assert_problem_of(
        redeem(&app, &shop, "bea", "nothing-like-it").await,
        StatusCode::NOT_FOUND,
        "not-found",
    );
    set_tier(&app, "beauty", "bea", "VIB").await;
    assert_problem_of(
        redeem(&app, &shop, "bea", "rouge-reward").await,
        StatusCode::CONFLICT,
        "tier-required",
    );

    let mut cash = reward(&app, "beauty", "cash-10").await;
    for key in ["slug", "created_at", "updated_at"] {
        cash.as_object_mut().unwrap().remove(key);
    }
    cash["status"] = json!("disabled");
    let disabled = app
        .request(Method::PUT, "/v1/admin/programs/beauty/rewards/cash-10")
        .bearer_auth(&admin)
        .json(&cash)
        .send()
        .await
        .unwrap();
    assert_eq!(
        disabled.status(),
        StatusCode::OK,
        "{}",
        body(disabled).await
    );
    assert_problem_of(
        redeem(&app, &shop, "bea", "cash-10").await,
        StatusCode::CONFLICT,
        "reward-inactive",
    );

    app.event(&shop, json!({"type": "purchase", "id": "p1", "member": "bea", "amount": "100.00", "order_id": "A"})).await;
    app.store(&shop, Method::POST, "/v1/members/bea/points/redeem")
        .header("idempotency-key", "burn")
        .json(&json!({"points": 700}))
        .send()
        .await
        .unwrap();
    app.event(
        &shop,
        json!({"type": "refund", "id": "r1", "member": "bea", "amount": "100.00", "order_id": "A"}),
    )
    .await;
    assert_eq!(app.member(&shop, "bea").await["balance"]["available"], -100);
    assert_problem_of(
        redeem(&app, &shop, "bea", "mini-trio").await,
        StatusCode::CONFLICT,
        "negative-balance",
    );

    assert_eq!(
        reward(&app, "beauty", "mini-trio").await["stock"],
        500,
        "a refusal takes no stock"
    );
    let vouchers = body(
        app.store(&shop, Method::GET, "/v1/members/bea/redemptions")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(vouchers["data"].as_array().unwrap().len(), 0);
    app.assert_ledger_verifies().await;
}

fn assert_problem_of((status, problem): (StatusCode, Value), expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{problem}");
    assert_eq!(problem["code"], code, "{problem}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn coffee_two_brewed_coffees_at_the_same_instant_on_100_stars_one_succeeds() {
    let app = Arc::new(TestApp::spawn().await);
    let shop = Arc::new(app.configured_shop(coffee::config()).await);
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 100).await;
    let tasks: Vec<_> = (0..2)
        .map(|_| {
            let (app, shop) = (app.clone(), shop.clone());
            tokio::spawn(async move { redeem(&app, &shop, "ana", "brewed-coffee").await })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap().0);
    }
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::CONFLICT]);
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 0);
    app.assert_ledger_verifies().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_members_racing_for_a_stock_of_fifty_get_exactly_fifty_vouchers() {
    let app = Arc::new(TestApp::spawn().await);
    let shop = Arc::new(app.configured_shop(coffee::config()).await);
    let admin = app.admin_token().await;
    let limited = json!({"slug": "mug", "name": "Mug", "cost": 10, "kind": "gift", "stock": 50});
    let created = app
        .request(Method::POST, "/v1/admin/programs/coffee/rewards")
        .bearer_auth(&admin)
        .json(&limited)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    for i in 0..60 {
        app.enrol(&shop, &format!("m{i}")).await;
        app.give(&shop, &format!("m{i}"), 10).await;
    }
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let (app, shop) = (app.clone(), shop.clone());
            tokio::spawn(async move { redeem(&app, &shop, &format!("m{i}"), "mug").await })
        })
        .collect();
    let (mut issued, mut out_of_stock) = (0, 0);
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        match status {
            StatusCode::CREATED => issued += 1,
            StatusCode::CONFLICT if answer["code"] == "out-of-stock" => out_of_stock += 1,
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!((issued, out_of_stock), (50, 10));
    assert_eq!(reward(&app, "coffee", "mug").await["stock"], 0);
    app.assert_ledger_verifies().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_limit_of_one_per_member_holds_under_concurrent_requests() {
    let app = Arc::new(TestApp::spawn().await);
    let shop = Arc::new(app.configured_shop(beauty::config()).await);
    app.enrol(&shop, "rouge").await;
    set_tier(&app, "beauty", "rouge", "Rouge").await;
    app.give(&shop, "rouge", 25_000).await;
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (app, shop) = (app.clone(), shop.clone());
            tokio::spawn(async move { redeem(&app, &shop, "rouge", "rouge-reward").await })
        })
        .collect();
    let mut issued = 0;
    for task in tasks {
        let (status, answer) = task.await.unwrap();
        match status {
            StatusCode::CREATED => issued += 1,
            StatusCode::CONFLICT => assert_eq!(answer["code"], "limit-reached"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    assert_eq!(issued, 1);
    assert_eq!(
        app.member(&shop, "rouge").await["balance"]["available"],
        22_500
    );
    assert_eq!(reward(&app, "beauty", "rouge-reward").await["stock"], 49);
    app.assert_ledger_verifies().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancelling_restores_points_and_stock_exactly_once() {
    let app = Arc::new(TestApp::spawn().await);
    let shop = Arc::new(app.configured_shop(coffee::config()).await);
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 300).await;
    app.give(&shop, "ana", 200).await;
    let (_, voucher) = redeem(&app, &shop, "ana", "merch-20").await;
    assert_eq!(reward(&app, "coffee", "merch-20").await["stock"], 199);
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 100);

    let id = voucher["id"].as_str().unwrap().to_owned();
    let tasks: Vec<_> = (0..5)
        .map(|_| {
            let (app, shop, id) = (app.clone(), shop.clone(), id.clone());
            tokio::spawn(async move {
                app.store(&shop, Method::POST, &format!("/v1/redemptions/{id}/cancel"))
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        let status = task.await.unwrap();
        assert!(status == StatusCode::OK || status == StatusCode::CONFLICT);
        ok += usize::from(status == StatusCode::OK);
    }
    assert_eq!(ok, 1);
    let member = app.member(&shop, "ana").await;
    assert_eq!(member["balance"]["available"], 500);
    assert_eq!(member["balance"]["lifetime_redeemed"], 0);
    assert_eq!(reward(&app, "coffee", "merch-20").await["stock"], 200);
    let ledger = body(
        app.store(&shop, Method::GET, "/v1/members/ana/ledger")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ledger["data"][0]["kind"], "reverse");
    assert_eq!(ledger["data"][0]["points"], 400);
    assert_eq!(
        ledger["data"][0]["reverses_entry_id"],
        ledger["data"][1]["id"]
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn unused_vouchers_expire_keeping_their_points_unless_the_reward_says_so() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 100).await;
    let (_, voucher) = redeem(&app, &shop, "ana", "brewed-coffee").await;
    let expires_at = voucher["expires_at"].as_str().unwrap().to_owned();
    assert_eq!(app.tick("2026-01-01T00:00:00Z").await.expired_vouchers, 0);
    let later =
        chrono::DateTime::parse_from_rfc3339(&expires_at).unwrap() + chrono::Duration::seconds(1);
    let report = app.tick(&later.to_rfc3339()).await;
    assert_eq!(report.expired_vouchers, 1);
    let id = voucher["id"].as_str().unwrap();
    let shown = body(
        app.store(&shop, Method::GET, &format!("/v1/redemptions/{id}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(shown["status"], "expired");
    assert_eq!(
        app.member(&shop, "ana").await["balance"]["available"],
        0,
        "points are not returned"
    );
    let used = app
        .store(&shop, Method::POST, &format!("/v1/redemptions/{id}/use"))
        .send()
        .await
        .unwrap();
    assert_problem(used, StatusCode::CONFLICT, "voucher-expired").await;
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn members_see_the_catalogue_with_what_they_can_afford_and_redeem_themselves() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    app.give(&shop, "bea", 800).await;
    let token = app.member_token(&shop, "bea").await;

    let catalogue = body(
        app.request(Method::GET, "/v1/me/rewards")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let item = |slug: &str| {
        catalogue
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["slug"] == slug)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            item("cash-10")["affordable"].clone(),
            item("cash-10")["points_missing"].clone()
        ),
        (json!(true), json!(0))
    );
    assert_eq!(
        (
            item("cash-20")["affordable"].clone(),
            item("cash-20")["points_missing"].clone()
        ),
        (json!(false), json!(200))
    );
    assert_eq!(
        (
            item("rouge-reward")["tier_ok"].clone(),
            item("rouge-reward")["min_tier"].clone()
        ),
        (json!(false), json!("Rouge"))
    );

    let redeemed = app
        .request(Method::POST, "/v1/me/redemptions")
        .bearer_auth(&token)
        .header("idempotency-key", "mine-1")
        .json(&json!({"reward": "cash-10"}))
        .send()
        .await
        .unwrap();
    assert_eq!(redeemed.status(), StatusCode::CREATED);
    let voucher = body(redeemed).await;
    let replay = app
        .request(Method::POST, "/v1/me/redemptions")
        .bearer_auth(&token)
        .header("idempotency-key", "mine-1")
        .json(&json!({"reward": "cash-10"}))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(body(replay).await, voucher);
    let mine = body(
        app.request(Method::GET, "/v1/me/redemptions")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    assert_eq!(mine["data"][0]["amount"], "10.00");
    assert_eq!(app.member(&shop, "bea").await["balance"]["available"], 300);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn birthday_treats_are_vouchers_valid_as_long_as_the_tier_says() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "ana", "birthday": "1990-06-15"}))
        .send()
        .await
        .unwrap();
    set_tier(&app, "coffee", "ana", "Reserve").await;
    let report = app.tick("2027-06-15T12:00:00Z").await;
    assert_eq!(report.birthday_grants, 1);
    let vouchers = body(
        app.store(&shop, Method::GET, "/v1/members/ana/redemptions")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let treat = &vouchers["data"][0];
    assert_eq!(treat["reward"], "birthday-treat");
    assert_eq!(treat["points_spent"], 0);
    assert_eq!(treat["source"], "birthday");
    assert_eq!(
        treat["expires_at"], "2027-07-15T04:00:00Z",
        "Reserve: 30 days, to midnight in New York"
    );
}

#[tokio::test]
async fn a_rule_can_issue_a_reward() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    app.create_rule(&admin, "coffee", &json!({"slug": "welcome-shot", "name": "Welcome", "event_type": "signup",
        "effects": [{"type": "issue_reward", "reward": "custom-shot"}], "limits": [{"per": "lifetime", "count": 1}]})).await;
    app.enrol(&shop, "ana").await;
    let outcome = app
        .event(
            &shop,
            json!({"type": "signup", "id": "s1", "member": "ana"}),
        )
        .await;
    assert_eq!(outcome["rewards_issued"][0]["reward"], "custom-shot");
    assert_eq!(outcome["rewards_issued"][0]["points_spent"], 0);
    assert_eq!(outcome["rewards_issued"][0]["source"], "rule");
    assert_eq!(outcome["rules"][0]["why"], "a `custom-shot` voucher");
}

#[tokio::test]
async fn reaching_a_level_can_give_a_voucher() {
    let app = TestApp::spawn().await;
    let mut config = coffee::config();
    config.tiers["levels"][1]["reward_on_reach"] = json!("handcrafted-drink");
    let shop = app.configured_shop(config).await;
    app.enrol(&shop, "ana").await;
    let outcome = app
        .event(
            &shop,
            json!({"type": "purchase", "id": "big", "member": "ana", "amount": "500.00"}),
        )
        .await;
    assert_eq!(outcome["tier"]["name"], "Gold");
    assert_eq!(outcome["tier"]["reward"]["reward"], "handcrafted-drink");
    assert_eq!(outcome["tier"]["reward"]["source"], "tier");
    assert_eq!(outcome["tier"]["reward"]["points_spent"], 0);
    let vouchers = body(
        app.store(&shop, Method::GET, "/v1/members/ana/redemptions")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(vouchers["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_completed_challenge_issues_its_voucher_and_says_when_it_cannot() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    for (slug, target, voucher) in [
        ("two-visits", 2, "brewed-coffee"),
        ("phantom", 1, "no-such-reward"),
    ] {
        app.create_element(
            &admin,
            "coffee",
            "challenges",
            &json!({"slug": slug, "name": slug, "window": {"type": "recurring", "every": "week"},
                    "goal": {"type": "count", "target": target, "event_type": "purchase"},
                    "reward": {"points": 5, "voucher": voucher}}),
        )
        .await;
    }
    app.enrol(&shop, "ana").await;
    let purchase = |id: &str| json!({"type": "purchase", "id": id, "member": "ana", "amount": "4.00", "payment": "card"});
    let touched = |outcome: &Value, slug: &str| {
        outcome["challenges"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["slug"] == slug)
            .cloned()
            .unwrap_or(Value::Null)
    };

    let first = app.event(&shop, purchase("p1")).await;
    let phantom = touched(&first, "phantom")["reward_paid"].clone();
    assert_eq!(
        phantom["points"], 5,
        "the completion still pays its points: {first}"
    );
    assert_eq!(phantom["voucher"]["issued"], false);
    assert_eq!(phantom["voucher"]["reward"], "no-such-reward");
    assert!(
        phantom["voucher"]["note"]
            .as_str()
            .unwrap()
            .contains("no-such-reward")
    );
    assert!(touched(&first, "two-visits").get("reward_paid").is_none());

    let second = app.event(&shop, purchase("p2")).await;
    let paid = touched(&second, "two-visits")["reward_paid"].clone();
    assert_eq!(paid["voucher"]["issued"], true, "{second}");
    let code = paid["voucher"]["code"].as_str().unwrap();
    let voucher = body(
        app.store(&shop, Method::GET, &format!("/v1/vouchers/{code}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(voucher["id"], paid["voucher"]["id"]);
    assert_eq!(voucher["reward"], "brewed-coffee");
    assert_eq!(voucher["points_spent"], 0);
    assert_eq!(voucher["source"], "challenge");
    assert_eq!(voucher["status"], "issued");

    let third = app.event(&shop, purchase("p3")).await;
    assert!(
        touched(&third, "two-visits").get("reward_paid").is_none(),
        "once per window: {third}"
    );
    let listed = body(
        app.store(&shop, Method::GET, "/v1/members/ana/redemptions")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1, "{listed}");
    app.assert_ledger_verifies().await;
}

/// A stored reply belongs to who asked: another member, or another storefront key, sending
/// the same `Idempotency-Key` and body makes its own request and never sees the first reply.
#[tokio::test]
async fn the_same_idempotency_key_from_another_caller_is_another_request() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    for member in ["bea", "cal"] {
        app.enrol(&shop, member).await;
        app.give(&shop, member, 800).await;
    }
    let redeem_as = |token: String| {
        app.request(Method::POST, "/v1/me/redemptions")
            .bearer_auth(token)
            .header("idempotency-key", "same-key")
            .json(&json!({"reward": "cash-10"}))
            .send()
    };
    let bea = redeem_as(app.member_token(&shop, "bea").await)
        .await
        .unwrap();
    assert_eq!(bea.status(), StatusCode::CREATED);
    let bea = body(bea).await;
    let cal = redeem_as(app.member_token(&shop, "cal").await)
        .await
        .unwrap();
    assert_eq!(cal.status(), StatusCode::CREATED);
    assert!(cal.headers().get("idempotent-replayed").is_none());
    let cal = body(cal).await;
    assert_ne!(cal["id"], bea["id"]);
    assert_ne!(cal["code"], bea["code"]);
    assert_eq!(app.member(&shop, "bea").await["balance"]["available"], 300);
    assert_eq!(app.member(&shop, "cal").await["balance"]["available"], 300);

    let admin = app.admin_token().await;
    let other = app.api_key(&admin, &shop.slug, &["points:adjust"]).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let adjust_with = |key: String| {
        app.request(Method::POST, "/v1/members/bea/points/adjust")
            .header("x-api-key", key)
            .header("idempotency-key", "same-key")
            .json(&json!({"points": 10, "reason": "goodwill"}))
            .send()
    };
    let first = adjust_with(shop.key.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    let second = adjust_with(other).await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    assert!(second.headers().get("idempotent-replayed").is_none());
    assert_eq!(app.member(&shop, "bea").await["balance"]["available"], 320);
    app.assert_ledger_verifies().await;
}
