//! Several instances on one database: what one writes the other reads, tokens signed by one
//! are accepted by the other (the generated secret is kept in the database), a configuration
//! change reaches both at once, and point moves through both at the same time add up.

use std::collections::HashMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, Shop, TestApp, body, serve_args};

/// Two instances on one fresh database, neither given a token secret.
async fn two_instances() -> (TestApp, TestApp) {
    let mut serve = serve_args();
    serve.jwt_secret = None;
    let first = TestApp::spawn_with(serve.clone()).await;
    let second = first.another_instance(serve).await;
    (first, second)
}

/// A program `shop` whose purchases earn 1 point per 1.00.
async fn earning_shop(app: &TestApp) -> Shop {
    let shop = app.shop("shop").await;
    let admin = app.admin_token().await;
    app.create_rule(
        &admin,
        "shop",
        &json!({"slug": "earn", "name": "Earn", "event_type": "purchase",
                "effects": [{"type": "points_per_amount", "rate": "1"}]}),
    )
    .await;
    shop
}

fn purchase(id: &str, member: &str, amount: &str) -> Value {
    json!({"type": "purchase", "id": id, "member": member, "amount": amount})
}

#[tokio::test]
async fn a_member_enrolled_through_one_instance_is_read_and_signed_in_through_the_other() {
    let (one, other) = two_instances().await;
    let shop = one.shop("shop").await;

    let enrolled = one.enrol(&shop, "ana").await;
    let read = other.member(&shop, "ana").await;
    assert_eq!(
        read, enrolled,
        "the other instance reads what the first wrote"
    );

    let member_token = other.member_token(&shop, "ana").await;
    let me = one
        .request(Method::GET, "/v1/me")
        .bearer_auth(&member_token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(body(me).await["external_id"], "ana");

    for (signer, reader) in [(&one, &other), (&other, &one)] {
        let admin = signer.admin_token().await;
        let programs = reader
            .request(Method::GET, "/v1/admin/programs")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap();
        assert_eq!(
            programs.status(),
            StatusCode::OK,
            "an admin token of either"
        );
        assert_eq!(body(programs).await["data"][0]["slug"], "shop");
    }
}

#[tokio::test]
async fn a_rule_changed_through_one_instance_applies_at_once_to_events_through_the_other() {
    let (one, other) = two_instances().await;
    let shop = earning_shop(&one).await;
    one.enrol(&shop, "ana").await;
    let before = other.event(&shop, purchase("p1", "ana", "10.00")).await;

    let admin = one.admin_token().await;
    let (status, changed) = one
        .admin_call(
            Method::PUT,
            "/v1/admin/programs/shop/rules/earn",
            Some(json!({"name": "Earn triple", "event_type": "purchase",
                        "effects": [{"type": "points_per_amount", "rate": "3"}]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    let after = other.event(&shop, purchase("p2", "ana", "10.00")).await;
    one.request(Method::POST, "/v1/admin/programs/shop/rules/earn/disable")
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let disabled = other.event(&shop, purchase("p3", "ana", "10.00")).await;

    assert_eq!(before["points_awarded"], 10);
    assert_eq!(after["points_awarded"], 30, "the new version, at once");
    assert_eq!(after["rules"][0]["version"], 2);
    assert_eq!(disabled["points_awarded"], 0, "the disabled rule, at once");
    assert_eq!(one.member(&shop, "ana").await["balance"]["available"], 40);
    one.assert_ledger_verifies().await;
}

#[tokio::test]
async fn a_request_replayed_through_the_other_instance_returns_the_stored_reply() {
    let (one, other) = two_instances().await;
    let shop = earning_shop(&one).await;
    one.enrol(&shop, "ana").await;
    one.give(&shop, "ana", 100).await;

    let redeem = json!({"points": 30, "order_id": "o-1"});
    let first = one
        .move_points(&shop, "ana", "redeem", "checkout-1", redeem.clone())
        .await;
    let again = other
        .move_points(&shop, "ana", "redeem", "checkout-1", redeem)
        .await;
    let (posted_status, posted) = one.post_event(&shop, purchase("p1", "ana", "20.00")).await;
    let (reposted_status, reposted) = other
        .post_event(&shop, purchase("p1", "ana", "20.00"))
        .await;

    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    assert!(!first.replayed);
    assert_eq!(
        (again.status, again.replayed, again.text.as_str()),
        (first.status, true, first.text.as_str()),
        "the stored reply, byte for byte"
    );
    assert_eq!(posted_status, StatusCode::CREATED);
    assert_eq!(reposted_status, StatusCode::OK);
    assert_eq!(reposted, posted);
    let kinds: Vec<Value> = other
        .ledger(&shop, "ana")
        .await
        .iter()
        .map(|e| e["kind"].clone())
        .collect();
    assert_eq!(kinds, [json!("earn"), json!("redeem"), json!("adjust")]);
    assert_eq!(other.member(&shop, "ana").await["balance"]["available"], 90);
    one.assert_ledger_verifies().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn point_moves_through_two_instances_at_once_leave_exact_balances() {
    let (one, other) = two_instances().await;
    let shop = earning_shop(&one).await;
    let members = ["ana", "bob", "cai", "dee"];
    for (i, member) in members.iter().enumerate() {
        let instance = if i % 2 == 0 { &one } else { &other };
        instance.enrol(&shop, member).await;
        instance.give(&shop, member, 1_000).await;
    }

    // Per member, 30 operations: 10 redeems of 10, 10 adjusts of +7 and 10 purchases of 5.00,
    // each sent through both instances at the same moment (a retry that landed elsewhere).
    let mut tasks = Vec::new();
    for member in members {
        for i in 0..30 {
            let (action, key_or_id) = match i % 3 {
                0 => ("redeem", format!("{member}-redeem-{i}")),
                1 => ("adjust", format!("{member}-adjust-{i}")),
                _ => ("event", format!("{member}-purchase-{i}")),
            };
            for instance in [&one, &other] {
                let request = match action {
                    "redeem" => instance.points(
                        &shop,
                        member,
                        "redeem",
                        Some(&key_or_id),
                        &json!({"points": 10}),
                    ),
                    "adjust" => instance.points(
                        &shop,
                        member,
                        "adjust",
                        Some(&key_or_id),
                        &json!({"points": 7, "reason": "goodwill"}),
                    ),
                    _ => instance
                        .store(&shop, Method::POST, "/v1/events")
                        .json(&purchase(&key_or_id, member, "5.00")),
                };
                let key = key_or_id.clone();
                tasks.push(tokio::spawn(async move {
                    (key, Reply::read(request.send().await.unwrap()).await)
                }));
            }
        }
    }
    let mut replies: HashMap<String, Vec<Reply>> = HashMap::new();
    for task in tasks {
        let (key, reply) = task.await.unwrap();
        replies.entry(key).or_default().push(reply);
    }

    assert_eq!(replies.len(), 120);
    for (key, pair) in &replies {
        let [a, b] = pair.as_slice() else {
            panic!("{key}: {pair:?}")
        };
        assert_eq!(a.json(), b.json(), "{key}: one reply for both instances");
        let fresh = pair
            .iter()
            .filter(|r| r.status == StatusCode::CREATED && !r.replayed);
        assert_eq!(fresh.count(), 1, "{key} ran once: {pair:?}");
        if key.contains("purchase") {
            let statuses = [a.status, b.status];
            assert!(
                statuses.contains(&StatusCode::CREATED) && statuses.contains(&StatusCode::OK),
                "{key}: a first post and a re-post: {statuses:?}"
            );
        } else {
            assert!(
                pair.iter().all(|r| r.status == StatusCode::CREATED),
                "{key}: {pair:?}"
            );
        }
    }
    for member in members {
        let balance = other.member(&shop, member).await["balance"].clone();
        assert_eq!(
            balance,
            json!({"available": 1_020, "pending": 0, "lifetime_earned": 1_120, "lifetime_redeemed": 100}),
            "{member}: 1000 - 10 x 10 + 10 x 7 + 10 x 5"
        );
        assert_eq!(one.ledger(&shop, member).await.len(), 31, "{member}");
    }
    one.assert_ledger_verifies().await;
}

/// Each instance remembers the storefront keys and the programs it read, and a read confirms
/// them in its own statement: a tier ladder, a limit or a revocation made through one instance
/// applies to the other's next request.
#[tokio::test]
async fn a_key_remembered_by_one_instance_follows_changes_made_through_the_other() {
    let (one, other) = two_instances().await;
    let admin = one.admin_token().await;
    let shop = one.shop("shop").await;
    one.enrol(&shop, "ana").await;
    let before = other.member(&shop, "ana").await;
    assert_eq!(before["tier"], Value::Null);
    let token = one.member_token(&shop, "ana").await;
    let me = || {
        other
            .request(Method::GET, "/v1/me")
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(body(me().await.unwrap()).await["tier"], Value::Null);

    let tiers = one
        .request(Method::PUT, "/v1/admin/programs/shop/tiers")
        .bearer_auth(&admin)
        .json(&fidelio::tools::demo::coffee::config().tiers)
        .send()
        .await
        .unwrap();
    assert_eq!(tiers.status(), StatusCode::OK);
    let after = other.member(&shop, "ana").await;
    assert!(after["tier"].is_object(), "{after}");
    let own = body(me().await.unwrap()).await;
    assert_eq!(
        own["tier"], after["tier"],
        "the member's own read follows too"
    );

    let missing = other
        .store(&shop, Method::GET, "/v1/members/nobody")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let keys = body(
        one.request(Method::GET, "/v1/admin/programs/shop/api-keys")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let key_path = format!("/v1/admin/programs/shop/api-keys/{}", keys["data"][0]["id"]);
    let limited = one
        .request(Method::PATCH, &key_path)
        .bearer_auth(&admin)
        .json(&json!({"rate_limit": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::OK);
    let read = || other.store(&shop, Method::GET, "/v1/members/ana").send();
    let first = read().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(
        first.headers()["ratelimit-policy"].to_str().unwrap(),
        "\"default\";q=1;w=1"
    );
    assert_eq!(
        read().await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    let revoked = one
        .request(Method::DELETE, &key_path)
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    // Once the bucket has a request again, the remembered key passes its limit and only the
    // read's own statement can tell that it is revoked.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(read().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let enrol = other
        .store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "bea"}))
        .send()
        .await
        .unwrap();
    assert_eq!(enrol.status(), StatusCode::UNAUTHORIZED);
}
