//! Analytics, checked figure by figure against numbers computed by hand from a small data set.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use diesel::prelude::*;
use fidelio::db::DbConnection;
use fidelio::db::models::stats;
use fidelio::db::schema::{cohort_activity, members};

use crate::helpers::{TestApp, body};
use fidelio::tools::demo::coffee;

/// Three coffee members: `a` buys 10.00 and 20.00, reviews once and refers `b`, and gets the
/// 10.00 refunded; `b` buys 30.00, is given 100 Stars and redeems `two-off` (60), used at
/// once; `c` does nothing. The program costs 300.00 a month, half its net revenue attributed.
async fn small_program(app: &TestApp) -> String {
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    let patched = app
        .request(Method::PATCH, "/v1/admin/programs/coffee")
        .bearer_auth(&admin)
        .json(&json!({"analytics": {"program_cost_per_month": "300.00", "attributed_revenue_share": "0.5"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    let a = app.enrol(&shop, "a").await;
    app.store(&shop, Method::POST, "/v1/members")
        .json(&json!({"external_id": "b", "referral_code": a["referral_code"]}))
        .send()
        .await
        .unwrap();
    app.enrol(&shop, "c").await;
    app.event(
        &shop,
        json!({"type": "purchase", "id": "p1", "member": "a", "amount": "10.00", "order_id": "A1"}),
    )
    .await;
    app.event(
        &shop,
        json!({"type": "purchase", "id": "p2", "member": "a", "amount": "20.00", "order_id": "A2"}),
    )
    .await;
    app.event(&shop, json!({"type": "review", "id": "r1", "member": "a"}))
        .await;
    app.event(
        &shop,
        json!({"type": "purchase", "id": "p3", "member": "b", "amount": "30.00", "order_id": "B1"}),
    )
    .await;
    app.give(&shop, "b", 100).await;
    let voucher = body(
        app.store(&shop, Method::POST, "/v1/members/b/redemptions")
            .json(&json!({"reward": "two-off"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let used = app
        .store(
            &shop,
            Method::POST,
            &format!("/v1/redemptions/{}/use", voucher["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(used.status(), StatusCode::OK);
    app.event(
        &shop,
        json!({"type": "refund", "id": "f1", "member": "a", "amount": "10.00", "order_id": "A1"}),
    )
    .await;
    admin
}

async fn get(app: &TestApp, admin: &str, path: &str) -> Value {
    let response = app
        .request(Method::GET, path)
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    body(response).await
}

#[tokio::test]
async fn every_summary_figure_matches_the_hand_computed_value() {
    let app = TestApp::spawn().await;
    let admin = small_program(&app).await;
    let summary = get(&app, &admin, "/v1/admin/programs/coffee/analytics/summary").await;
    assert_eq!(summary["period"]["days"], 30);
    let expected = [
        ("members_total", json!(3)),
        ("members_new", json!(3)),
        ("members_active_30d", json!(2)),
        ("members_active_90d", json!(2)),
        ("purchases", json!(3)),
        ("revenue", json!("60.00")),
        ("refunded", json!("10.00")),
        ("net_revenue", json!("50.00")),
        ("average_order_value", json!("20.00")),
        ("purchase_frequency", json!(1.5)),
        ("customer_lifetime_value", json!("16.67")),
        ("points_issued", json!(160)),
        ("points_redeemed", json!(60)),
        ("points_expired", json!(0)),
        ("points_reversed", json!(10)),
        ("points_outstanding", json!(90)),
        ("liability", json!("3.60")),
        ("redemption_rate", json!(0.375)),
        ("breakage", json!(0.0)),
        ("vouchers_issued", json!(1)),
        ("vouchers_used", json!(1)),
        ("voucher_use_rate", json!(1.0)),
        ("reviews", json!(1)),
        ("referred_members", json!(1)),
        ("referrals_paid", json!(0)),
        ("referral_conversion", json!(0.0)),
        ("tier_upgrades", json!(0)),
        ("tier_downgrades", json!(0)),
        ("incremental_revenue", json!("25.00")),
        ("program_cost", json!("302.40")),
        ("roi", json!(-0.9173)),
    ];
    for (name, value) in expected {
        let figure = &summary["figures"][name];
        assert_eq!(figure["value"], value, "{name}: {figure}");
        assert!(
            figure["definition"].as_str().is_some_and(|d| !d.is_empty()),
            "{name} has a definition"
        );
        assert!(figure["period"].is_string(), "{name} states its period");
    }
    assert_eq!(
        summary["tiers"]["items"],
        json!({"Green": 3, "Gold": 0, "Reserve": 0})
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn the_liability_cohorts_engagement_and_member_profile_match_the_hand_computed_values() {
    let app = TestApp::spawn().await;
    let admin = small_program(&app).await;

    let liability = get(
        &app,
        &admin,
        "/v1/admin/programs/coffee/analytics/liability",
    )
    .await;
    assert_eq!(liability["points"], 90);
    assert_eq!(liability["value"], "3.60");
    assert_eq!(
        liability["by_expiry_month"].as_array().unwrap().len(),
        1,
        "everything was earned this month"
    );
    assert_eq!(liability["by_expiry_month"][0]["points"], 90);

    let cohorts = get(
        &app,
        &admin,
        "/v1/admin/programs/coffee/analytics/cohorts?months=2",
    )
    .await;
    let this_month = &cohorts["cohorts"][1];
    assert_eq!(this_month["size"], 3);
    assert_eq!(this_month["months"][0]["active"], 2);
    assert_eq!(this_month["months"][0]["rate"], json!(0.6667));
    assert_eq!(cohorts["retention"][1]["active"], 2);
    assert_eq!(cohorts["retention"][1]["retained"], 0);

    let engagement = get(
        &app,
        &admin,
        "/v1/admin/programs/coffee/analytics/engagement",
    )
    .await;
    assert_eq!(
        engagement["levels"],
        json!({"enrolled": 1, "consumer": 1, "creator": 0, "contributor": 0, "advocate": 1})
    );

    let a = get(
        &app,
        &admin,
        "/v1/admin/programs/coffee/analytics/members/a",
    )
    .await;
    assert_eq!(a["purchases"], 2);
    assert_eq!(a["spend"], "30.00");
    assert_eq!(a["refunded"], "10.00");
    assert_eq!(a["lifetime_value"], "20.00");
    assert_eq!(a["average_order_value"], "15.00");
    assert_eq!(a["reviews"], 1);
    assert_eq!(a["referred_members"], 1);
    assert_eq!(a["level"], "advocate");
    assert_eq!(
        a["score"], 43,
        "recency 30 + frequency 6 + spend 0 + reviews 2 + referrals 5"
    );
    assert_eq!(a["tier"], "Green");
}

/// `x` buys twice (completing `two-visits`), `y` joins Star Dash and buys once, `z` does
/// nothing: `first-sip` is held by 2 of 3; `two-visits` is taken part in by 2, completed by 1;
/// Star Dash by 1 (the join), completed by none.
#[tokio::test]
async fn badge_and_challenge_completion_rates_match_the_hand_computed_values() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    app.create_element(
        &admin,
        "coffee",
        "challenges",
        &json!({"slug": "two-visits", "name": "Two visits", "window": {"type": "recurring", "every": "month"},
                "goal": {"type": "count", "target": 2, "event_type": "purchase"}}),
    )
    .await;
    for member in ["x", "y", "z"] {
        app.enrol(&shop, member).await;
    }
    let joined = app.join(&shop, "y", "star-dash").await;
    assert_eq!(joined.status(), StatusCode::OK);
    for (id, member) in [("p1", "x"), ("p2", "x"), ("p3", "y")] {
        app.event(
            &shop,
            json!({"type": "purchase", "id": id, "member": member, "amount": "12.00"}),
        )
        .await;
    }

    let summary = get(&app, &admin, "/v1/admin/programs/coffee/analytics/summary").await;
    for part in ["tiers", "badges", "challenges"] {
        assert!(
            summary[part]["period"].is_string(),
            "{part} states its period"
        );
        assert!(
            summary[part]["definition"].is_string(),
            "{part} states its definition"
        );
    }
    let badges = &summary["badges"]["items"];
    assert_eq!(
        badges
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["slug"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["first-sip", "regular", "gold-member"]
    );
    assert_eq!(badges[0]["members"], 2);
    assert_eq!(badges[0]["completion_rate"], 0.6667);
    assert_eq!(badges[0]["levels"], json!({"1": 2}));
    assert_eq!(badges[1]["members"], 0);
    assert_eq!(badges[1]["completion_rate"], 0.0);

    let challenges = &summary["challenges"]["items"];
    assert_eq!(challenges[0]["slug"], "star-dash");
    assert_eq!(challenges[0]["participations"], 1);
    assert_eq!(challenges[0]["completions"], 0);
    assert_eq!(challenges[0]["completion_rate"], 0.0);
    assert_eq!(challenges[1]["slug"], "two-visits");
    assert_eq!(challenges[1]["participations"], 2);
    assert_eq!(challenges[1]["completions"], 1);
    assert_eq!(challenges[1]["completion_rate"], 0.5);
    assert_eq!(challenges[1]["completed_in_period"], 1);
    assert_eq!(summary["figures"]["challenge_completions"]["value"], 1);
    assert_eq!(
        summary["figures"]["challenge_completion_rate"]["value"],
        0.3333
    );

    let earlier = get(
        &app,
        &admin,
        "/v1/admin/programs/coffee/analytics/summary?from=2020-01-01&to=2020-01-31",
    )
    .await;
    assert_eq!(earlier["challenges"]["items"][1]["completed_in_period"], 0);
    assert_eq!(
        earlier["challenges"]["items"][1]["completions"], 1,
        "all time"
    );
}

/// The liability and engagement reports read totals the database keeps with triggers. Every
/// writer moves them: earning, a redemption and its cancellation, a refund, a referral linked
/// by an event, reviews up to the fifth, suspending and closing a member; and `verify`, which
/// recounts both from the lots and the members, stays clean.
#[tokio::test]
async fn the_kept_report_totals_follow_every_writer() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    let a = app.enrol(&shop, "a").await;
    for id in ["b", "c", "d", "e"] {
        app.enrol(&shop, id).await;
    }
    app.event(&shop, json!({"type": "referral", "id": "x1", "member": "b", "properties": {"referral_code": a["referral_code"]}}))
        .await;
    for (id, member, amount) in [
        ("p1", "b", "20.00"),
        ("p2", "c", "10.00"),
        ("p3", "d", "5.00"),
    ] {
        app.event(&shop, json!({"type": "purchase", "id": id, "member": member, "amount": amount, "order_id": id}))
            .await;
    }
    for n in 1..=5 {
        app.event(
            &shop,
            json!({"type": "review", "id": format!("r{n}"), "member": "d"}),
        )
        .await;
    }
    app.event(&shop, json!({"type": "review", "id": "r6", "member": "e"}))
        .await;
    app.give(&shop, "b", 100).await;
    let voucher = body(
        app.store(&shop, Method::POST, "/v1/members/b/redemptions")
            .json(&json!({"reward": "two-off"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let cancelled = app
        .store(
            &shop,
            Method::POST,
            &format!("/v1/redemptions/{}/cancel", voucher["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(cancelled.status(), StatusCode::OK);
    app.event(
        &shop,
        json!({"type": "refund", "id": "f1", "member": "d", "amount": "5.00", "order_id": "p3"}),
    )
    .await;
    let suspended = app
        .store(&shop, Method::PATCH, "/v1/members/e")
        .json(&json!({"status": "suspended"}))
        .send()
        .await
        .unwrap();
    assert_eq!(suspended.status(), StatusCode::OK);
    let closed = app
        .store(&shop, Method::POST, "/v1/members/c/close")
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status(), StatusCode::OK);

    let engagement = get(
        &app,
        &admin,
        "/v1/admin/programs/coffee/analytics/engagement",
    )
    .await;
    assert_eq!(
        engagement["levels"],
        json!({"enrolled": 0, "consumer": 1, "creator": 1, "contributor": 1, "advocate": 1}),
        "a referred b; b bought; c is closed; d reviewed five times; e (suspended) once"
    );
    let mut held = 0;
    for id in ["a", "b", "c", "d", "e"] {
        let row = app.member_row(&shop, id).await;
        held += row.points_available + row.points_pending;
    }
    let liability = get(
        &app,
        &admin,
        "/v1/admin/programs/coffee/analytics/liability",
    )
    .await;
    assert!(held > 100, "b holds its gift again: {held}");
    assert_eq!(liability["points"], held);
    app.assert_ledger_verifies().await;
}

/// On PostgreSQL each connection adds to report rows of its own (shard = its backend pid); the
/// tick folds those of connections that have closed into shard 0 and no report changes. SQLite
/// keeps every row in shard 0.
#[tokio::test]
async fn the_tick_folds_the_report_rows_of_closed_connections_into_one() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    for (member, amount) in [("a", "12.00"), ("b", "30.00")] {
        app.enrol(&shop, member).await;
        app.event(&shop, json!({"type": "purchase", "id": member, "member": member, "amount": amount, "order_id": member}))
            .await;
    }
    let reports = || async {
        let mut seen = Vec::new();
        for report in ["liability", "engagement", "summary", "cohorts"] {
            let path = format!("/v1/admin/programs/coffee/analytics/{report}");
            seen.push(get(&app, &admin, &path).await);
        }
        seen
    };
    let before = reports().await;
    assert_eq!(before[1]["levels"]["consumer"], 2);
    let postgres = app.database.backend() == fidelio::db::Backend::Postgres;
    if postgres {
        // What two connections that have closed left: pids 1 and 2 are never backends.
        app.with_db(|conn| {
            diesel::connection::SimpleConnection::batch_execute(
                &mut **conn,
                "INSERT INTO open_points (program_id, expires_at, shard, points)
                   SELECT program_id, expires_at, 1, 7 FROM open_points WHERE points > 0 LIMIT 1;
                 INSERT INTO open_points (program_id, expires_at, shard, points)
                   SELECT program_id, expires_at, 2, -7 FROM open_points WHERE shard = 1;
                 INSERT INTO engagement_counts (program_id, engagement, shard, members)
                   SELECT id, 'creator', 1, 3 FROM programs WHERE slug = 'coffee';
                 INSERT INTO engagement_counts (program_id, engagement, shard, members)
                   SELECT id, 'creator', 2, -3 FROM programs WHERE slug = 'coffee';
                 INSERT INTO leaderboard_score_counts
                   (leaderboard_id, period_key, grain, score_from, shard, members)
                   SELECT id, 'fold', 1024, 0, 1, 2 FROM game_elements WHERE slug = 'weekly-stars';
                 INSERT INTO leaderboard_score_counts
                   (leaderboard_id, period_key, grain, score_from, shard, members)
                   SELECT id, 'fold', 1024, 0, 2, -2 FROM game_elements WHERE slug = 'weekly-stars';
                 INSERT INTO stats_hourly (program_id, hour, shard, purchases, purchase_minor)
                   SELECT program_id, hour, 1, 2, 4200 FROM stats_hourly LIMIT 1;
                 INSERT INTO stats_hourly (program_id, hour, shard, purchases, purchase_minor)
                   SELECT program_id, hour, 2, -2, -4200 FROM stats_hourly WHERE shard = 1;
                 INSERT INTO cohort_activity (program_id, cohort, month, shard, active, retained)
                   SELECT program_id, cohort, month, 1, 5, 1 FROM cohort_activity LIMIT 1;
                 INSERT INTO cohort_activity (program_id, cohort, month, shard, active, retained)
                   SELECT program_id, cohort, month, 2, -5, -1 FROM cohort_activity WHERE shard = 1;",
            )
            .unwrap();
        })
        .await;
    }
    app.tick(&chrono::Utc::now().to_rfc3339()).await;

    let live_shards = app
        .with_db(|conn| {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Shards {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            diesel::sql_query(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM (
                   SELECT shard FROM open_points UNION ALL SELECT shard FROM engagement_counts
                   UNION ALL SELECT shard FROM leaderboard_score_counts
                   UNION ALL SELECT shard FROM stats_hourly UNION ALL SELECT shard FROM cohort_activity
                   UNION ALL SELECT 1 FROM leaderboard_score_counts WHERE period_key = 'fold') s
                 WHERE shard IN (1, 2)",
            )
            .get_result::<Shards>(&mut **conn)
            .unwrap()
            .n
        })
        .await;
    assert_eq!(
        live_shards, 0,
        "the rows of closed connections are folded, and a count they left at 0 adds no row"
    );
    assert_eq!(reports().await, before);
    app.assert_ledger_verifies().await;
}

/// A member's first event of a month counts it active in its cohort once, and retained when it
/// was active the month before; a second event of the month counts nothing.
#[tokio::test]
async fn a_month_counts_a_member_active_once_and_retained_after_an_active_month() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "a").await;
    let counted = app
        .with_db(|conn| {
            let conn: &mut DbConnection = conn;
            let (program, member): (i64, i64) = members::table
                .filter(members::external_id.eq("a"))
                .select((members::program_id, members::id))
                .first(conn)
                .unwrap();
            let months = [
                ("2026-10", "2026-09"),
                ("2026-11", "2026-10"),
                ("2026-11", "2026-10"),
                ("2027-01", "2026-12"),
            ];
            for (month, previous) in months {
                stats::active_in_month(conn, program, member, month, previous, "2026-10").unwrap();
            }
            // One row per shard: summed per month here.
            let rows: Vec<(String, i64, i64)> = cohort_activity::table
                .select((
                    cohort_activity::month,
                    cohort_activity::active,
                    cohort_activity::retained,
                ))
                .load(conn)
                .unwrap();
            let mut by_month = std::collections::BTreeMap::new();
            for (month, active, retained) in rows {
                let sums = by_month.entry(month).or_insert((0, 0));
                *sums = (sums.0 + active, sums.1 + retained);
            }
            by_month
        })
        .await;
    let expected: Vec<(&str, (i64, i64))> = vec![
        ("2026-10", (1, 0)),
        ("2026-11", (1, 1)),
        ("2027-01", (1, 0)),
    ];
    assert_eq!(
        counted
            .iter()
            .map(|(m, s)| (m.as_str(), *s))
            .collect::<Vec<_>>(),
        expected
    );
}
