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

/// Members of the file's database alone, as a copy of it without its WAL shows them: what
/// has been checkpointed. `None` while the copy caught a checkpoint half-way.
fn members_in_file(path: &std::path::Path) -> Option<i64> {
    use diesel::{Connection, RunQueryDsl, SqliteConnection};

    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        members: i64,
    }
    let copy = tempfile::tempdir().unwrap();
    let copied = copy.path().join("copy.db");
    std::fs::copy(path, &copied).unwrap();
    let mut conn = SqliteConnection::establish(copied.to_str()?).ok()?;
    diesel::sql_query("SELECT COUNT(*) AS members FROM members")
        .get_result::<Count>(&mut conn)
        .ok()
        .map(|count| count.members)
}

#[tokio::test]
async fn the_writers_commits_leave_the_wal_and_a_thread_of_its_own_checkpoints_it() {
    let app = TestApp::spawn().await;
    if app.database.backend() == Backend::Postgres {
        return;
    }
    let shop = app.shop("shop").await;
    for i in 0..20 {
        app.enrol(&shop, &format!("m{i}")).await;
    }

    // The writer's COMMITs never checkpoint (`wal_autocheckpoint = 0`), and 20 enrolments are
    // far below SQLite's own 1,000 pages: only the checkpoint thread copies them into the file.
    let file = std::path::PathBuf::from(&app.database.url);
    let mut seen = None;
    for _ in 0..50 {
        seen = members_in_file(&file);
        if seen == Some(20) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(seen, Some(20), "the database file holds every enrolment");
    assert_eq!(app.member(&shop, "m19").await["external_id"], "m19");
}
