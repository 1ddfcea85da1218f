//! `fidelio bench` against a real server: every scenario runs, nothing fails, and the money
//! adds up, over HTTP and in the ledger.

use std::time::Duration;

use fidelio::db::DatabaseUrl;
use fidelio::tools::bench::{self, Scenario, Settings};

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, TestApp};

/// A tiny bench of every scenario against the app, verifying the app's database.
async fn tiny_bench(app: &TestApp) -> Settings {
    app.admin_token().await;
    Settings {
        url: app.address.clone(),
        admin_email: ADMIN_EMAIL.to_owned(),
        admin_password: ADMIN_PASSWORD.to_owned(),
        scenarios: Scenario::ALL.to_vec(),
        clients: 4,
        rate: None,
        limits: None,
        warmup: Duration::from_millis(200),
        duration: Duration::from_secs(1),
        members: 20,
        database: DatabaseUrl::parse(&app.database.url).unwrap(),
        game: true,
    }
}

#[tokio::test]
async fn the_bench_runs_every_scenario_without_errors_and_leaves_a_clean_ledger() {
    let app = TestApp::spawn().await;
    let settings = tiny_bench(&app).await;

    let summary = bench::run(&settings).await.unwrap();

    let names: Vec<_> = summary.figures.iter().map(|f| f.scenario).collect();
    assert_eq!(names, ["spread", "hot", "read", "events"]);
    for figures in &summary.figures {
        assert!(
            figures.requests > 0,
            "{} sent no requests",
            figures.scenario
        );
        assert!(
            figures.warmup_requests > 0,
            "{} did not warm up",
            figures.scenario
        );
        assert_eq!(figures.failures(), 0, "{figures:#?}");
    }
    assert_eq!(summary.money.checked, 21, "20 members and the hot one");
    assert!(summary.money.credited > 0 && summary.money.debited > 0);
    assert!(summary.money.awarded > 0, "the purchases earned no points");
    assert!(summary.money.is_clean(), "{:#?}", summary.money.mismatches);
    assert!(
        summary.verify.is_clean(),
        "{:#?}",
        summary.verify.differences
    );
    assert!(summary.verify.members >= 21);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn concurrent_events_of_one_member_all_succeed() {
    let app = TestApp::spawn().await;
    let settings = Settings {
        scenarios: vec![Scenario::Events],
        members: 1,
        ..tiny_bench(&app).await
    };

    let summary = bench::run(&settings).await.unwrap();

    assert_eq!(summary.figures[0].failures(), 0, "{:#?}", summary.figures);
    assert!(summary.money.awarded > 0);
    assert!(summary.passed());
}

#[tokio::test]
async fn the_events_scenario_runs_with_and_without_the_game_layer_and_the_money_adds_up() {
    for game in [true, false] {
        let app = TestApp::spawn().await;
        let settings = Settings {
            scenarios: vec![Scenario::Events],
            members: 4,
            game,
            ..tiny_bench(&app).await
        };

        let summary = bench::run(&settings).await.unwrap();

        assert!(summary.passed(), "game {game}: {:#?}", summary.figures);
        let program = summary.program.clone();
        let (status, board) = app
            .admin_call(
                reqwest::Method::GET,
                &format!("/v1/admin/programs/{program}/leaderboards/weekly-stars/standings"),
                None,
            )
            .await;
        if game {
            assert_eq!(status, reqwest::StatusCode::OK, "{board}");
            assert!(board["members"].as_i64().unwrap() > 0, "{board}");
        } else {
            assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{board}");
        }
        app.assert_ledger_verifies().await;
    }
}

#[tokio::test]
async fn the_bench_refuses_a_database_the_server_does_not_use_before_any_load() {
    let app = TestApp::spawn().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let other = elsewhere.path().join("other.db").display().to_string();
    let settings = Settings {
        database: DatabaseUrl::parse(&other).unwrap(),
        ..tiny_bench(&app).await
    };

    let error = bench::run(&settings).await.unwrap_err();

    assert!(error.to_string().contains("DATABASE_URL"), "{error:#}");
}

#[tokio::test]
async fn a_wrong_admin_password_stops_the_bench_before_any_load() {
    let app = TestApp::spawn().await;
    let settings = Settings {
        admin_password: "not the password".to_owned(),
        ..tiny_bench(&app).await
    };

    let error = bench::run(&settings).await.unwrap_err();

    assert!(error.to_string().contains("401"), "{error:#}");
}

#[tokio::test]
async fn at_a_fixed_rate_the_bench_sends_on_schedule_and_reports_the_services_memory() {
    let app = TestApp::spawn().await;
    let settings = Settings {
        scenarios: vec![Scenario::Spread, Scenario::Read],
        rate: Some(40.0),
        warmup: Duration::from_millis(250),
        duration: Duration::from_secs(2),
        ..tiny_bench(&app).await
    };

    let summary = bench::run(&settings).await.unwrap();

    assert!(summary.passed(), "{:#?}", summary.figures);
    for figures in &summary.figures {
        assert_eq!(figures.load, bench::Load::Rate(40.0));
        // 2 s at 40/s is 80 requests due in the measured part, whatever the answers took.
        assert!(
            (79..=81).contains(&figures.requests),
            "{} sent {} requests",
            figures.scenario,
            figures.requests
        );
        assert!(figures.p999_ms >= figures.p99_ms && figures.p99_ms >= figures.p50_ms);
    }
    assert!(
        summary
            .peak_memory
            .iter()
            .all(|peak| peak.unwrap_or(0) > 1 << 20),
        "{:?}",
        summary.peak_memory
    );
    assert!(summary.money.is_clean(), "{:#?}", summary.money.mismatches);
}
