//! SIGKILL under load, ten times over.

use std::time::Duration;

use crate::database::Database;
use crate::load::{Load, OnNoAnswer};
use crate::service::Service;
use crate::settle::settle;
use crate::shop;

const ROUNDS: usize = 10;
const WORKERS: usize = 16;
const MEMBERS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_ten_times_under_load_the_ledger_holds_every_acknowledged_request_once() {
    let database = Database::fresh();
    shop::create_admin(&database);
    let mut service = Service::start(&database, &[]).await;
    let shop = shop::open(&service, MEMBERS).await;

    let mut attempts = Vec::new();
    for _ in 0..ROUNDS {
        let load = Load::start(service.address(), &shop, WORKERS, OnNoAnswer::Stop);
        tokio::time::sleep(Duration::from_millis(rand::random_range(300..1200))).await;
        service.kill();
        attempts.extend(load.stop().await);
        service.restart().await;
    }

    let figures = settle(&database, service.address(), &shop, &attempts).await;
    eprintln!(
        "kill -9 x{ROUNDS} on {}: {figures}",
        if database.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    figures.assert_clean();
    assert!(figures.unanswered > 0, "no request was cut off: {figures}");
}
