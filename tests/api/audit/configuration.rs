//! Configuration changes, keys and admins in the audit log: each once, with its before and
//! after, nothing for a refusal, and never a secret.

use diesel::{QueryDsl, RunQueryDsl};
use fidelio::db::DbConnection;
use fidelio::db::schema::{admins, api_keys};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{actions, as_admin, audit, one, sent};
use crate::helpers::TestApp;

#[tokio::test]
async fn configuration_changes_are_audited_with_their_before_and_after() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let call = |method, path: &str, json| as_admin(&app, &admin, method, path, json);
    let p = "/v1/admin/programs/coffee";
    let program = json!({"slug": "coffee", "name": "Coffee"});
    let (created, _) = sent(
        call(Method::POST, "/v1/admin/programs", Some(program)),
        StatusCode::CREATED,
    )
    .await;
    let bad_zone = json!({"time_zone": "Mars/Olympus"});
    sent(
        call(Method::PATCH, p, Some(bad_zone)),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let renamed = json!({"name": "Coffee Club"});
    let (updated, _) = sent(call(Method::PATCH, p, Some(renamed)), StatusCode::OK).await;
    let ladder = json!({"metric": {"type": "qualifying_spend"}, "window": {"type": "calendar_year"},
        "levels": [{"name": "Member", "threshold": "0"}, {"name": "Gold", "threshold": "100"}]});
    let tiers = format!("{p}/tiers");
    let (tiers_set, _) = sent(call(Method::PUT, &tiers, Some(ladder)), StatusCode::OK).await;
    let (tiers_removed, _) = sent(call(Method::DELETE, &tiers, None), StatusCode::NO_CONTENT).await;

    let rewards = format!("{p}/rewards");
    let mug = json!({"slug": "mug", "name": "Mug", "cost": 10, "kind": "gift", "stock": 5});
    let (reward_created, _) =
        sent(call(Method::POST, &rewards, Some(mug)), StatusCode::CREATED).await;
    let no_cost = json!({"slug": "cup", "name": "Cup", "kind": "gift"});
    sent(
        call(Method::POST, &rewards, Some(no_cost)),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let bigger = json!({"name": "Big mug", "cost": 20, "kind": "gift", "stock": 5});
    let (reward_updated, _) = sent(
        call(Method::PUT, &format!("{rewards}/mug"), Some(bigger)),
        StatusCode::OK,
    )
    .await;

    let badges = format!("{p}/badges");
    let first = json!({"slug": "first", "name": "First",
        "criterion": {"type": "event_count", "event_type": "purchase"}, "threshold": 1});
    let (badge_created, _) = sent(
        call(Method::POST, &badges, Some(first.clone())),
        StatusCode::CREATED,
    )
    .await;
    sent(
        call(Method::POST, &badges, Some(first)),
        StatusCode::CONFLICT,
    )
    .await;
    let renamed = json!({"name": "First cup",
        "criterion": {"type": "event_count", "event_type": "purchase"}, "threshold": 1});
    let (badge_updated, _) = sent(
        call(Method::PUT, &format!("{badges}/first"), Some(renamed)),
        StatusCode::OK,
    )
    .await;
    let (badge_disabled, _) = sent(
        call(Method::POST, &format!("{badges}/first/disable"), None),
        StatusCode::OK,
    )
    .await;
    let (badge_enabled, _) = sent(
        call(Method::POST, &format!("{badges}/first/enable"), None),
        StatusCode::OK,
    )
    .await;
    let streak =
        json!({"slug": "daily", "name": "Daily", "event_type": "purchase", "period": "day"});
    let (streak_created, _) = sent(
        call(Method::POST, &format!("{p}/streaks"), Some(streak)),
        StatusCode::CREATED,
    )
    .await;

    let rows = audit(&app, &admin, "?program=coffee").await;
    assert_eq!(
        actions(&rows),
        [
            "streak.create",
            "badge.enable",
            "badge.disable",
            "badge.update",
            "badge.create",
            "reward.update",
            "reward.create",
            "tiers.remove",
            "tiers.set",
            "program.update",
            "program.create",
        ],
        "newest first, nothing for the refused changes"
    );
    assert!(rows.iter().all(|r| r["program"] == "coffee"));
    assert!(
        rows.iter()
            .all(|r| r["actor_label"] == crate::helpers::ADMIN_EMAIL)
    );

    let row = one(&rows, "program.create", &created);
    assert_eq!(
        (row["subject"].clone(), row["before"].clone()),
        (json!("coffee"), Value::Null)
    );
    assert_eq!(row["after"]["name"], "Coffee");
    assert_eq!(row["after"]["point_value"], "0.01");
    let row = one(&rows, "program.update", &updated);
    assert_eq!(row["before"]["name"], "Coffee");
    assert_eq!(row["after"]["name"], "Coffee Club");
    let row = one(&rows, "tiers.set", &tiers_set);
    assert_eq!(row["before"]["tiers"], Value::Null);
    assert_eq!(row["after"]["tiers"]["levels"][1]["name"], "Gold");
    let row = one(&rows, "tiers.remove", &tiers_removed);
    assert_eq!(row["before"]["tiers"]["levels"][1]["name"], "Gold");
    assert_eq!(row["after"]["tiers"], Value::Null);

    let row = one(&rows, "reward.create", &reward_created);
    assert_eq!(
        (row["subject"].clone(), row["before"].clone()),
        (json!("mug"), Value::Null)
    );
    assert_eq!(row["after"]["cost"], 10);
    let row = one(&rows, "reward.update", &reward_updated);
    assert_eq!(row["before"]["name"], "Mug");
    assert_eq!(
        (row["after"]["name"].clone(), row["after"]["cost"].clone()),
        (json!("Big mug"), json!(20))
    );

    let row = one(&rows, "badge.create", &badge_created);
    assert_eq!(row["subject"], "first");
    assert_eq!(row["after"]["definition"]["name"], "First");
    let row = one(&rows, "badge.update", &badge_updated);
    assert_eq!(row["before"]["definition"]["name"], "First");
    assert_eq!(row["after"]["definition"]["name"], "First cup");
    let row = one(&rows, "badge.disable", &badge_disabled);
    assert_eq!(
        (
            row["before"]["status"].clone(),
            row["after"]["status"].clone()
        ),
        (json!("active"), json!("disabled"))
    );
    let row = one(&rows, "badge.enable", &badge_enabled);
    assert_eq!(row["after"]["status"], "active");
    let row = one(&rows, "streak.create", &streak_created);
    assert_eq!(row["subject"], "daily");
}

#[tokio::test]
async fn keys_and_admins_are_audited_without_their_secrets() {
    let app = TestApp::spawn().await;
    let owner = app.admin_token().await;
    app.create_program(&owner, json!({"slug": "coffee", "name": "Coffee"}))
        .await;
    let call = |method, path: &str, json| as_admin(&app, &owner, method, path, json);
    let keys = "/v1/admin/programs/coffee/api-keys";
    let till = json!({"name": "till", "scopes": ["events:write"]});
    let (issued, key) = sent(call(Method::POST, keys, Some(till)), StatusCode::CREATED).await;
    let id = key["id"].as_i64().unwrap();
    let no_scopes = json!({"name": "none", "scopes": []});
    sent(
        call(Method::POST, keys, Some(no_scopes)),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let limited = json!({"rate_limit": 5});
    let (limit_set, _) = sent(
        call(Method::PATCH, &format!("{keys}/{id}"), Some(limited)),
        StatusCode::OK,
    )
    .await;
    let (revoked, _) = sent(
        call(Method::DELETE, &format!("{keys}/{id}"), None),
        StatusCode::OK,
    )
    .await;
    // Revoking it again changes nothing and writes nothing.
    sent(
        call(Method::DELETE, &format!("{keys}/{id}"), None),
        StatusCode::OK,
    )
    .await;

    let manager = json!({"email": "manager@example.com", "password": "a long password",
                         "role": "manager", "programs": ["coffee"]});
    let (admin_created, created) = sent(
        call(Method::POST, "/v1/admin/admins", Some(manager.clone())),
        StatusCode::CREATED,
    )
    .await;
    sent(
        call(Method::POST, "/v1/admin/admins", Some(manager)),
        StatusCode::CONFLICT,
    )
    .await;
    let manager_id = created["id"].as_i64().unwrap();
    let analyst = json!({"role": "analyst"});
    let path = format!("/v1/admin/admins/{manager_id}");
    let (admin_changed, _) = sent(call(Method::PATCH, &path, Some(analyst)), StatusCode::OK).await;
    let (_, list) = sent(call(Method::GET, "/v1/admin/admins", None), StatusCode::OK).await;
    let owner_id = list["data"][0]["id"].as_i64().unwrap();
    let demote_owner = json!({"role": "manager", "programs": ["coffee"]});
    let owner_path = format!("/v1/admin/admins/{owner_id}");
    sent(
        call(Method::PATCH, &owner_path, Some(demote_owner)),
        StatusCode::CONFLICT,
    )
    .await;

    let rows = audit(&app, &owner, "").await;
    assert_eq!(
        actions(&rows),
        [
            "admin.update",
            "admin.create",
            "api_key.revoke",
            "api_key.update",
            "api_key.issue",
            "program.create",
        ],
        "nothing for the refusals or the second revocation"
    );
    let subject = format!("key:{id}");
    let row = one(&rows, "api_key.issue", &issued);
    assert_eq!(
        (row["subject"].as_str(), row["program"].as_str()),
        (Some(subject.as_str()), Some("coffee"))
    );
    assert_eq!(row["before"], Value::Null);
    assert_eq!(row["after"]["name"], "till");
    assert_eq!(row["after"]["scopes"], json!(["events:write"]));
    let row = one(&rows, "api_key.update", &limit_set);
    assert_eq!(
        (
            row["before"]["rate_limit"].clone(),
            row["after"]["rate_limit"].clone()
        ),
        (Value::Null, json!(5))
    );
    let row = one(&rows, "api_key.revoke", &revoked);
    assert_eq!(row["before"]["revoked_at"], Value::Null);
    assert!(row["after"]["revoked_at"].is_string());

    let subject = format!("admin:{manager_id}");
    let row = one(&rows, "admin.create", &admin_created);
    assert_eq!(
        (row["subject"].as_str(), row["program"].clone()),
        (Some(subject.as_str()), Value::Null)
    );
    assert_eq!(
        row["after"],
        json!({"role": "manager", "programs": ["coffee"]})
    );
    let row = one(&rows, "admin.update", &admin_changed);
    assert_eq!(row["before"]["role"], "manager");
    assert_eq!(
        row["after"],
        json!({"role": "analyst", "programs": ["coffee"]})
    );

    let (digests, hashes) = app
        .with_db(|conn| {
            let conn: &mut DbConnection = conn;
            let digests: Vec<String> = api_keys::table
                .select(api_keys::secret_digest)
                .load(conn)
                .unwrap();
            let hashes: Vec<String> = admins::table
                .select(admins::password_hash)
                .load(conn)
                .unwrap();
            (digests, hashes)
        })
        .await;
    let log = serde_json::to_string(&rows).unwrap();
    let key = key["key"].as_str().unwrap();
    for secret in [key, "a long password", "manager@example.com"]
        .into_iter()
        .chain(digests.iter().map(String::as_str))
        .chain(hashes.iter().map(String::as_str))
    {
        assert!(!log.contains(secret), "{secret} in the audit log");
    }
}
