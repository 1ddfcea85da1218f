//! Admins manage badges, challenges, streaks and leaderboards: validation, changes, disabling,
//! retroactive grants; and a leaderboard read at 100,000 members.

use diesel::RunQueryDsl;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use fidelio::tools::demo::{beauty, coffee};

fn purchase(id: &str, member: &str, amount: &str) -> Value {
    json!({"type": "purchase", "id": id, "member": member, "amount": amount, "payment": "card"})
}

/// The field a 422 names.
fn field(problem: &Value) -> &str {
    problem["errors"][0]["field"].as_str().unwrap()
}

#[tokio::test]
async fn badges_challenges_streaks_and_leaderboards_are_validated_naming_the_field() {
    let app = TestApp::spawn().await;
    app.configured_shop(coffee::config()).await;
    let post = |kind: &'static str, element: Value| {
        let app = &app;
        async move {
            app.admin_call(
                Method::POST,
                &format!("/v1/admin/programs/coffee/{kind}"),
                Some(element),
            )
            .await
        }
    };
    for (kind, element, expected) in [
        (
            "badges",
            json!({"slug": "x", "name": "X", "criterion": {"type": "event_sum", "event_type": "purchase"}}),
            "threshold",
        ),
        (
            "badges",
            json!({"slug": "x", "name": "X", "criterion": {"type": "streak", "streak": "none"}, "threshold": 2}),
            "criterion.streak",
        ),
        (
            "badges",
            json!({"slug": "x", "name": "X", "criterion": {"type": "tier", "tier": "Platinum"}}),
            "criterion.tier",
        ),
        (
            "badges",
            json!({"slug": "x", "name": "X", "criterion": {"type": "event_count", "event_type": "purchase",
            "conditions": [{"field": "amount", "op": "gte", "value": "ten"}]}}),
            "criterion.conditions[0].value",
        ),
        (
            "badges",
            json!({"slug": "x", "name": "X", "criterion": {"type": "event_count", "event_type": "review"},
            "levels": [{"name": "a", "threshold": 5}, {"name": "b", "threshold": 3}]}),
            "levels[1].threshold",
        ),
        (
            "badges",
            json!({"slug": "Bad Slug", "name": "X", "criterion": {"type": "referrals"}}),
            "slug",
        ),
        (
            "badges",
            json!({"slug": "x", "name": "X", "criterion": {"type": "sometimes"}}),
            "criterion.type",
        ),
        (
            "challenges",
            json!({"slug": "x", "name": "X", "window": {"type": "recurring", "every": "week"},
            "goal": {"type": "sum", "target": "1.001", "event_type": "purchase"}}),
            "goal.target",
        ),
        (
            "challenges",
            json!({"slug": "x", "name": "X", "window": {"type": "recurring", "every": "week"},
            "goal": {"type": "count", "target": 3, "event_type": "purchase"}, "reward": {"badge": "nope"}}),
            "reward.badge",
        ),
        (
            "streaks",
            json!({"slug": "x", "name": "X", "period": "fortnight", "event_type": "purchase"}),
            "period",
        ),
        (
            "leaderboards",
            json!({"slug": "x", "name": "X", "metric": {"type": "points_earned"},
            "period": {"type": "challenge", "challenge": "nope"}}),
            "period.challenge",
        ),
        (
            "leaderboards",
            json!({"slug": "x", "name": "X", "metric": {"type": "points_earned"},
            "period": {"type": "week"}, "size": 1000}),
            "size",
        ),
    ] {
        let (status, problem) = post(kind, element).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{kind}: {problem}"
        );
        assert_eq!(field(&problem), expected, "{problem}");
    }
    let (status, problem) = post(
        "badges",
        json!({"slug": "first-sip", "name": "Again",
        "criterion": {"type": "referrals"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "badge-exists");

    let (status, listed) = app
        .admin_call(
            Method::GET,
            "/v1/admin/programs/coffee/badges?limit=2",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let slugs: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["first-sip", "regular"]);
    assert!(listed["next_cursor"].is_string());
    let (_, shown) = app
        .admin_call(
            Method::GET,
            "/v1/admin/programs/coffee/challenges/star-dash",
            None,
        )
        .await;
    assert_eq!(shown["enrolment"], "opt_in");
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["goal"]["target"], 3);
}

#[tokio::test]
async fn what_an_element_measures_is_fixed_but_its_reward_and_target_can_change() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let mut dash = coffee::config().challenges[0].clone();
    dash.as_object_mut().unwrap().remove("slug");

    let mut other_goal = dash.clone();
    other_goal["goal"]["event_type"] = json!("review");
    let (status, problem) = app
        .admin_call(
            Method::PUT,
            "/v1/admin/programs/coffee/challenges/star-dash",
            Some(other_goal),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "measure-fixed");

    let mut richer = dash.clone();
    richer["reward"]["points"] = json!(60);
    richer["goal"]["target"] = json!(2);
    let (status, changed) = app
        .admin_call(
            Method::PUT,
            "/v1/admin/programs/coffee/challenges/star-dash",
            Some(richer),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["reward"]["points"], 60);

    app.enrol(&shop, "ana").await;
    app.join(&shop, "ana", "star-dash").await;
    app.event(&shop, purchase("p1", "ana", "10.00")).await;
    let done = app.event(&shop, purchase("p2", "ana", "10.00")).await;
    assert_eq!(
        done["challenges"][0]["reward_paid"]["points"], 60,
        "the change applies at once"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn disabled_elements_stop_counting_and_an_element_in_use_cannot_be_disabled() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    let (status, problem) = app
        .admin_call(
            Method::POST,
            "/v1/admin/programs/beauty/badges/glow-getter/disable",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "element-in-use");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("skincare-sprint"),
        "{problem}"
    );

    let (status, disabled) = app
        .admin_call(
            Method::POST,
            "/v1/admin/programs/beauty/challenges/skincare-sprint/disable",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disabled["status"], "disabled");
    app.enrol(&shop, "sky").await;
    let outcome = app
        .event(&shop, json!({"type": "purchase", "id": "p1", "member": "sky", "amount": "80.00", "channel": "store",
            "items": [{"sku": "s", "category": "skincare", "quantity": 1, "unit_price": "80.00"}]}))
        .await;
    assert_eq!(outcome["challenges"], json!([]));
    assert_eq!(
        app.as_member(&shop, "sky", "/v1/me/challenges").await,
        json!([])
    );

    let (status, _) = app
        .admin_call(
            Method::POST,
            "/v1/admin/programs/beauty/challenges/skincare-sprint/enable",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let listed = app.as_member(&shop, "sky", "/v1/me/challenges").await;
    assert_eq!(listed[0]["slug"], "skincare-sprint");
    assert_eq!(listed[0]["joined"], true, "automatic enrolment");
    assert_eq!(
        listed[0]["progress"], "0.00",
        "events while disabled did not count"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn joining_is_refused_for_automatic_unknown_and_other_tiers_challenges() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "sky").await;
    assert_problem(
        app.join(&shop, "sky", "skincare-sprint").await,
        StatusCode::CONFLICT,
        "challenge-automatic",
    )
    .await;
    assert_problem(
        app.join(&shop, "sky", "nope").await,
        StatusCode::NOT_FOUND,
        "not-found",
    )
    .await;
    let admin = app.admin_token().await;
    app.create_element(&admin, "beauty", "challenges", &json!({"slug": "vip-week", "name": "VIP week",
        "goal": {"type": "count", "target": 2, "event_type": "purchase"},
        "window": {"type": "recurring", "every": "week"}, "enrolment": "opt_in", "tiers": ["VIB", "Rouge"]}))
        .await;
    assert_problem(
        app.join(&shop, "sky", "vip-week").await,
        StatusCode::CONFLICT,
        "challenge-not-eligible",
    )
    .await;
    let listed = app.as_member(&shop, "sky", "/v1/me/challenges").await;
    let vip = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "vip-week")
        .unwrap();
    assert_eq!(
        (vip["eligible"].clone(), vip["joined"].clone()),
        (json!(false), json!(false))
    );
}

#[tokio::test]
async fn a_suspended_member_earns_no_badges_and_moves_no_challenge() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    let suspended = app
        .store(&shop, Method::PATCH, "/v1/members/ana")
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(suspended.status(), StatusCode::OK);
    let outcome = app.event(&shop, purchase("p1", "ana", "20.00")).await;
    assert_eq!(outcome["points_awarded"], 0);
    assert_eq!(outcome["badges_earned"], json!([]));
    assert_eq!(outcome["challenges"], json!([]));
    let (_, board) = app
        .admin_call(
            Method::GET,
            "/v1/admin/programs/coffee/leaderboards/weekly-stars/standings",
            None,
        )
        .await;
    assert_eq!(board["members"], 0);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn a_badge_added_later_is_granted_retroactively_and_its_dry_run_writes_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    for member in ["ana", "bea", "cai"] {
        app.enrol(&shop, member).await;
    }
    app.event(&shop, purchase("a1", "ana", "30.00")).await;
    app.event(&shop, purchase("a2", "ana", "25.00")).await;
    app.event(&shop, purchase("b1", "bea", "40.00")).await;
    let admin = app.admin_token().await;
    app.create_element(&admin, "coffee", "badges", &json!({"slug": "big-spender", "name": "Big Spender",
        "criterion": {"type": "event_sum", "event_type": "purchase"}, "threshold": "50.00", "points": 25}))
        .await;
    let ledger_before = app.ledger(&shop, "ana").await;

    let grant = "/v1/admin/programs/coffee/badges/big-spender/grant";
    let (status, dry) = app
        .admin_call(Method::POST, &format!("{grant}?dry_run=true"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{dry}");
    assert_eq!(
        dry,
        json!({"badge": "big-spender", "dry_run": true, "members": 1,
               "levels": [{"level": 1, "members": 1}], "points": 25})
    );
    assert_eq!(
        app.ledger(&shop, "ana").await,
        ledger_before,
        "a dry run writes nothing"
    );
    let badges = app.as_member(&shop, "ana", "/v1/me/badges").await;
    let big = badges
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "big-spender")
        .unwrap();
    assert_eq!(
        (big["earned"].clone(), big["progress"].clone()),
        (json!(false), json!("0.00"))
    );

    let (_, done) = app.admin_call(Method::POST, grant, None).await;
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["members"], 1);
    let ledger = app.ledger(&shop, "ana").await;
    assert_eq!(ledger[0]["reason"], "badge Big Spender");
    assert_eq!(ledger[0]["points"], 25);
    let badges = app.as_member(&shop, "ana", "/v1/me/badges").await;
    let big = badges
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "big-spender")
        .unwrap();
    assert_eq!(
        (big["earned"].clone(), big["progress"].clone()),
        (json!(true), json!("55.00"))
    );
    let badges = app.as_member(&shop, "bea", "/v1/me/badges").await;
    let big = badges
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "big-spender")
        .unwrap();
    assert_eq!(
        big["progress"], "40.00",
        "history counts towards the next events"
    );

    let (_, again) = app.admin_call(Method::POST, grant, None).await;
    assert_eq!(again["members"], 0, "granting twice grants nothing twice");
    let next = app.event(&shop, purchase("b2", "bea", "10.00")).await;
    assert_eq!(
        next["badges_earned"][0]["slug"], "big-spender",
        "40.00 before and 10.00 now"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn a_leaderboard_of_100_000_members_ranks_each_member_among_its_neighbours() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.event(&shop, purchase("p1", "ana", "2500.00")).await;
    let (_, board) = app
        .admin_call(
            Method::GET,
            "/v1/admin/programs/coffee/leaderboards/weekly-stars/standings",
            None,
        )
        .await;
    let key = board["period"]["key"].as_str().unwrap().to_owned();
    let postgres = matches!(app.database.backend(), fidelio::db::Backend::Postgres);
    app.with_db(move |conn| {
        let crowd = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
            INSERT INTO members (program_id, external_id, name, referral_code, status, points_available,
                points_pending, points_debt, lifetime_earned, lifetime_redeemed, enrolled_at, updated_at)
            SELECT p.id, 'crowd-' || n.i, 'Crowd Member', 'CROWD' || n.i, 'active', 0, 0, 0, 0, 0,
                '2026-01-01 00:00:00', '2026-01-01 00:00:00'
            FROM n, programs p WHERE p.slug = 'coffee'";
        diesel::sql_query(crowd).execute(&mut **conn).unwrap();
        let scores = format!(
            "INSERT INTO leaderboard_scores (leaderboard_id, period_key, member_id, score, reached_seq, updated_at)
             SELECT g.id, '{key}', m.id, (m.id * 7919) % 2000, m.id, '2026-01-01 00:00:00'
             FROM members m, game_elements g
             WHERE m.external_id LIKE 'crowd-%' AND g.slug = 'weekly-stars'"
        );
        diesel::sql_query(scores).execute(&mut **conn).unwrap();
        let analyze = if postgres { "VACUUM ANALYZE leaderboard_scores" } else { "ANALYZE" };
        diesel::sql_query(analyze).execute(&mut **conn).unwrap();
    })
    .await;

    for member in ["ana", "crowd-1", "crowd-50000", "crowd-99999"] {
        let token = app.member_token(&shop, member).await;
        let response = app
            .request(Method::GET, "/v1/me/leaderboards/weekly-stars")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let view: Value = response.json().await.unwrap();
        assert_eq!(view["members"], 100_001);
        assert_eq!(view["top"].as_array().unwrap().len(), 10);
        let neighbours = view["me"]["neighbours"].as_array().unwrap();
        assert!((3..=5).contains(&neighbours.len()), "{neighbours:?}");
        assert!(neighbours.iter().any(|n| n["you"] == true));
        if member == "ana" {
            assert_eq!(
                view["me"]["rank"], 1,
                "2500 Stars is more than any crowd member"
            );
        }
    }
    app.assert_ledger_verifies().await;
}
