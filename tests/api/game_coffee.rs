//! The coffee program's game layer, as PROGRAMS.md describes it: `star-dash`, the weekly
//! visits streak with `regular`, `first-sip`, `gold-member` and `weekly-stars`.

use chrono::{Duration, SecondsFormat, Utc};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Reply, Shop, TestApp, assert_problem, body};
use fidelio::tools::demo::coffee;

fn purchase(id: &str, member: &str, amount: &str) -> Value {
    json!({"type": "purchase", "id": id, "member": member, "amount": amount, "payment": "card"})
}

fn purchase_at(id: &str, member: &str, amount: &str, at: &str) -> Value {
    json!({"type": "purchase", "id": id, "member": member, "amount": amount, "payment": "card",
           "occurred_at": at})
}

fn slugs(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|b| b["slug"].as_str().unwrap().to_owned())
        .collect()
}

fn badge<'a>(badges: &'a Value, slug: &str) -> &'a Value {
    badges
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == slug)
        .unwrap_or_else(|| panic!("no badge {slug} in {badges}"))
}

/// The ledger entries whose reason starts with `prefix`.
async fn entries(app: &TestApp, shop: &Shop, member: &str, prefix: &str) -> Vec<Value> {
    app.ledger(shop, member)
        .await
        .into_iter()
        .filter(|e| e["reason"].as_str().is_some_and(|r| r.starts_with(prefix)))
        .collect()
}

#[tokio::test]
async fn coffee_a_first_purchase_earns_first_sip_once_and_members_see_their_badges() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;

    let first = app.event(&shop, purchase("p1", "ana", "4.50")).await;
    assert_eq!(
        first["badges_earned"],
        json!([{"slug": "first-sip", "name": "First Sip", "level": 1, "points": 0}])
    );
    assert_eq!(first["points_awarded"], 4);
    let second = app.event(&shop, purchase("p2", "ana", "4.50")).await;
    assert_eq!(second["badges_earned"], json!([]));

    let badges = app.as_member(&shop, "ana", "/v1/me/badges").await;
    assert_eq!(slugs(&badges), ["first-sip", "regular", "gold-member"]);
    let first_sip = badge(&badges, "first-sip");
    assert_eq!(first_sip["earned"], true);
    assert!(first_sip["levels"][0]["earned_at"].is_string());
    let regular = badge(&badges, "regular");
    assert_eq!(regular["earned"], false);
    assert_eq!(regular["progress"], 1, "one week of the streak");
    assert_eq!(regular["levels"][0]["threshold"], 4);
    assert_eq!(badge(&badges, "gold-member")["earned"], false);

    let replay = app.post_event(&shop, purchase("p1", "ana", "4.50")).await;
    assert_eq!(replay.0, StatusCode::OK);
    assert_eq!(
        replay.1, first,
        "a re-post replays the outcome, badges included"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn coffee_star_dash_counts_only_purchases_after_joining_and_pays_50_once_per_week() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;

    let before = app.event(&shop, purchase("before", "ana", "12.00")).await;
    assert_eq!(
        before["challenges"],
        json!([]),
        "not joined: star-dash is opt-in"
    );
    let listed = app.as_member(&shop, "ana", "/v1/me/challenges").await;
    assert_eq!(listed[0]["slug"], "star-dash");
    assert_eq!(listed[0]["joined"], false);
    assert_eq!(
        listed[0]["progress"], 0,
        "the purchase before joining does not count"
    );

    let joined = app.join(&shop, "ana", "star-dash").await;
    assert_eq!(joined.status(), StatusCode::OK);
    let joined = body(joined).await;
    assert_eq!(
        (joined["joined"].clone(), joined["progress"].clone()),
        (json!(true), json!(0))
    );
    assert_eq!(joined["goal"], 3);
    assert_eq!(joined["reward"], json!({"points": 50}));
    let again = app.join(&shop, "ana", "star-dash").await;
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "joining twice changes nothing"
    );

    let small = app.event(&shop, purchase("small", "ana", "9.99")).await;
    assert_eq!(small["challenges"], json!([]), "under 10.00 does not count");
    let one = app.event(&shop, purchase("one", "ana", "10.00")).await;
    assert_eq!(one["challenges"][0]["progress"], 1);
    assert_eq!(one["challenges"][0]["completed"], false);
    app.event(&shop, purchase("two", "ana", "15.00")).await;
    let three = app.event(&shop, purchase("three", "ana", "20.00")).await;
    let dash = &three["challenges"][0];
    assert_eq!(dash["slug"], "star-dash");
    assert_eq!(
        (dash["progress"].clone(), dash["goal"].clone()),
        (json!(3), json!(3))
    );
    assert_eq!(dash["completed"], true);
    assert_eq!(dash["reward_paid"], json!({"points": 50}));
    assert_eq!(
        three["points_awarded"], 70,
        "20 Stars and the 50 bonus Stars"
    );
    assert_eq!(three["awarded"]["available"], 70);

    let four = app.event(&shop, purchase("four", "ana", "11.00")).await;
    assert_eq!(four["challenges"][0]["completed"], true);
    assert!(
        four["challenges"][0].get("reward_paid").is_none(),
        "completing it twice in one window pays once: {four}"
    );
    assert_eq!(four["points_awarded"], 11);

    let bonus = entries(&app, &shop, "ana", "challenge Star Dash").await;
    assert_eq!(bonus.len(), 1);
    assert_eq!(bonus[0]["points"], 50);
    assert_eq!(bonus[0]["event_id"], "three");
    let listed = app.as_member(&shop, "ana", "/v1/me/challenges").await;
    assert_eq!(listed[0]["completed"], true);
    assert_eq!(listed[0]["progress"], 3);
    let member = app.member(&shop, "ana").await;
    assert_eq!(
        member["balance"]["available"],
        12 + 9 + 10 + 15 + 20 + 50 + 11
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn coffee_a_new_week_starts_a_new_window_at_midnight_sunday_to_monday_in_new_york() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    // Star Dash's goal and weekly window, with automatic enrolment so that past weeks count.
    let mut weekly = coffee::config().challenges[0].clone();
    weekly["slug"] = json!("weekly-dash");
    weekly["enrolment"] = json!("automatic");
    app.create_element(&admin, "coffee", "challenges", &weekly)
        .await;
    app.enrol(&shop, "ana").await;

    // Sunday 22 November 2026, 23:30 in New York is Monday 04:30 UTC.
    let sunday = app
        .event(
            &shop,
            purchase_at("sun1", "ana", "10.00", "2026-11-23T04:30:00Z"),
        )
        .await;
    assert_eq!(sunday["challenges"][0]["window"], "2026-W47");
    app.event(
        &shop,
        purchase_at("sun2", "ana", "10.00", "2026-11-23T04:45:00Z"),
    )
    .await;
    // Monday 00:30 in New York: a new week, a new window.
    let monday = app
        .event(
            &shop,
            purchase_at("mon", "ana", "10.00", "2026-11-23T05:30:00Z"),
        )
        .await;
    let window = &monday["challenges"][0];
    assert_eq!(window["window"], "2026-W48");
    assert_eq!(window["progress"], 1, "the new week starts from zero");
    assert!(window.get("reward_paid").is_none());
    // A late third purchase of Sunday evening completes the old week.
    let late = app
        .event(
            &shop,
            purchase_at("sun3", "ana", "10.00", "2026-11-23T03:00:00Z"),
        )
        .await;
    assert_eq!(late["challenges"][0]["window"], "2026-W47");
    assert_eq!(late["challenges"][0]["reward_paid"]["points"], 50);

    let (status, w47) = app
        .admin_call(
            Method::GET,
            "/v1/admin/programs/coffee/leaderboards/weekly-stars/standings?period=2026-W47&member=ana",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{w47}");
    assert_eq!(
        w47["top"][0]["score"],
        30 + 50,
        "three Sunday purchases and the bonus"
    );
    let (_, w48) = app
        .admin_call(
            Method::GET,
            "/v1/admin/programs/coffee/leaderboards/weekly-stars/standings?period=2026-W48",
            None,
        )
        .await;
    assert_eq!(w48["top"][0]["score"], 10);
    assert_eq!(w48["top"][0]["member"], "ana", "admins see external ids");
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn coffee_four_weeks_in_a_row_earn_regular_and_me_shows_the_streak() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    let now = Utc::now();
    let ago = |minutes: i64| {
        (now - Duration::minutes(minutes)).to_rfc3339_opts(SecondsFormat::Secs, true)
    };
    let week = 7 * 24 * 60;

    let mut earned = Vec::new();
    for (i, minutes) in [3 * week + 1, 3 * week, 2 * week, week, 1]
        .into_iter()
        .enumerate()
    {
        let outcome = app
            .event(
                &shop,
                purchase_at(&format!("w{i}"), "ana", "5.00", &ago(minutes)),
            )
            .await;
        earned.push(slugs(&outcome["badges_earned"]));
    }
    assert_eq!(earned[0], ["first-sip"]);
    assert!(earned[1..4].iter().all(Vec::is_empty), "{earned:?}");
    assert_eq!(earned[4], ["regular"], "the fourth week in a row");

    let me = app.as_member(&shop, "ana", "/v1/me").await;
    let streak = &me["streaks"][0];
    assert_eq!(streak["slug"], "weekly-visits");
    assert_eq!(streak["period"], "week");
    assert_eq!(
        (streak["current"].clone(), streak["longest"].clone()),
        (json!(4), json!(4))
    );
    assert_eq!(streak["this_period_done"], true);
    assert!(
        app.member(&shop, "ana").await.get("streaks").is_none(),
        "streaks are in the member's own view"
    );
    let badges = app.as_member(&shop, "ana", "/v1/me/badges").await;
    assert_eq!(badge(&badges, "regular")["earned"], true);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn coffee_reaching_gold_earns_gold_member_by_event_or_by_an_admin() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.enrol(&shop, "bea").await;

    let outcome = app.event(&shop, purchase("big", "ana", "500.00")).await;
    assert_eq!(outcome["tier"]["name"], "Gold");
    assert_eq!(outcome["tier"]["changed"], true);
    assert_eq!(
        slugs(&outcome["badges_earned"]),
        ["first-sip", "gold-member"]
    );
    let next = app.event(&shop, purchase("next", "ana", "10.00")).await;
    assert_eq!(next["badges_earned"], json!([]));

    let (status, _) = app
        .admin_call(
            Method::POST,
            "/v1/admin/programs/coffee/members/bea/tier",
            Some(json!({"tier": "Reserve", "reason": "partner"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let badges = app.as_member(&shop, "bea", "/v1/me/badges").await;
    assert_eq!(
        badge(&badges, "gold-member")["earned"],
        true,
        "Reserve is above Gold"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn coffee_weekly_stars_ranks_members_and_ties_go_to_whoever_got_there_first() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    for (id, name) in [
        ("ana", "Ana Pereira"),
        ("bea", "Bea Santos"),
        ("cai", "Cai Wu"),
        ("dan", "Dan"),
        ("eve", "Eve Adams"),
    ] {
        app.enrol_named(&shop, id, name, None).await;
    }
    app.event(&shop, purchase("a1", "ana", "10.00")).await;
    app.event(&shop, purchase("b1", "bea", "20.00")).await;
    app.event(&shop, purchase("c1", "cai", "7.00")).await;
    app.event(&shop, purchase("d1", "dan", "5.00")).await;
    // Cai reaches 10 after Ana did: the tie goes to Ana.
    app.event(&shop, purchase("c2", "cai", "3.00")).await;

    let board = app
        .as_member(&shop, "cai", "/v1/me/leaderboards/weekly-stars")
        .await;
    assert_eq!(board["members"], 4);
    let top: Vec<(Value, Value, Value)> = board["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["rank"].clone(), e["member"].clone(), e["score"].clone()))
        .collect();
    assert_eq!(
        top,
        [
            (json!(1), json!("Bea S."), json!(20)),
            (json!(2), json!("Ana P."), json!(10)),
            (json!(3), json!("Cai W."), json!(10)),
            (json!(4), json!("Dan"), json!(5)),
        ]
    );
    assert_eq!(board["me"]["rank"], 3);
    assert_eq!(board["me"]["score"], 10);
    let neighbours: Vec<(Value, Value)> = board["me"]["neighbours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["rank"].clone(),
                e.get("you").cloned().unwrap_or(json!(false)),
            )
        })
        .collect();
    assert_eq!(
        neighbours,
        [
            (json!(1), json!(false)),
            (json!(2), json!(false)),
            (json!(3), json!(true)),
            (json!(4), json!(false))
        ]
    );
    let outsider = app
        .as_member(&shop, "eve", "/v1/me/leaderboards/weekly-stars")
        .await;
    assert_eq!(
        outsider["me"],
        json!({"rank": null, "score": 0, "neighbours": []})
    );

    // Refunding Bea's purchase takes its Stars off this week's board.
    let mut refunded = purchase("b1", "bea", "20.00");
    refunded["order_id"] = json!("o-b1");
    refunded["id"] = json!("b2");
    app.event(&shop, refunded).await;
    app.event(&shop, json!({"type": "refund", "id": "r1", "member": "bea", "amount": "20.00", "order_id": "o-b1"}))
        .await;
    let (_, admin_view) = app
        .admin_call(
            Method::GET,
            "/v1/admin/programs/coffee/leaderboards/weekly-stars/standings?member=bea",
            None,
        )
        .await;
    assert_eq!(admin_view["me"]["score"], 20, "40 earned, 20 refunded");
    assert_eq!(admin_view["me"]["rank"], 1);

    let missing = app
        .request(Method::GET, "/v1/me/leaderboards/nope")
        .bearer_auth(app.member_token(&shop, "ana").await)
        .send()
        .await
        .unwrap();
    assert_problem(missing, StatusCode::NOT_FOUND, "not-found").await;
    app.assert_ledger_verifies().await;
}

/// Each scored member's score and rank counted by hand from the stored scores of the period
/// `key`: one more than the members with a higher score or the same score reached earlier.
async fn ranks_by_hand(app: &TestApp, key: &str) -> Vec<(String, i64, i64)> {
    use diesel::prelude::*;
    use fidelio::db::schema::{leaderboard_scores as scores, members};
    let key = key.to_owned();
    let rows: Vec<(String, i64, i64, i64)> = app
        .with_db(move |conn| {
            scores::table
                .inner_join(members::table)
                .filter(scores::period_key.eq(key))
                .select((
                    members::external_id,
                    scores::score,
                    scores::reached_seq,
                    scores::member_id,
                ))
                .load(&mut **conn)
                .unwrap()
        })
        .await;
    let before = |a: &(String, i64, i64, i64), b: &(String, i64, i64, i64)| {
        (-a.1, a.2, a.3) < (-b.1, b.2, b.3)
    };
    rows.iter()
        .map(|me| {
            let ahead = rows.iter().filter(|other| before(other, me)).count();
            (me.0.clone(), me.1, ahead as i64 + 1)
        })
        .collect()
}

/// The weekly board's size, and every scored member's rank, score and neighbours (the top and
/// the bottom member with fewer), as an admin reads them, equal the count by hand; returns the
/// scores it ranks.
async fn assert_ranks_counted_by_hand(app: &TestApp) -> Vec<i64> {
    let standings = "/v1/admin/programs/coffee/leaderboards/weekly-stars/standings";
    let (_, board) = app.admin_call(Method::GET, standings, None).await;
    let key = board["period"]["key"].as_str().unwrap().to_owned();
    let expected = ranks_by_hand(app, &key).await;
    assert_eq!(board["members"], expected.len());
    for (member, score, rank) in &expected {
        let path = format!("{standings}?member={member}");
        let (_, view) = app.admin_call(Method::GET, &path, None).await;
        assert_eq!(view["me"]["rank"], *rank, "{member}: {view}");
        assert_eq!(view["me"]["score"], *score, "{member}: {view}");
        assert_eq!(view["members"], expected.len());
        let mut near: Vec<(i64, String)> = expected
            .iter()
            .filter(|(_, _, r)| (r - rank).abs() <= 2)
            .map(|(m, _, r)| (*r, m.clone()))
            .collect();
        near.sort();
        assert_eq!(ranked(&view["me"]["neighbours"]), near, "{member}: {view}");
    }
    let mut top: Vec<(i64, String)> = expected.iter().map(|(m, _, r)| (*r, m.clone())).collect();
    top.sort();
    top.truncate(10);
    assert_eq!(ranked(&board["top"]), top);
    expected.iter().map(|(_, score, _)| *score).collect()
}

/// The rank and member of each entry of a list.
fn ranked(entries: &Value) -> Vec<(i64, String)> {
    entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["rank"].as_i64().unwrap(),
                e["member"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A member without a score in the weekly board's period (`query` names both) has no rank and
/// no neighbours; returns the board.
async fn assert_unranked(app: &TestApp, query: &str) -> Value {
    let path = format!("/v1/admin/programs/coffee/leaderboards/weekly-stars/standings?{query}");
    let (_, view) = app.admin_call(Method::GET, &path, None).await;
    assert_eq!(
        view["me"],
        json!({"rank": null, "score": 0, "neighbours": []}),
        "{query}: {view}"
    );
    view
}

/// How many blocks of 1,024 scores (what the kept counts sum first) `scores` fall in, and
/// whether two are tied.
fn blocks_and_ties(scores: &[i64]) -> (usize, bool) {
    let blocks: std::collections::BTreeSet<i64> =
        scores.iter().map(|s| s.div_euclid(1024)).collect();
    let distinct: std::collections::BTreeSet<&i64> = scores.iter().collect();
    (blocks.len(), distinct.len() < scores.len())
}

#[tokio::test]
async fn coffee_weekly_stars_ranks_and_size_match_a_count_by_hand_through_ties_refunds_and_edits() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let members = [
        "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "m9", "m10", "m11", "m12",
    ];
    for member in members {
        app.enrol(&shop, member).await;
    }
    // Scores in several blocks of 1,024, some tied, some reached again later.
    let buys = [
        ("m1", "1030.00"),
        ("m2", "1020.00"),
        ("m3", "1030.00"),
        ("m4", "5.00"),
        ("m5", "5.00"),
        ("m6", "2100.00"),
        ("m7", "1024.00"),
        ("m8", "1023.00"),
        ("m9", "5.00"),
        ("m10", "2047.00"),
        ("m4", "1025.00"),
        ("m2", "10.00"),
    ];
    for (i, (member, amount)) in buys.iter().enumerate() {
        let mut event = purchase(&format!("p{i}"), member, amount);
        event["order_id"] = json!(format!("o{i}"));
        app.event(&shop, event).await;
    }
    let scores = assert_ranks_counted_by_hand(&app).await;
    assert_eq!(scores.len(), 10);
    assert_unranked(&app, "member=m11").await;
    let empty = assert_unranked(&app, "period=2000-W01&member=m1").await;
    assert_eq!((&empty["members"], &empty["top"]), (&json!(0), &json!([])));
    let (blocks, tied) = blocks_and_ties(&scores);
    assert!(blocks >= 3 && tied, "{scores:?}");

    // Refunds lower scores, one to what the badge gave alone.
    for (id, member, amount, order) in [
        ("r1", "m1", "10.00", "o0"),
        ("r2", "m6", "60.00", "o5"),
        ("r3", "m3", "1030.00", "o2"),
    ] {
        app.event(&shop, json!({"type": "refund", "id": id, "member": member, "amount": amount, "order_id": order}))
            .await;
    }
    assert_eq!(assert_ranks_counted_by_hand(&app).await.len(), 10);

    // Scores rewritten and removed by hand (an operator's repair) keep the counts too: a score
    // moved below zero, one onto another's, one deleted.
    app.with_db(|conn| {
        diesel::connection::SimpleConnection::batch_execute(
            &mut **conn,
            "UPDATE leaderboard_scores SET score = -7
               WHERE member_id = (SELECT id FROM members WHERE external_id = 'm9');
             UPDATE leaderboard_scores SET score = (SELECT s.score FROM leaderboard_scores s
               JOIN members m ON m.id = s.member_id WHERE m.external_id = 'm7')
               WHERE member_id = (SELECT id FROM members WHERE external_id = 'm10');
             DELETE FROM leaderboard_scores
               WHERE member_id = (SELECT id FROM members WHERE external_id = 'm5');",
        )
        .unwrap();
    })
    .await;
    let scores = assert_ranks_counted_by_hand(&app).await;
    assert_eq!(scores.len(), 9);
    assert!(scores.contains(&-7), "{scores:?}");
    app.assert_ledger_verifies().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn coffee_concurrent_purchases_completing_star_dash_pay_the_bonus_exactly_once() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    assert_eq!(
        app.join(&shop, "ana", "star-dash").await.status(),
        StatusCode::OK
    );

    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let request = app.store(&shop, Method::POST, "/v1/events").json(&purchase(
                &format!("c{i}"),
                "ana",
                "10.00",
            ));
            tokio::spawn(async move { Reply::read(request.send().await.unwrap()).await })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        let reply = task.await.unwrap();
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
        outcomes.push(reply.json());
    }

    let paid: Vec<&Value> = outcomes
        .iter()
        .filter(|o| o["challenges"][0].get("reward_paid").is_some())
        .collect();
    assert_eq!(paid.len(), 1, "exactly one event completes the dash");
    let bonus = entries(&app, &shop, "ana", "challenge Star Dash").await;
    assert_eq!(bonus.len(), 1);
    let sips: usize = outcomes
        .iter()
        .map(|o| o["badges_earned"].as_array().unwrap().len())
        .sum();
    assert_eq!(sips, 1, "first-sip is granted once");
    let awarded: i64 = outcomes
        .iter()
        .map(|o| o["points_awarded"].as_i64().unwrap())
        .sum();
    assert_eq!(awarded, 24 * 10 + 50);
    assert_eq!(
        app.member(&shop, "ana").await["balance"]["available"],
        awarded
    );
    let board = app
        .as_member(&shop, "ana", "/v1/me/leaderboards/weekly-stars")
        .await;
    assert_eq!(board["me"]["score"], awarded, "no lost update of the score");
    app.assert_ledger_verifies().await;
}
