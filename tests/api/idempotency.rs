//! `Idempotency-Key` on every mutating storefront and member call: a retry gets the first
//! answer, marked `Idempotent-Replayed`, and changes nothing; the key with another request is
//! 422; concurrent retries run once.

use std::sync::Arc;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Shop, TestApp, assert_problem, body};
use fidelio::tools::demo::coffee;

/// Sends `request` with `key`; the status, whether it was replayed, and the JSON answer.
async fn send(request: RequestBuilder, key: &str) -> (StatusCode, bool, Value) {
    let response = request.header("idempotency-key", key).send().await.unwrap();
    let status = response.status();
    let replayed = response
        .headers()
        .get("idempotent-replayed")
        .is_some_and(|v| v == "true");
    (status, replayed, body(response).await)
}

async fn voucher(app: &TestApp, shop: &Shop, member: &str) -> String {
    let response = app
        .store(
            shop,
            Method::POST,
            &format!("/v1/members/{member}/redemptions"),
        )
        .json(&json!({"reward": "brewed-coffee"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    body(response).await["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn member_changes_closing_and_tokens_replay_their_first_answer() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 40).await;

    let rename = |name: &str| {
        app.store(&shop, Method::PATCH, "/v1/members/ana")
            .json(&json!({ "name": name }))
    };
    let (status, replayed, first) = send(rename("Ana"), "rename-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{first}");
    app.store(&shop, Method::PATCH, "/v1/members/ana")
        .json(&json!({"name": "Ana María"}))
        .send()
        .await
        .unwrap();
    let (status, replayed, again) = send(rename("Ana"), "rename-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, true));
    assert_eq!(again, first, "the first answer, not a second change");
    assert_eq!(app.member(&shop, "ana").await["name"], "Ana María");
    let reused = rename("Other")
        .header("idempotency-key", "rename-1")
        .send()
        .await
        .unwrap();
    assert_problem(
        reused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency-key-reused",
    )
    .await;

    let token = || app.store(&shop, Method::POST, "/v1/members/ana/token");
    let (status, _, first) = send(token(), "token-1").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let (status, replayed, again) = send(token(), "token-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, true));
    assert_eq!(again["access_token"], first["access_token"]);

    let close = || app.store(&shop, Method::POST, "/v1/members/ana/close");
    let (status, replayed, closed) = send(close(), "close-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{closed}");
    assert_eq!(closed["status"], "closed");
    let (status, replayed, again) = send(close(), "close-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, true));
    assert_eq!(again, closed);
    let forfeits = app
        .ledger(&shop, "ana")
        .await
        .into_iter()
        .filter(|e| e["kind"] == "expire")
        .count();
    assert_eq!(forfeits, 1, "the points are forfeited once");
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn using_and_cancelling_a_voucher_replay_instead_of_conflicting() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 250).await;

    let used = voucher(&app, &shop, "ana").await;
    let use_it = |order: &str| {
        app.store(&shop, Method::POST, &format!("/v1/redemptions/{used}/use"))
            .json(&json!({ "order_id": order }))
    };
    let (status, replayed, first) = send(use_it("T-1"), "use-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{first}");
    assert_eq!(first["status"], "used");
    let (status, replayed, again) = send(use_it("T-1"), "use-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, true));
    assert_eq!(again, first);
    let other_order = use_it("T-2")
        .header("idempotency-key", "use-1")
        .send()
        .await
        .unwrap();
    assert_problem(
        other_order,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency-key-reused",
    )
    .await;

    let cancelled = voucher(&app, &shop, "ana").await;
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 50);
    let cancel = || {
        app.store(
            &shop,
            Method::POST,
            &format!("/v1/redemptions/{cancelled}/cancel"),
        )
    };
    let (status, replayed, first) = send(cancel(), "cancel-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{first}");
    let (status, replayed, again) = send(cancel(), "cancel-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, true));
    assert_eq!(again, first);
    assert_eq!(
        app.member(&shop, "ana").await["balance"]["available"],
        150,
        "the points come back once"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn joining_a_challenge_replays_and_keys_belong_to_the_member() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.enrol(&shop, "bo").await;
    let join_as = |token: &str| {
        app.request(Method::POST, "/v1/me/challenges/star-dash/join")
            .bearer_auth(token)
    };
    let ana = app.member_token(&shop, "ana").await;
    let (status, replayed, first) = send(join_as(&ana), "join-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, false), "{first}");
    assert_eq!(first["joined"], true, "{first}");
    let (status, replayed, again) = send(join_as(&ana), "join-1").await;
    assert_eq!((status, replayed), (StatusCode::OK, true));
    assert_eq!(again, first);

    let bo = app.member_token(&shop, "bo").await;
    let (status, replayed, theirs) = send(join_as(&bo), "join-1").await;
    assert_eq!(
        (status, replayed),
        (StatusCode::OK, false),
        "another member's key of the same name is another request"
    );
    assert_eq!(theirs["joined"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_cancels_with_one_key_give_the_points_back_once() {
    let app = Arc::new(TestApp::spawn().await);
    let shop = Arc::new(app.configured_shop(coffee::config()).await);
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 100).await;
    let id = voucher(&app, &shop, "ana").await;

    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (app, shop, id) = (app.clone(), shop.clone(), id.clone());
            tokio::spawn(async move {
                let request =
                    app.store(&shop, Method::POST, &format!("/v1/redemptions/{id}/cancel"));
                send(request, "cancel-once").await
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let fresh = answers.iter().filter(|(_, replayed, _)| !replayed).count();
    assert_eq!(fresh, 1, "one request did the work");
    for (status, _, answer) in &answers {
        match *status {
            StatusCode::OK => assert_eq!(answer["status"], "cancelled", "{answer}"),
            StatusCode::CONFLICT => assert_eq!(answer["code"], "idempotency-key-in-use"),
            other => panic!("unexpected {other}: {answer}"),
        }
    }
    let member = app.member(&shop, "ana").await;
    assert_eq!(member["balance"]["available"], 100);
    let reversals = app
        .ledger(&shop, "ana")
        .await
        .into_iter()
        .filter(|e| e["kind"] == "reverse")
        .count();
    assert_eq!(reversals, 1);
    app.assert_ledger_verifies().await;
}
