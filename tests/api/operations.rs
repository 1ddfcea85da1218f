//! The service starts on an empty database and reports on itself.

use reqwest::{Method, StatusCode};

use crate::helpers::{TestApp, body, database_args, serve_args};
use fidelio::startup::Application;

#[tokio::test]
async fn the_service_starts_on_an_empty_database_and_is_ready() {
    let app = TestApp::spawn().await;

    let health = app.request(Method::GET, "/healthz").send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(body(health).await["status"], "ok");

    let ready = app.request(Method::GET, "/readyz").send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let ready = body(ready).await;
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], app.database.backend().to_string());
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let app = TestApp::spawn().await;
    let response = app.request(Method::GET, "/healthz").send().await.unwrap();
    let id = response
        .headers()
        .get("x-request-id")
        .expect("x-request-id")
        .to_str()
        .unwrap();
    assert_eq!(id.len(), 36);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_show_the_pool() {
    let app = TestApp::spawn().await;
    app.request(Method::GET, "/healthz").send().await.unwrap();
    app.request(Method::GET, "/v1/members/someone")
        .send()
        .await
        .unwrap();

    let metrics = app.request(Method::GET, "/metrics").send().await.unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(
            r#"fidelio_http_requests_total{endpoint="/healthz",method="GET",status="200"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#"endpoint="/v1/members/{external_id}",method="GET",status="401""#),
        "{text}"
    );
    assert!(text.contains("fidelio_http_requests_duration_seconds_bucket"));
    assert!(text.contains("fidelio_db_pool_max_connections 10"));
}

#[tokio::test]
async fn the_openapi_document_covers_every_route_and_the_docs_work_offline() {
    let app = TestApp::spawn().await;
    let document = body(
        app.request(Method::GET, "/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let paths = document["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/auth/login",
        "/v1/admin/programs",
        "/v1/admin/programs/{program}/api-keys",
        "/v1/admin/programs/{program}/api-keys/{id}",
        "/v1/admin/programs/{program}/members",
        "/v1/members",
        "/v1/members/{external_id}",
        "/v1/members/{external_id}/ledger",
        "/v1/members/{external_id}/points/redeem",
        "/v1/members/{external_id}/points/adjust",
        "/v1/members/{external_id}/token",
        "/v1/me",
        "/v1/me/ledger",
        "/v1/me/rewards",
        "/v1/me/redemptions",
        "/v1/events",
        "/v1/events/{id}",
        "/v1/members/{external_id}/redemptions",
        "/v1/redemptions/{id}/use",
        "/v1/redemptions/{id}/cancel",
        "/v1/vouchers/{code}",
        "/v1/admin/programs/{program}/rules",
        "/v1/admin/programs/{program}/rules/preview",
        "/v1/admin/programs/{program}/rules/{slug}/versions",
        "/v1/admin/programs/{program}/tiers",
        "/v1/admin/programs/{program}/rewards",
        "/v1/admin/programs/{program}/members/{external_id}/tier",
        "/v1/admin/programs/{program}/members/{external_id}/points/adjust",
        "/v1/admin/programs/{program}/badges",
        "/v1/admin/programs/{program}/badges/{slug}",
        "/v1/admin/programs/{program}/badges/{slug}/disable",
        "/v1/admin/programs/{program}/badges/{slug}/enable",
        "/v1/admin/programs/{program}/badges/{slug}/grant",
        "/v1/admin/programs/{program}/challenges",
        "/v1/admin/programs/{program}/challenges/{slug}",
        "/v1/admin/programs/{program}/challenges/{slug}/disable",
        "/v1/admin/programs/{program}/challenges/{slug}/enable",
        "/v1/admin/programs/{program}/streaks",
        "/v1/admin/programs/{program}/streaks/{slug}",
        "/v1/admin/programs/{program}/streaks/{slug}/disable",
        "/v1/admin/programs/{program}/streaks/{slug}/enable",
        "/v1/admin/programs/{program}/leaderboards",
        "/v1/admin/programs/{program}/leaderboards/{slug}",
        "/v1/admin/programs/{program}/leaderboards/{slug}/disable",
        "/v1/admin/programs/{program}/leaderboards/{slug}/enable",
        "/v1/admin/programs/{program}/leaderboards/{slug}/standings",
        "/v1/me/badges",
        "/v1/me/challenges",
        "/v1/me/challenges/{slug}/join",
        "/v1/me/leaderboards/{slug}",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    assert!(document["components"]["schemas"]["Problem"].is_object());
    assert!(document["components"]["securitySchemes"]["api_key"].is_object());

    let docs = app.request(Method::GET, "/docs/").send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let page = docs.text().await.unwrap();
    assert!(page.contains("swagger-ui"));
    assert!(
        !page.contains("https://"),
        "the docs page must not load anything from the internet"
    );
    let script = app
        .request(Method::GET, "/docs/swagger-ui-bundle.js")
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_generated_token_secret_is_kept_so_tokens_survive_a_restart() {
    let app = TestApp::spawn().await;
    let mut serve = serve_args();
    serve.jwt_secret = None;
    let first = Application::build(&database_args(&app.database.url), &serve)
        .await
        .unwrap();
    let first_address = format!("http://127.0.0.1:{}", first.port());
    tokio::spawn(first.run_until_stopped());
    let second = Application::build(&database_args(&app.database.url), &serve)
        .await
        .unwrap();
    let second_address = format!("http://127.0.0.1:{}", second.port());
    tokio::spawn(second.run_until_stopped());

    app.admin_token().await;
    let login = app
        .client
        .post(format!("{first_address}/v1/auth/login"))
        .json(&serde_json::json!({"email": crate::helpers::ADMIN_EMAIL, "password": crate::helpers::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let token = body(login).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = app
        .client
        .get(format!("{second_address}/v1/admin/programs"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
}

/// Routes are registered only through `utoipa_actix_web`'s `service`, which takes nothing
/// without its `#[utoipa::path]`: so every route a handler serves is in the document (the
/// access matrix checks the converse, that every documented route reaches a handler).
#[test]
fn every_route_is_registered_through_the_documenting_service() {
    fn sources(dir: &std::path::Path, found: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                found.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }
    let mut files = Vec::new();
    sources(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/api"),
        &mut files,
    );
    assert!(files.len() > 20);
    for (path, text) in files {
        for undocumented in [".route(\"", "cfg.map(", "web::resource(", "web::scope("] {
            assert!(
                !text.contains(undocumented),
                "{path} registers a route with `{undocumented}`, which the document does not see"
            );
        }
    }
}
