//! `/readyz` on SQLite when the file refuses writes: not ready, and ready again once it takes
//! them. Every write is made to fail by a file size limit of 0 put on the running process
//! (`prlimit`), as a full disk or a read-only file system would.

use std::process::Command;

use reqwest::StatusCode;

use crate::database::Database;
use crate::load::{Kind, Operation, client};
use crate::service::{Service, fidelio};
use crate::shop;

fn limit_file_size(service: &Service, limit: &str) {
    let set = Command::new("prlimit")
        .args([
            "--pid",
            &service.pid().to_string(),
            &format!("--fsize={limit}:"),
        ])
        .status()
        .expect("prlimit (util-linux) is needed");
    assert!(set.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_refusing_writes_is_not_ready_until_it_takes_them_again() {
    let database = Database::sqlite();
    shop::create_admin(&database);
    let service = Service::start(&database, &[]).await;
    let shop = shop::open(&service, 1).await;
    let adjust = || Operation {
        kind: Kind::Adjust,
        member: shop.members[0].clone(),
        key: uuid::Uuid::new_v4().to_string(),
        points: 5,
    };
    assert_eq!(service.get("/readyz").await.status, Some(StatusCode::OK));

    limit_file_size(&service, "0");
    let refused = adjust().send(&client(), service.address(), &shop).await;
    let not_ready = service.get("/readyz").await;
    limit_file_size(&service, "unlimited");

    assert!(
        refused.status.is_some_and(|s| s.is_server_error()),
        "{refused:?}"
    );
    assert_eq!(
        not_ready.status,
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "{not_ready:?}"
    );
    assert_eq!(not_ready.code().as_deref(), Some("service-unavailable"));
    assert!(
        not_ready.json()["detail"]
            .as_str()
            .unwrap()
            .contains("database"),
        "{not_ready:?}"
    );

    let ready = service.get("/readyz").await;
    assert_eq!(ready.status, Some(StatusCode::OK), "{ready:?}");
    let taken = adjust().send(&client(), service.address(), &shop).await;
    assert_eq!(taken.status, Some(StatusCode::CREATED), "{taken:?}");
    fidelio(&database.url, &["verify"]);
}
