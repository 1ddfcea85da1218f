//! Group commit on SQLite: writes that arrive together share one transaction and one fsync,
//! each in its own savepoint, so a refused one rolls back alone; on PostgreSQL each request
//! commits its own.

use std::collections::HashMap;

use serde_json::json;

use crate::helpers::{Reply, TestApp};
use fidelio::db::Backend;

/// `fidelio_db_group_commits_total` and `fidelio_db_grouped_writes_total` from `/metrics`.
async fn group_commits(app: &TestApp) -> (u64, u64) {
    (
        app.metric("fidelio_db_group_commits_total").await,
        app.metric("fidelio_db_grouped_writes_total").await,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_arriving_together_share_commits_and_a_refused_one_rolls_back_alone() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    let members: Vec<String> = (0..8).map(|i| format!("m{i}")).collect();
    for member in &members {
        app.enrol(&shop, member).await;
        app.give(&shop, member, 100).await;
    }
    let (commits_before, writes_before) = group_commits(&app).await;

    // Per member, 40 requests at once: 20 adjusts of +5 and 20 redeems of 30, which the
    // balance cannot all pay, so some are refused in the middle of batches.
    let mut tasks = Vec::new();
    for member in &members {
        for i in 0..40 {
            let (action, request) = if i % 2 == 0 {
                ("adjust", json!({"points": 5, "reason": "goodwill"}))
            } else {
                ("redeem", json!({"points": 30}))
            };
            let builder = app.points(
                &shop,
                member,
                action,
                Some(&format!("{member}-{i}")),
                &request,
            );
            let member = member.clone();
            tasks.push(tokio::spawn(async move {
                (
                    member,
                    action,
                    Reply::read(builder.send().await.unwrap()).await,
                )
            }));
        }
    }
    let mut paid: HashMap<String, (i64, i64, usize)> = HashMap::new();
    let mut refused = 0;
    for task in tasks {
        let (member, action, reply) = task.await.unwrap();
        let counts = paid.entry(member).or_default();
        match (action, reply.status.as_u16()) {
            ("adjust", 201) => {
                counts.0 += 5;
                counts.2 += 1;
            }
            ("redeem", 201) => {
                counts.1 += 30;
                counts.2 += 1;
            }
            ("redeem", 409 | 422) => refused += 1,
            (action, status) => panic!("{action} answered {status}: {}", reply.text),
        }
    }
    assert!(refused > 0, "some redeems find too few points");

    let mut successes = 0;
    for member in &members {
        let (added, taken, entries) = paid[member];
        successes += entries;
        let view = app.member(&shop, member).await;
        assert_eq!(
            view["balance"]["available"],
            100 + added - taken,
            "{member}: every answered write is in, every refused one left nothing"
        );
        assert_eq!(
            app.ledger(&shop, member).await.len(),
            1 + entries,
            "{member}"
        );
    }

    let (commits_after, writes_after) = group_commits(&app).await;
    let (commits, writes) = (commits_after - commits_before, writes_after - writes_before);
    match app.database.backend() {
        Backend::Sqlite => {
            assert!(
                writes >= successes as u64,
                "{writes} writes committed for {successes} answered"
            );
            assert!(
                commits < writes,
                "{writes} writes arriving together shared {commits} commits"
            );
            eprintln!("{writes} writes in {commits} commits");
        }
        Backend::Postgres => assert_eq!((commits, writes), (0, 0)),
    }
    app.assert_ledger_verifies().await;
}
