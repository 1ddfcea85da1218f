//! Burning and adjusting points over HTTP: the entries written, idempotent retries, refusals
//! that write nothing, the ledger's pages, and which lots a redemption spends.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use fidelio::db::models::idempotency_keys::StoredRequest;
use fidelio::db::models::ledger::LotRow;
use fidelio::db::models::members as member_rows;
use fidelio::db::schema::{lot_links, lots};
use fidelio::db::{now_utc, write_tx};
use fidelio::domain::Points;
use fidelio::domain::bounds::MAX_POINTS;
use fidelio::error::AppError;
use fidelio::ledger::EntryKind;
use fidelio::ledger::posting::{self, Cause, Credit};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, Reply, Shop, TestApp, assert_problem, body};

/// What a member's points look like from outside: every ledger entry and the balance.
async fn points_of(app: &TestApp, shop: &Shop, external_id: &str) -> (Vec<Value>, Value) {
    let ledger = app.ledger(shop, external_id).await;
    let balance = app.member(shop, external_id).await["balance"].clone();
    (ledger, balance)
}

/// The stored response of an idempotency key, if the service kept one.
async fn stored_key(app: &TestApp, shop: &Shop, key: &str) -> Option<StoredRequest> {
    let (slug, key) = (shop.slug.clone(), key.to_owned());
    app.with_db(move |conn| {
        let program = fidelio::programs::require(conn, &slug).unwrap();
        // Whoever sent it: the shop's key.
        use diesel::prelude::*;
        use fidelio::db::schema::idempotency_keys as keys;
        keys::table
            .filter(keys::program_id.eq(program.id))
            .filter(keys::idempotency_key.eq(&key))
            .select(StoredRequest::as_select())
            .first(&mut **conn)
            .optional()
            .unwrap()
    })
    .await
}

fn entry_ids(entries: &[Value]) -> Vec<i64> {
    entries.iter().map(|e| e["id"].as_i64().unwrap()).collect()
}

#[tokio::test]
async fn redeeming_points_returns_the_redeem_entry_and_the_balance_after_it() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 500).await;

    let reply = app
        .move_points(
            &shop,
            "ana",
            "redeem",
            "checkout-1",
            json!({"points": 120, "order_id": "ord-7", "reason": "paid part of the order"}),
        )
        .await;

    assert_eq!(reply.status, StatusCode::CREATED);
    assert!(!reply.replayed, "a first request is not a replay");
    let moved = reply.json();
    let entry = &moved["entry"];
    assert_eq!(entry["kind"], "redeem");
    assert_eq!(entry["points"], -120);
    assert_eq!(entry["balance_after"], 380);
    assert_eq!(entry["order_id"], "ord-7");
    assert_eq!(entry["reason"], "paid part of the order");
    assert!(
        entry["api_key_id"].is_i64(),
        "the storefront's key is recorded"
    );
    assert_eq!(entry.get("admin_id"), None);
    assert_eq!(
        moved["balance"],
        json!({"available": 380, "pending": 0, "lifetime_earned": 500, "lifetime_redeemed": 120})
    );
    let (ledger, balance) = points_of(&app, &shop, "ana").await;
    assert_eq!(ledger.len(), 2);
    assert_eq!(
        &ledger[0], entry,
        "the ledger holds the entry the response showed"
    );
    assert_eq!(balance, moved["balance"]);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn adjusting_points_adds_or_takes_them_and_returns_the_adjust_entry() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;

    let added = app
        .move_points(
            &shop,
            "ana",
            "adjust",
            "fix-1",
            json!({"points": 200, "reason": "missed purchase"}),
        )
        .await;
    let taken = app
        .move_points(
            &shop,
            "ana",
            "adjust",
            "fix-2",
            json!({"points": -50, "reason": "double credit"}),
        )
        .await;

    assert_eq!(added.status, StatusCode::CREATED);
    let added = added.json();
    assert_eq!(added["entry"]["kind"], "adjust");
    assert_eq!(added["entry"]["points"], 200);
    assert_eq!(added["entry"]["balance_after"], 200);
    assert_eq!(added["entry"]["reason"], "missed purchase");
    assert_eq!(added["entry"].get("order_id"), None);
    assert_eq!(
        added["balance"],
        json!({"available": 200, "pending": 0, "lifetime_earned": 200, "lifetime_redeemed": 0})
    );
    assert_eq!(taken.status, StatusCode::CREATED);
    let taken = taken.json();
    assert_eq!(taken["entry"]["kind"], "adjust");
    assert_eq!(taken["entry"]["points"], -50);
    assert_eq!(taken["entry"]["balance_after"], 150);
    assert_eq!(taken["entry"]["reason"], "double credit");
    assert_eq!(
        taken["balance"],
        json!({"available": 150, "pending": 0, "lifetime_earned": 150, "lifetime_redeemed": 0}),
        "taking points back by adjustment lowers lifetime earned, not lifetime redeemed"
    );
    let (ledger, _) = points_of(&app, &shop, "ana").await;
    assert_eq!(ledger, vec![taken["entry"].clone(), added["entry"].clone()]);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn a_replay_returns_the_stored_response_and_writes_no_second_entry() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 300).await;
    let redeem = json!({"points": 40, "order_id": "ord-1"});
    let adjust = json!({"points": 25, "reason": "apology"});

    let first_redeem = app
        .move_points(&shop, "ana", "redeem", "k-redeem", redeem.clone())
        .await;
    let first_adjust = app
        .move_points(&shop, "ana", "adjust", "k-adjust", adjust.clone())
        .await;
    let (ledger, balance) = points_of(&app, &shop, "ana").await;
    let replayed_redeem = app
        .move_points(&shop, "ana", "redeem", "k-redeem", redeem)
        .await;
    let replayed_adjust = app
        .move_points(&shop, "ana", "adjust", "k-adjust", adjust)
        .await;

    for (first, replay) in [
        (&first_redeem, &replayed_redeem),
        (&first_adjust, &replayed_adjust),
    ] {
        assert_eq!(first.status, StatusCode::CREATED);
        assert!(!first.replayed);
        assert_eq!(replay.status, first.status);
        assert_eq!(
            replay.text, first.text,
            "the replay is byte for byte the first"
        );
        assert!(replay.replayed, "a replay says so in Idempotent-Replayed");
    }
    assert_eq!(
        points_of(&app, &shop, "ana").await,
        (ledger.clone(), balance),
        "replays write nothing"
    );
    assert_eq!(ledger.len(), 3);
    assert_eq!(ledger[0]["points"], 25);
    assert_eq!(ledger[1]["points"], -40);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn reusing_a_key_for_a_different_request_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 300).await;
    let original = app
        .move_points(&shop, "ana", "redeem", "k1", json!({"points": 10}))
        .await;
    assert_eq!(original.status, StatusCode::CREATED);
    let before = points_of(&app, &shop, "ana").await;

    let other_points = app
        .points(&shop, "ana", "redeem", Some("k1"), &json!({"points": 11}))
        .send()
        .await
        .unwrap();
    let other_route = app
        .points(
            &shop,
            "ana",
            "adjust",
            Some("k1"),
            &json!({"points": 10, "reason": "x"}),
        )
        .send()
        .await
        .unwrap();

    for response in [other_points, other_route] {
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency-key-reused",
        )
        .await;
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key"),
            "{problem}"
        );
    }
    assert_eq!(points_of(&app, &shop, "ana").await, before);
    let again = app
        .move_points(&shop, "ana", "redeem", "k1", json!({"points": 10}))
        .await;
    assert_eq!(
        again.text, original.text,
        "the key still replays its own request"
    );
    assert!(again.replayed);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn moving_points_without_an_idempotency_key_is_refused_naming_the_header() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 100).await;
    let before = points_of(&app, &shop, "ana").await;

    let redeem = app
        .points(&shop, "ana", "redeem", None, &json!({"points": 10}))
        .send()
        .await
        .unwrap();
    let adjust = app
        .points(
            &shop,
            "ana",
            "adjust",
            None,
            &json!({"points": 10, "reason": "x"}),
        )
        .send()
        .await
        .unwrap();

    for response in [redeem, adjust] {
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(
            problem["errors"][0]["field"], "Idempotency-Key",
            "{problem}"
        );
    }
    assert_eq!(points_of(&app, &shop, "ana").await, before);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn redeeming_more_than_is_available_is_refused_writes_nothing_and_can_be_retried() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 100).await;
    let before = points_of(&app, &shop, "ana").await;

    let refused = app
        .points(
            &shop,
            "ana",
            "redeem",
            Some("big-order"),
            &json!({"points": 101}),
        )
        .send()
        .await
        .unwrap();

    let problem = assert_problem(refused, StatusCode::CONFLICT, "insufficient-points").await;
    assert!(
        problem["detail"].as_str().unwrap().contains("100"),
        "{problem}"
    );
    assert_eq!(points_of(&app, &shop, "ana").await, before);
    assert!(
        stored_key(&app, &shop, "big-order").await.is_none(),
        "a failure stores no response"
    );

    app.give(&shop, "ana", 1).await;
    let retried = app
        .move_points(&shop, "ana", "redeem", "big-order", json!({"points": 101}))
        .await;
    assert_eq!(retried.status, StatusCode::CREATED, "{}", retried.text);
    assert!(
        !retried.replayed,
        "the retry ran: nothing was stored to replay"
    );
    assert_eq!(retried.json()["balance"]["available"], 0);
    assert_eq!(retried.json()["balance"]["lifetime_redeemed"], 101);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn taking_more_than_is_available_by_adjustment_is_refused_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 30).await;
    let before = points_of(&app, &shop, "ana").await;

    let refused = app
        .points(
            &shop,
            "ana",
            "adjust",
            Some("too-much"),
            &json!({"points": -31, "reason": "clawback"}),
        )
        .send()
        .await
        .unwrap();

    assert_problem(refused, StatusCode::CONFLICT, "insufficient-points").await;
    assert_eq!(points_of(&app, &shop, "ana").await, before);
    assert!(stored_key(&app, &shop, "too-much").await.is_none());
    let all = app
        .move_points(
            &shop,
            "ana",
            "adjust",
            "all",
            json!({"points": -30, "reason": "clawback"}),
        )
        .await;
    assert_eq!(all.status, StatusCode::CREATED);
    assert_eq!(
        all.json()["balance"],
        json!({"available": 0, "pending": 0, "lifetime_earned": 0, "lifetime_redeemed": 0})
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn zero_or_negative_points_are_refused_naming_points_and_store_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 100).await;
    let before = points_of(&app, &shop, "ana").await;
    let cases = [
        ("redeem", "z1", json!({"points": 0})),
        ("redeem", "z2", json!({"points": -5})),
        ("adjust", "z3", json!({"points": 0, "reason": "nothing"})),
    ];

    for (action, key, request) in &cases {
        let response = app
            .points(&shop, "ana", action, Some(key), request)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "points", "{problem}");
    }

    assert_eq!(points_of(&app, &shop, "ana").await, before);
    for (_, key, _) in &cases {
        assert!(stored_key(&app, &shop, key).await.is_none());
    }
    let fixed = app
        .move_points(&shop, "ana", "redeem", "z2", json!({"points": 5}))
        .await;
    assert_eq!(
        fixed.status,
        StatusCode::CREATED,
        "a refused key is free for the corrected request"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn the_ledger_is_newest_first_and_its_cursor_is_stable_while_entries_arrive() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    let mut posted = Vec::new();
    for points in [10, 20, 30, 40, 50] {
        posted.push(
            app.give(&shop, "ana", points).await["entry"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let page = |cursor: Option<String>| {
        let query = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
        app.store(
            &shop,
            Method::GET,
            &format!("/v1/members/ana/ledger?limit=2{query}"),
        )
        .send()
    };

    let first = body(page(None).await.unwrap()).await;
    let newer = [
        app.give(&shop, "ana", 60).await["entry"]["id"].clone(),
        app.move_points(&shop, "ana", "redeem", "r1", json!({"points": 5}))
            .await
            .json()["entry"]["id"]
            .clone(),
    ];
    let mut seen = entry_ids(first["data"].as_array().unwrap());
    let mut cursor = first["next_cursor"].as_str().map(str::to_owned);
    let mut pages = 1;
    while let Some(next) = cursor {
        let page = body(page(Some(next)).await.unwrap()).await;
        let data = page["data"].as_array().unwrap();
        assert!(!data.is_empty(), "a cursor never leads to an empty page");
        seen.extend(entry_ids(data));
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        pages += 1;
    }

    posted.reverse();
    assert_eq!(
        seen, posted,
        "every entry once, newest first, none of the newer ones"
    );
    assert_eq!(pages, 3);
    let fresh = body(page(None).await.unwrap()).await;
    assert_eq!(
        entry_ids(fresh["data"].as_array().unwrap()),
        newer
            .iter()
            .rev()
            .map(|id| id.as_i64().unwrap())
            .collect::<Vec<_>>(),
        "a new first page starts with the newer entries"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn an_admin_adjustment_records_the_admin_who_made_it() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    let admin = app.admin_token().await;
    let admin_id = app
        .with_db(|conn| {
            fidelio::db::models::admins::find_by_email(conn, ADMIN_EMAIL)
                .unwrap()
                .unwrap()
                .id
        })
        .await;
    let adjust = |key: &'static str, request: Value| {
        app.request(
            Method::POST,
            &format!("/v1/admin/programs/{}/members/ana/points/adjust", shop.slug),
        )
        .bearer_auth(&admin)
        .header("idempotency-key", key)
        .json(&request)
        .send()
    };

    let granted = Reply::read(
        adjust("goodwill-1", json!({"points": 75, "reason": "goodwill"}))
            .await
            .unwrap(),
    )
    .await;
    let replayed = Reply::read(
        adjust("goodwill-1", json!({"points": 75, "reason": "goodwill"}))
            .await
            .unwrap(),
    )
    .await;
    let refused = adjust("clawback", json!({"points": -76, "reason": "too much"}))
        .await
        .unwrap();

    assert_eq!(granted.status, StatusCode::CREATED);
    let entry = granted.json()["entry"].clone();
    assert_eq!(entry["kind"], "adjust");
    assert_eq!(entry["points"], 75);
    assert_eq!(entry["reason"], "goodwill");
    assert_eq!(entry["admin_id"], admin_id);
    assert_eq!(
        entry.get("api_key_id"),
        None,
        "no storefront key was involved"
    );
    assert_eq!(granted.json()["balance"]["available"], 75);
    assert!(replayed.replayed);
    assert_eq!(replayed.text, granted.text);
    assert_problem(refused, StatusCode::CONFLICT, "insufficient-points").await;
    assert_eq!(app.ledger(&shop, "ana").await, vec![entry]);
    app.assert_ledger_verifies().await;
}

/// Credits a lot straight through the ledger library, as an earning would.
fn credit_lot(
    conn: &mut fidelio::db::DbConn,
    member_id: i64,
    points: i64,
    available_at: NaiveDateTime,
    expires_at: Option<NaiveDateTime>,
) -> LotRow {
    let now = now_utc();
    write_tx(conn, |tx| {
        let member = member_rows::lock(tx, member_id)?;
        let credit = Credit {
            kind: EntryKind::Earn,
            points: Points(points),
            available_at,
            expires_at,
            cause: Cause::default(),
        };
        let posted = posting::credit(tx, &member, &credit, now)?;
        Ok::<_, AppError>(
            lots::table
                .filter(lots::entry_id.eq(posted.entry.id))
                .select(LotRow::as_select())
                .first(tx)?,
        )
    })
    .unwrap()
}

#[tokio::test]
async fn a_redemption_spends_released_lots_that_expire_first() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    let member_id = app.member_row(&shop, "ana").await.id;
    let now = now_utc();
    let in_days = move |days: i64| Some(now + Duration::days(days));
    let [late, soon, never, middle, pending] = app
        .with_db(move |conn| {
            [
                credit_lot(conn, member_id, 100, now, in_days(30)),
                credit_lot(conn, member_id, 100, now, in_days(10)),
                credit_lot(conn, member_id, 100, now, None),
                credit_lot(conn, member_id, 100, now, in_days(20)),
                // Expires first of all, but is not released yet: not spendable.
                credit_lot(conn, member_id, 100, now + Duration::days(5), in_days(6)),
            ]
        })
        .await;
    let balance = app.member(&shop, "ana").await["balance"].clone();
    assert_eq!(
        (balance["available"].clone(), balance["pending"].clone()),
        (json!(400), json!(100))
    );

    let too_much = app
        .move_points(&shop, "ana", "redeem", "r0", json!({"points": 401}))
        .await;
    let reply = app
        .move_points(&shop, "ana", "redeem", "r1", json!({"points": 250}))
        .await;

    assert_eq!(
        too_much.status,
        StatusCode::CONFLICT,
        "pending points cannot be spent"
    );
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let entry_id = reply.json()["entry"]["id"].as_i64().unwrap();
    assert_eq!(
        reply.json()["entry"]["balance_after"],
        250,
        "available 150 + pending 100"
    );
    let (links, remaining) = app
        .with_db(move |conn| {
            let links: Vec<(i64, i64)> = lot_links::table
                .filter(lot_links::entry_id.eq(entry_id))
                .order(lot_links::id)
                .select((lot_links::lot_id, lot_links::points))
                .load(&mut **conn)
                .unwrap();
            let remaining: Vec<(i64, i64)> = lots::table
                .filter(lots::member_id.eq(member_id))
                .order(lots::id)
                .select((lots::id, lots::remaining))
                .load(&mut **conn)
                .unwrap();
            (links, remaining)
        })
        .await;
    assert_eq!(
        links,
        vec![(soon.id, -100), (middle.id, -100), (late.id, -50)],
        "soonest expiry first, never-expiring lots last, pending lots untouched"
    );
    assert_eq!(
        remaining,
        vec![
            (late.id, 50),
            (soon.id, 0),
            (never.id, 100),
            (middle.id, 0),
            (pending.id, 100)
        ]
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn points_beyond_what_one_entry_may_move_are_refused_and_write_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 10).await;
    let before = points_of(&app, &shop, "ana").await;

    let requests = [
        (
            "adjust",
            "huge-1",
            json!({"points": i64::MAX, "reason": "typo"}),
        ),
        (
            "adjust",
            "huge-2",
            json!({"points": i64::MIN, "reason": "typo"}),
        ),
        (
            "adjust",
            "huge-3",
            json!({"points": MAX_POINTS + 1, "reason": "typo"}),
        ),
        ("redeem", "huge-4", json!({"points": i64::MAX})),
    ];
    for (action, key, request) in requests {
        let response = app
            .points(&shop, "ana", action, Some(key), &request)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "points", "{problem}");
    }
    assert_eq!(points_of(&app, &shop, "ana").await, before);

    let largest = app
        .move_points(
            &shop,
            "ana",
            "adjust",
            "largest",
            json!({"points": MAX_POINTS, "reason": "the largest one entry moves"}),
        )
        .await;
    assert_eq!(largest.status, StatusCode::CREATED);
    assert_eq!(largest.json()["balance"]["available"], MAX_POINTS + 10);
    assert_eq!(app.ledger(&shop, "ana").await.len(), 2);
    app.assert_ledger_verifies().await;
}

/// The rows of the append-only tables, as stored.
async fn append_only_rows(app: &TestApp) -> (Vec<(i64, i64, i64)>, Vec<(i64, i64, i64, i64)>) {
    use fidelio::db::schema::ledger_entries as entries;
    app.with_db(|conn| {
        let entries = entries::table
            .order(entries::id)
            .select((entries::id, entries::points, entries::balance_after))
            .load(&mut **conn)
            .unwrap();
        let links = lot_links::table
            .order(lot_links::id)
            .select((
                lot_links::id,
                lot_links::entry_id,
                lot_links::lot_id,
                lot_links::points,
            ))
            .load(&mut **conn)
            .unwrap();
        (entries, links)
    })
    .await
}

#[tokio::test]
async fn the_database_refuses_to_change_remove_or_truncate_entries_and_lot_links() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 100).await;
    let redeemed = app
        .move_points(&shop, "ana", "redeem", "r1", json!({"points": 30}))
        .await;
    assert_eq!(redeemed.status, StatusCode::CREATED, "{}", redeemed.text);
    let before = append_only_rows(&app).await;
    assert_eq!(before.1.len(), 1, "the redemption took from one lot");

    let mut statements = vec![
        "UPDATE lot_links SET points = -1",
        "UPDATE lot_links SET lot_id = lot_id WHERE points < 0",
        "DELETE FROM lot_links",
        "DELETE FROM lot_links WHERE points < 0",
        "UPDATE ledger_entries SET reason = 'rewritten'",
        "DELETE FROM ledger_entries WHERE kind = 'redeem'",
    ];
    if app.database.backend() == fidelio::db::Backend::Postgres {
        statements.extend([
            "TRUNCATE lot_links",
            // CASCADE, or the lots' foreign key would refuse it before the trigger could.
            "TRUNCATE ledger_entries CASCADE",
            "TRUNCATE lot_links, ledger_entries CASCADE",
        ]);
    }
    let outcomes = app
        .with_db(move |conn| {
            statements
                .into_iter()
                .map(|sql| (sql, diesel::sql_query(sql).execute(&mut **conn)))
                .collect::<Vec<_>>()
        })
        .await;

    for (sql, outcome) in outcomes {
        let error = match outcome {
            Ok(rows) => panic!("`{sql}` was allowed ({rows} rows)"),
            Err(error) => error.to_string(),
        };
        let verb = sql.split_whitespace().next().unwrap();
        assert!(
            error.contains("is append-only") && error.contains(&format!("{verb} refused")),
            "`{sql}`: {error}"
        );
    }
    assert_eq!(append_only_rows(&app).await, before, "nothing changed");
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 70);
    app.assert_ledger_verifies().await;
}
