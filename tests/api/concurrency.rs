//! Hammering one ledger from many tasks at once: no overdraft, no lost update, no double
//! execution of one idempotency key, and every point accounted for.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::task::JoinHandle;

use crate::helpers::{Reply, Shop, TestApp};

/// Sends the request on its own task.
fn spawn(request: reqwest::RequestBuilder) -> JoinHandle<Reply> {
    tokio::spawn(async move { Reply::read(request.send().await.unwrap()).await })
}

async fn join_all(tasks: Vec<JoinHandle<Reply>>) -> Vec<Reply> {
    let mut replies = Vec::with_capacity(tasks.len());
    for task in tasks {
        replies.push(task.await.unwrap());
    }
    replies
}

/// Asserts the reply is a refusal for too few points.
fn assert_insufficient(reply: &Reply) {
    assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
    assert_eq!(
        reply.json()["code"],
        "insufficient-points",
        "{}",
        reply.text
    );
}

fn entries_of_kind(ledger: &[Value], kind: &str) -> Vec<Value> {
    ledger
        .iter()
        .filter(|e| e["kind"] == kind)
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_concurrent_redeems_of_ten_take_exactly_a_balance_of_a_thousand() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 1_000).await;

    let tasks = (0..200)
        .map(|i| {
            spawn(app.points(
                &shop,
                "ana",
                "redeem",
                Some(&format!("checkout-{i}")),
                &json!({"points": 10}),
            ))
        })
        .collect();
    let replies = join_all(tasks).await;

    let (paid, refused): (Vec<_>, Vec<_>) = replies
        .iter()
        .partition(|r| r.status == StatusCode::CREATED);
    assert_eq!(paid.len(), 100, "exactly the balance is paid out");
    assert_eq!(refused.len(), 100);
    refused.iter().for_each(|r| assert_insufficient(r));
    let balances_after: BTreeSet<i64> = paid
        .iter()
        .map(|r| r.json()["entry"]["balance_after"].as_i64().unwrap())
        .collect();
    assert_eq!(
        balances_after,
        (0..100).map(|i| i * 10).collect(),
        "each redemption saw the balance the previous one left: no lost update"
    );
    let balance = app.member(&shop, "ana").await["balance"].clone();
    assert_eq!(
        balance,
        json!({"available": 0, "pending": 0, "lifetime_earned": 1000, "lifetime_redeemed": 1000})
    );
    let redeems = entries_of_kind(&app.ledger(&shop, "ana").await, "redeem");
    assert_eq!(redeems.len(), 100);
    assert_eq!(
        redeems
            .iter()
            .map(|e| e["points"].as_i64().unwrap())
            .sum::<i64>(),
        -1_000,
        "points paid out equal points debited"
    );
    let answered: BTreeSet<i64> = paid
        .iter()
        .map(|r| r.json()["entry"]["id"].as_i64().unwrap())
        .collect();
    let written: BTreeSet<i64> = redeems.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(answered, written, "every entry written was answered, once");
    app.assert_ledger_verifies().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_requests_with_one_idempotency_key_execute_once() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 1_000).await;

    let tasks = (0..50)
        .map(|_| {
            spawn(app.points(
                &shop,
                "ana",
                "redeem",
                Some("the-one-checkout"),
                &json!({"points": 10, "order_id": "ord-1"}),
            ))
        })
        .collect();
    let replies = join_all(tasks).await;

    // `idempotency::execute` claims the key inside the transaction that does the work. A
    // concurrent claim of the same key waits for that transaction (PostgreSQL: the unique
    // index; SQLite: the write lock), then fails as a unique violation and reads the stored
    // response, which is committed by then. `idempotency-key-in-use` is only answered when
    // the claim failed yet no stored response is visible, which cannot happen here: so every
    // reply is the one response, and only the first is fresh.
    let first = &replies[0];
    for reply in &replies {
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        assert_eq!(
            reply.text, first.text,
            "every reply is byte for byte the same"
        );
    }
    assert_eq!(
        replies.iter().filter(|r| !r.replayed).count(),
        1,
        "exactly one reply is not marked as a replay"
    );
    let redeems = entries_of_kind(&app.ledger(&shop, "ana").await, "redeem");
    assert_eq!(redeems.len(), 1, "the request ran once");
    assert_eq!(redeems[0], first.json()["entry"]);
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 990);
    app.assert_ledger_verifies().await;
}

/// One request of the mixed hammer.
#[derive(Debug, Clone)]
struct Operation {
    member: String,
    action: &'static str,
    key: String,
    request: Value,
}

fn random_operation(rng: &mut StdRng, i: usize, members: &[&str]) -> Operation {
    let member = members[rng.random_range(0..members.len())].to_owned();
    let (action, request) = match rng.random_range(0..10) {
        0..4 => (
            "adjust",
            json!({"points": rng.random_range(1..=100), "reason": "hammer"}),
        ),
        4..6 => (
            "adjust",
            json!({"points": -rng.random_range(1..=60), "reason": "hammer"}),
        ),
        _ => ("redeem", json!({"points": rng.random_range(1..=80)})),
    };
    Operation {
        member,
        action,
        key: format!("op-{i}"),
        request,
    }
}

/// What the 201 replies of one member say happened, each entry once.
#[derive(Debug, Default)]
struct Answered {
    entries: BTreeMap<i64, Value>,
}

impl Answered {
    fn sum(&self, pick: impl Fn(&Value) -> bool) -> i64 {
        self.entries
            .values()
            .filter(|e| pick(e))
            .map(|e| e["points"].as_i64().unwrap())
            .sum()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_mixed_hammer_of_adjusts_and_redeems_accounts_for_every_point() {
    let app = TestApp::spawn().await;
    let shop: Shop = app.shop("shop").await;
    let members = ["ana", "bob", "cai", "dee"];
    for member in members {
        app.enrol(&shop, member).await;
    }
    let mut rng = StdRng::seed_from_u64(20_261_123);
    let operations: Vec<Operation> = (0..240)
        .map(|i| random_operation(&mut rng, i, &members))
        .collect();

    // Every fourth operation is also sent a second time at once, as a client retry would be.
    let mut tasks = Vec::new();
    for (i, op) in operations.iter().enumerate() {
        let copies = if i % 4 == 0 { 2 } else { 1 };
        for _ in 0..copies {
            let request = app.points(&shop, &op.member, op.action, Some(&op.key), &op.request);
            tasks.push((op.clone(), spawn(request)));
        }
    }
    let mut answered: HashMap<String, Answered> = HashMap::new();
    let mut bodies_by_key: HashMap<String, String> = HashMap::new();
    let mut refusals = 0;
    for (op, task) in tasks {
        let reply = task.await.unwrap();
        if reply.status != StatusCode::CREATED {
            assert_insufficient(&reply);
            refusals += 1;
            continue;
        }
        if let Some(earlier) = bodies_by_key.insert(op.key.clone(), reply.text.clone()) {
            assert_eq!(earlier, reply.text, "one key, one response");
        }
        let entry = reply.json()["entry"].clone();
        answered
            .entry(op.member)
            .or_default()
            .entries
            .insert(entry["id"].as_i64().unwrap(), entry);
    }

    assert!(
        refusals > 0 && !bodies_by_key.is_empty(),
        "the hammer both moved points and was refused ({refusals} refusals)"
    );
    for member in members {
        let answered = answered.remove(member).unwrap_or_default();
        let balance = app.member(&shop, member).await["balance"].clone();
        let sum = answered.sum(|_| true);
        assert_eq!(
            balance["available"], sum,
            "{member}: balance is what the 201s moved"
        );
        assert_eq!(balance["pending"], 0);
        assert_eq!(
            balance["lifetime_earned"],
            answered.sum(|e| e["kind"] == "adjust"),
            "{member}"
        );
        assert_eq!(
            balance["lifetime_redeemed"],
            -answered.sum(|e| e["kind"] == "redeem"),
            "{member}"
        );
        let ledger = app.ledger(&shop, member).await;
        let written: BTreeMap<i64, Value> = ledger
            .into_iter()
            .map(|e| (e["id"].as_i64().unwrap(), e))
            .collect();
        assert_eq!(
            written, answered.entries,
            "{member}: the ledger holds exactly the entries the 201s showed"
        );
    }
    app.assert_ledger_verifies().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_enrolments_of_one_id_make_one_member_and_nineteen_conflicts() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;

    let tasks = (0..20)
        .map(|_| {
            spawn(
                app.store(&shop, reqwest::Method::POST, "/v1/members")
                    .json(&json!({"external_id": "ana"})),
            )
        })
        .collect();
    let replies = join_all(tasks).await;

    let created = replies
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "exactly one enrolment wins");
    for reply in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
        assert_eq!(reply.status, StatusCode::CONFLICT, "{}", reply.text);
        assert_eq!(reply.json()["code"], "member-exists", "{}", reply.text);
    }
    assert_eq!(app.member(&shop, "ana").await["external_id"], "ana");
}
