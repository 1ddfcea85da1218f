//! A request whose database connection is cut mid-transaction: the outcome is unknown to the
//! service, which says so (503 `outcome-unknown`), and a retry with the same key applies it
//! once. PostgreSQL only: a SQLite connection cannot be lost.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::sql_types::Integer;
use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl, sql_query};
use reqwest::StatusCode;

use crate::database::{Database, postgres_server};
use crate::ledger::Ledger;
use crate::load::{Kind, Operation, client};
use crate::service::{Service, fidelio};
use crate::shop;

#[derive(QueryableByName)]
struct Backend {
    #[diesel(sql_type = Integer)]
    pid: i32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_connection_cut_mid_transaction_is_503_outcome_unknown_and_a_retry_applies_it_once() {
    if postgres_server().is_none() {
        eprintln!("note: the lost-connection test runs in the PostgreSQL suite only");
        return;
    }
    let database = Database::fresh();
    shop::create_admin(&database);
    let service = Service::start(&database, &[]).await;
    let shop = shop::open(&service, 1).await;
    let operation = Operation {
        kind: Kind::Adjust,
        member: shop.members[0].clone(),
        key: uuid::Uuid::new_v4().to_string(),
        points: 7,
    };

    // Hold the member's row, so that the adjustment waits for it inside its transaction.
    let mut holder = PgConnection::establish(&database.url).unwrap();
    holder
        .batch_execute(&format!(
            "BEGIN; SELECT id FROM members WHERE external_id = '{}' FOR UPDATE",
            operation.member
        ))
        .unwrap();
    let sent = {
        let (operation, address, shop) = (
            operation.clone(),
            service.address().to_owned(),
            shop.clone(),
        );
        tokio::spawn(async move { operation.send(&client(), &address, &shop).await })
    };
    let waiting = loop {
        let waiting: Vec<Backend> = sql_query(
            "SELECT pid FROM pg_stat_activity \
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .load(&mut holder)
        .unwrap();
        if let Some(backend) = waiting.first() {
            break backend.pid;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    sql_query(format!("SELECT pg_terminate_backend({waiting})"))
        .execute(&mut holder)
        .unwrap();
    let answer = sent.await.unwrap();
    holder.batch_execute("ROLLBACK").unwrap();

    assert_eq!(
        answer.status,
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "{answer:?}"
    );
    assert_eq!(
        answer.code().as_deref(),
        Some("outcome-unknown"),
        "{answer:?}"
    );
    assert_eq!(
        answer.content_type.as_deref(),
        Some("application/problem+json")
    );
    assert_eq!(answer.retry_after.as_deref(), Some("1"));
    assert!(
        answer.json()["detail"]
            .as_str()
            .unwrap()
            .contains("same Idempotency-Key")
    );

    let retried = operation.send(&client(), service.address(), &shop).await;
    assert_eq!(retried.status, Some(StatusCode::CREATED), "{retried:?}");
    assert!(!retried.replayed, "the cut request had not committed");
    assert_eq!(retried.json()["entry"]["points"], 7, "{retried:?}");
    assert_eq!(Ledger::read(&database).await.applied(&operation), 1);
    fidelio(&database.url, &["verify"]);
}
