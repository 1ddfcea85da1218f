//! SIGTERM with requests in flight: every one of them is answered, then the process exits 0.

use std::time::Duration;

use crate::database::Database;
use crate::load::{Load, OnNoAnswer};
use crate::service::Service;
use crate::shop;

const ROUNDS: usize = 5;
const WORKERS: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_answers_every_request_in_flight_and_exits_0() {
    let database = Database::fresh();
    shop::create_admin(&database);
    let mut service = Service::start(&database, &[]).await;
    let shop = shop::open(&service, 20).await;

    for round in 0..ROUNDS {
        if round > 0 {
            service.restart().await;
        }
        let load = Load::start(service.address(), &shop, WORKERS, OnNoAnswer::Continue);
        tokio::time::sleep(Duration::from_millis(rand::random_range(200..800))).await;
        load.halt();
        service.signal("TERM");
        let attempts = load.stop().await;

        let cut_off: Vec<_> = attempts
            .iter()
            .filter(|a| !a.answer.acknowledged())
            .collect();
        assert!(
            cut_off.is_empty(),
            "round {round}: {} of {} requests were not answered: {cut_off:#?}\n{}",
            cut_off.len(),
            attempts.len(),
            service.log()
        );
        let status = service.exit_status(Duration::from_secs(30)).await;
        assert_eq!(status.code(), Some(0), "{}", service.log());
    }
}
