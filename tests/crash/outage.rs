//! PostgreSQL stopped under load (an immediate stop, as a crash) for 5 s, then started again;
//! and PostgreSQL refusing new connections only, which is not an outage. The suite's server is
//! never stopped: these tests run on private clusters, in the PostgreSQL suite only.

use std::time::{Duration, Instant};

use diesel::{Connection, PgConnection};
use reqwest::StatusCode;

use crate::cluster::Cluster;
use crate::database::{Database, postgres_server};
use crate::load::{Answer, Attempt, Kind, Load, OnNoAnswer, Operation, client};
use crate::service::Service;
use crate::settle::settle;
use crate::shop;

const OUTAGE: Duration = Duration::from_secs(5);
/// Far below `--db-timeout` (10 s), which requests used to wait out while the database was down.
const FAILS_WITHIN: Duration = Duration::from_secs(2);
/// What `/readyz` promises whatever the database does.
const READY_ANSWERS_WITHIN: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_down_for_5_s_under_load_clients_get_fast_503s_and_the_service_recovers_alone() {
    if postgres_server().is_none() {
        eprintln!("note: the PostgreSQL outage test runs in the PostgreSQL suite only");
        return;
    }
    let cluster = Cluster::start();
    let database = Database::on_postgres(&cluster.url());
    shop::create_admin(&database);
    let service = Service::start(&database, &[]).await;
    let shop = shop::open(&service, 20).await;
    let load = Load::start(service.address(), &shop, 16, OnNoAnswer::Continue);
    tokio::time::sleep(Duration::from_secs(1)).await;

    let down_at = load.clock();
    cluster.stop_immediately();
    let outage = Instant::now();
    let mut readiness = Vec::new();
    while outage.elapsed() < OUTAGE {
        readiness.push(service.get("/readyz").await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    cluster.start_again();
    let up_at = load.clock();
    let ready_again = ready_again(&service).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let attempts = load.stop().await;

    assert_not_ready_at_once(&readiness);
    let during: Vec<&Attempt> = attempts
        .iter()
        .filter(|a| a.sent_at >= down_at && a.sent_at < up_at)
        .collect();
    let refused = assert_fast_503_problems(&during);
    assert!(
        attempts
            .iter()
            .all(|a| a.answer.status != Some(StatusCode::INTERNAL_SERVER_ERROR)),
        "a request was answered 500"
    );
    let first_write = first_write_after(&attempts, up_at);
    assert!(
        first_write < FAILS_WITHIN,
        "writes resumed {first_write:?} after the database was back"
    );

    // Nothing lost, nothing twice.
    let figures = settle(&database, service.address(), &shop, &attempts).await;
    eprintln!(
        "PostgreSQL stopped {OUTAGE:?} under load: {refused} requests answered 503 during the \
         outage, ready again {ready_again:?} and first write {first_write:?} after the database \
         was back; {figures}"
    );
    figures.assert_clean();
}

/// How long after now `/readyz` answers 200.
async fn ready_again(service: &Service) -> Duration {
    let since = Instant::now();
    while service.get("/readyz").await.status != Some(StatusCode::OK) {
        assert!(
            since.elapsed() < Duration::from_secs(30),
            "the service never became ready again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    since.elapsed()
}

/// `/readyz` said the service was not ready, every time, within its second.
fn assert_not_ready_at_once(readiness: &[Answer]) {
    let wrong: Vec<_> = readiness
        .iter()
        .filter(|r| {
            r.status != Some(StatusCode::SERVICE_UNAVAILABLE) || r.took > READY_ANSWERS_WITHIN
        })
        .collect();
    assert!(
        readiness.len() > 5 && wrong.is_empty(),
        "/readyz during the outage: {wrong:#?}"
    );
}

/// Every request sent during the outage and not done (the last ones may find the database
/// starting again) got, fast, a 503 problem saying when to retry. Returns how many.
fn assert_fast_503_problems(during: &[&Attempt]) -> usize {
    let refused: Vec<&Answer> = during
        .iter()
        .map(|a| &a.answer)
        .filter(|a| !a.acknowledged())
        .collect();
    for answer in &refused {
        assert_eq!(
            answer.status,
            Some(StatusCode::SERVICE_UNAVAILABLE),
            "{answer:?}"
        );
        assert_eq!(
            answer.content_type.as_deref(),
            Some("application/problem+json")
        );
        assert!(answer.retry_after.is_some(), "{answer:?}");
        let code = answer.code().unwrap_or_default();
        assert!(
            code == "service-unavailable" || code == "outcome-unknown",
            "{answer:?}"
        );
        assert!(answer.took < FAILS_WITHIN, "a request hung: {answer:?}");
    }
    assert!(
        refused.len() > 10,
        "only {} requests answered 503 during the outage",
        refused.len()
    );
    refused.len()
}

/// How long after `up_at` the first write was acknowledged.
fn first_write_after(attempts: &[Attempt], up_at: Duration) -> Duration {
    attempts
        .iter()
        .filter(|a| a.answer.acknowledged() && a.sent_at + a.answer.took > up_at)
        .map(|a| a.sent_at + a.answer.took - up_at)
        .min()
        .expect("no write succeeded after the outage")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_refusing_new_connections_only_is_not_down_the_open_ones_serve() {
    if postgres_server().is_none() {
        eprintln!("note: the connection limit test runs in the PostgreSQL suite only");
        return;
    }
    let cluster = Cluster::start_with(&["max_connections=8", "superuser_reserved_connections=0"]);
    let database = Database::on_postgres(&cluster.url());
    shop::create_admin(&database);
    let service = Service::start(&database, &[]).await;
    let shop = shop::open(&service, 1).await;
    // Every slot the service does not hold yet, taken.
    let mut taken = Vec::new();
    while let Ok(connection) = PgConnection::establish(&database.url) {
        taken.push(connection);
    }

    // More requests at once than it has connections: they wait for them, as always.
    let requests: Vec<_> = (0..32)
        .map(|_| {
            let operation = Operation {
                kind: Kind::Adjust,
                member: shop.members[0].clone(),
                key: uuid::Uuid::new_v4().to_string(),
                points: 1,
            };
            let (address, shop) = (service.address().to_owned(), shop.clone());
            tokio::spawn(async move { operation.send(&client(), &address, &shop).await })
        })
        .collect();
    for request in requests {
        let answer = request.await.unwrap();
        assert_eq!(answer.status, Some(StatusCode::CREATED), "{answer:?}");
    }
    assert_eq!(service.get("/readyz").await.status, Some(StatusCode::OK));
    drop(taken);
}
