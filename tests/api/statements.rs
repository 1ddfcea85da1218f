//! How many statements the hot paths send to the database, counted by diesel's
//! instrumentation on the service's own pool (`fidelio_db_statements_total` in `/metrics`),
//! from the key check to the commit. The limits are ceilings: a change that adds a statement
//! to a coffee purchase or a balance read fails here, and so does one whose count grows with
//! the member's history.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Shop, TestApp, body};
use fidelio::db::Backend;
use fidelio::tools::demo::coffee;

/// The most statements each request may send on a backend: a coffee purchase that moves the
/// game layer (a streak, a badge counter or level, the weekly leaderboard), a storefront
/// balance read, and a storefront's redemption and adjustment, each with an `Idempotency-Key`.
struct Ceilings {
    purchase: u64,
    read: u64,
    redeem: u64,
    adjust: u64,
}

fn ceilings(backend: Backend) -> Ceilings {
    match backend {
        Backend::Postgres => Ceilings {
            purchase: 7,
            read: 1,
            redeem: 10,
            adjust: 9,
        },
        Backend::Sqlite => Ceilings {
            purchase: 17,
            read: 1,
            redeem: 12,
            adjust: 10,
        },
    }
}

/// A member's own read (`GET /v1/me`), on both backends: the member, its referrer, its tier
/// sums and its program's configuration version in one statement, its streaks in another.
const OWN_READ: u64 = 2;

/// A member's leaderboard read (`GET /v1/me/leaderboards/{slug}`), on both backends: the
/// member, its program, then the board's size, top, and the member's rank and neighbours in
/// one statement (up to 11 before: one per count and range, and the element's definition).
const LEADERBOARD_READ: u64 = 3;

// Measured (2026-12-03): a purchase sends 7 on PostgreSQL (BEGIN; the member's lock, which
// also reads the key's state; the event's insert, which also finds a re-post; the state read;
// the ledger entries, their lots and the member's balances in one statement; the rest in one
// batch; COMMIT) and 17 on SQLite, where the batch is sent write by write and the credits are
// an entry and a lot each (two here), then the member's balances: statements kept prepared,
// cheaper on SQLite than the one multi-row insert of each it sent before (15 statements), which
// it prepared anew every time; a read with a key this instance verified before sends one statement: the
// member, its referrer, its tier sums and the key's state.
//
// Measured (2026-12-03; 19 and 18 on both backends before): a redemption sends 10 on
// PostgreSQL (BEGIN; the idempotency key's claim, which also finds a key used before; the
// member's lock, which also reads the API key's state; the debit, which also moves the member's
// last activity; the entry; the lots to spend; the hour's totals, the links and the lots'
// remainders in one batch; the audit row, which reads the key's name; the stored reply; COMMIT)
// and an adjustment 9 (the entry; its totals and lot in one batch; the balances). SQLite sends
// each batch write by write: 12 and 10.

/// Statements the service sent while `work` ran (nothing else runs against it meanwhile).
async fn statements_of<F: std::future::Future<Output = ()>>(app: &TestApp, work: F) -> u64 {
    let before = sent(app).await;
    work.await;
    sent(app).await - before
}

async fn sent(app: &TestApp) -> u64 {
    app.metric("fidelio_db_statements_total").await
}

fn purchase(n: usize) -> Value {
    // One a minute, all in the week of 2026-11-23, by card: 10 Stars each.
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 24)
        .unwrap()
        .and_hms_opt(14, 0, 0)
        .unwrap()
        + chrono::Duration::seconds(i64::try_from(n).unwrap());
    json!({"type": "purchase", "id": format!("p{n}"), "member": "ana", "amount": "10.00",
           "payment": "card", "occurred_at": at.and_utc().to_rfc3339()})
}

async fn buy(app: &TestApp, shop: &Shop, n: usize) {
    app.event(shop, purchase(n)).await;
}

async fn read_own(app: &TestApp, token: &str) {
    let response = app
        .request(Method::GET, "/v1/me")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    assert!(body(response).await["streaks"].is_array());
}

async fn read(app: &TestApp, shop: &Shop) {
    let response = app
        .store(shop, Method::GET, "/v1/members/ana")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    body(response).await;
}

#[tokio::test]
async fn a_coffee_purchase_and_a_balance_read_send_a_bounded_number_of_statements() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    // Reserve from the start, so that every purchase earns the same lines and moves no tier:
    // the first and the five-hundredth purchase do the same work.
    let admin = app.admin_token().await;
    let response = app
        .request(Method::POST, "/v1/admin/programs/coffee/members/ana/tier")
        .bearer_auth(&admin)
        .json(&json!({"tier": "Reserve", "reason": "a regular from the old shop"}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    // The first purchase warms the caches of compiled rules and game elements. Each figure is
    // the least of three, so that a pooled connection's liveness ping (sent when one was idle
    // for a second) does not count.
    buy(&app, &shop, 0).await;
    let token = app.member_token(&shop, "ana").await;
    let mut second = u64::MAX;
    let mut read_early = u64::MAX;
    let mut own_early = u64::MAX;
    for n in 1..4 {
        second = second.min(statements_of(&app, buy(&app, &shop, n)).await);
        read_early = read_early.min(statements_of(&app, read(&app, &shop)).await);
        own_early = own_early.min(statements_of(&app, read_own(&app, &token)).await);
    }
    for n in 4..500 {
        buy(&app, &shop, n).await;
    }
    let mut later = u64::MAX;
    let mut read_late = u64::MAX;
    let mut own_late = u64::MAX;
    for n in 500..503 {
        later = later.min(statements_of(&app, buy(&app, &shop, n)).await);
        read_late = read_late.min(statements_of(&app, read(&app, &shop)).await);
        own_late = own_late.min(statements_of(&app, read_own(&app, &token)).await);
    }
    let backend = app.database.backend();
    eprintln!(
        "statements on {backend:?}: purchase {second} (after 500 purchases: {later}), balance \
         read {read_early} (after 500 purchases: {read_late}), own read {own_early} (after 500 \
         purchases: {own_late})"
    );
    let Ceilings {
        purchase: purchase_ceiling,
        read: read_ceiling,
        ..
    } = ceilings(backend);
    assert!(
        later <= second,
        "a purchase costs more statements with history"
    );
    assert!(
        read_late <= read_early,
        "a read costs more statements with history"
    );
    assert!(
        second <= purchase_ceiling,
        "a purchase sends {second} statements; at most {purchase_ceiling}"
    );
    assert!(
        read_early <= read_ceiling,
        "a balance read sends {read_early} statements; at most {read_ceiling}"
    );
    assert!(
        own_late <= own_early && own_early <= OWN_READ,
        "a member's own read sends {own_early} statements (later {own_late}); at most {OWN_READ}"
    );
    app.assert_ledger_verifies().await;
}

async fn move_points(app: &TestApp, shop: &Shop, what: &str, points: i64, n: usize) {
    let sent = match what {
        "redeem" => json!({"points": points}),
        _ => json!({"points": points, "reason": "statements"}),
    };
    let response = app
        .store(
            shop,
            Method::POST,
            &format!("/v1/members/ana/points/{what}"),
        )
        .header("Idempotency-Key", format!("{what}-{n}"))
        .json(&sent)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{what}");
    body(response).await;
}

#[tokio::test]
async fn a_redemption_and_an_adjustment_send_a_bounded_number_of_statements() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    // The first of each warms the caches; each figure is the least of three (see above).
    move_points(&app, &shop, "adjust", 1_000, 0).await;
    move_points(&app, &shop, "redeem", 5, 0).await;
    let (mut redeem, mut adjust) = (u64::MAX, u64::MAX);
    for n in 1..4 {
        redeem = redeem.min(statements_of(&app, move_points(&app, &shop, "redeem", 5, n)).await);
        adjust = adjust.min(statements_of(&app, move_points(&app, &shop, "adjust", 10, n)).await);
    }
    let backend = app.database.backend();
    eprintln!("statements on {backend:?}: redeem {redeem}, adjust {adjust}");
    let Ceilings {
        redeem: redeem_ceiling,
        adjust: adjust_ceiling,
        ..
    } = ceilings(backend);
    assert!(
        redeem <= redeem_ceiling,
        "a redemption sends {redeem} statements; at most {redeem_ceiling}"
    );
    assert!(
        adjust <= adjust_ceiling,
        "an adjustment sends {adjust} statements; at most {adjust_ceiling}"
    );
    app.assert_ledger_verifies().await;
}

async fn read_board(app: &TestApp, token: &str) {
    let response = app
        .request(Method::GET, "/v1/me/leaderboards/weekly-stars")
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success());
    let board = body(response).await;
    assert_eq!(
        board["me"]["neighbours"].as_array().unwrap().len(),
        5,
        "{board}"
    );
}

#[tokio::test]
async fn a_leaderboard_read_sends_one_statement_for_the_board() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    // Five members tied on one score: the middle one has two neighbours on each side.
    for (n, member) in ["ana", "ben", "cat", "dov", "eli"].into_iter().enumerate() {
        app.enrol(&shop, member).await;
        app.event(
            &shop,
            json!({"type": "purchase", "id": format!("p{n}"), "member": member,
                   "amount": "10.00", "payment": "card"}),
        )
        .await;
    }
    let token = app.member_token(&shop, "cat").await;
    // The first read warms the caches; the least of three leaves out a liveness ping.
    read_board(&app, &token).await;
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        fewest = fewest.min(statements_of(&app, read_board(&app, &token)).await);
    }
    assert!(
        fewest <= LEADERBOARD_READ,
        "a leaderboard read sends {fewest} statements; at most {LEADERBOARD_READ}"
    );
}
