//! The coffee program: its worked examples, then a member moving the whole game layer.

use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};

use super::clock;
use super::events::{Fields, event, item};
use super::record::Recorder;
use crate::helpers::{Shop, TestApp};
use fidelio::tools::demo::coffee;

/// A purchase paid by card at `when` (`MM-DDTHH:MM`, UTC, in 2026).
fn buy(id: &str, member: &str, amount: &str, when: &str) -> Value {
    event("purchase", id, member, &format!("2026-{when}:00Z"))
        .set("amount", amount)
        .set("payment", "card")
}

fn refund(id: &str, amount: &str, order_id: &str, when: &str) -> Value {
    event("refund", id, "ana", &format!("2026-{when}:00Z"))
        .set("amount", amount)
        .order(order_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coffee_worked_examples_and_the_game_layer_match_their_snapshot() {
    clock::keep_clear_of_window_ends().await;
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let mut rec = Recorder::new(&app, "coffee");
    // Tier progress counts a rolling year: the first purchase counted (a1) leaves it then.
    rec.views_hold_until("2027-09-08T13:00:00Z");

    stars_expire_on_the_first_day_of_the_seventh_month(&mut rec, &shop).await;
    green_gold_and_reserve_pay_10(&mut rec, &shop).await;
    two_brewed_coffees_at_once_on_100_stars(&mut rec, &shop).await;
    ana_moves_the_game_layer(&mut rec, &shop).await;
    ana_completes_star_dash_this_week(&mut rec, &shop).await;

    rec.ledger(&shop, "dec").await;
    let fixed_week = "weekly-stars?period=2026-W41";
    for member in ["green", "gold", "reserve", "duo", "ana", "bea", "cai"] {
        let boards: &[&str] = match member {
            "ana" => &[fixed_week, "weekly-stars"],
            _ => &[fixed_week],
        };
        rec.views(&shop, member, boards).await;
    }
    app.assert_ledger_verifies().await;
    rec.finish();
}

/// Earned 2025-12-15 by a Green member: gone when 1 July 2026 begins in New York. (Only this
/// member's ledger is read after: its tier progress counts a rolling year as of today.)
async fn stars_expire_on_the_first_day_of_the_seventh_month(rec: &mut Recorder<'_>, shop: &Shop) {
    rec.enrol(shop, json!({"external_id": "dec"})).await;
    let earned = event("purchase", "dec-1", "dec", "2025-12-15T16:00:00Z")
        .set("amount", "10.00")
        .set("payment", "card");
    rec.event(shop, earned).await;
    rec.tick("2026-07-01T03:59:59Z").await;
    rec.tick("2026-07-01T04:00:00Z").await;
}

/// +10, +12 and +34 Stars for 10.00 (Reserve paying with stored value).
async fn green_gold_and_reserve_pay_10(rec: &mut Recorder<'_>, shop: &Shop) {
    for (member, tier, payment) in [
        ("green", None, "card"),
        ("gold", Some("Gold"), "card"),
        ("reserve", Some("Reserve"), "stored_value"),
    ] {
        rec.enrol(shop, json!({"external_id": member})).await;
        if let Some(tier) = tier {
            let path = format!("/v1/admin/programs/coffee/members/{member}/tier");
            let change = json!({"tier": tier, "reason": "worked example"});
            rec.admin(Method::POST, &path, Some(change)).await;
        }
        let paid = buy(&format!("{member}-1"), member, "10.00", "11-02T15:00");
        rec.event(shop, paid.set("payment", payment)).await;
    }
}

/// Two `brewed-coffee` redemptions at the same instant on 100 Stars: one succeeds. Which of
/// the two wins varies, so the answers are kept in order of status.
async fn two_brewed_coffees_at_once_on_100_stars(rec: &mut Recorder<'_>, shop: &Shop) {
    rec.enrol(shop, json!({"external_id": "duo"})).await;
    let path = "/v1/members/duo/points/adjust";
    let adjust = json!({"points": 100, "reason": "worked example"});
    rec.store(shop, Method::POST, path, Some(adjust), Some("duo-100"))
        .await;
    let send = || {
        rec.app
            .store(shop, Method::POST, "/v1/members/duo/redemptions")
            .json(&json!({"reward": "brewed-coffee"}))
            .send()
    };
    let (first, second) = tokio::join!(send(), send());
    let mut answers = Vec::new();
    for response in [first.unwrap(), second.unwrap()] {
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        answers.push(json!({"status": status, "response": body}));
    }
    answers.sort_by_key(|a| a["status"].as_u64());
    rec.note(
        "POST /v1/members/duo/redemptions {\"reward\": \"brewed-coffee\"}, twice at once",
        Value::Array(answers),
    );
}

/// First purchase, a reusable cup, alcohol, a four-week streak, Gold through Stars, the cup's
/// daily limit, a Double Star Day, refunds, a replay, a conflict and two redemptions.
async fn ana_moves_the_game_layer(rec: &mut Recorder<'_>, shop: &Shop) {
    for (id, name) in [
        ("ana", "Ana Pereira"),
        ("bea", "Bea Santos"),
        ("cai", "Cai Wu"),
    ] {
        let enrolment = json!({"external_id": id, "name": name});
        rec.enrol(shop, enrolment).await;
    }
    let drinks = json!([item("alcohol", "8.00"), item("food", "7.25")]);
    rec.events(
        shop,
        vec![
            buy("a1", "ana", "4.50", "09-08T13:00"),
            buy("a2", "ana", "3.75", "09-08T17:30").cup(),
            buy("a3", "ana", "6.00", "09-15T13:00").set("payment", "stored_value"),
            buy("a4", "ana", "15.25", "09-22T13:00").with("items", drinks),
            buy("a5", "ana", "8.00", "09-29T13:00"),
            buy("a6", "ana", "470.00", "10-06T13:00"),
            buy("b1", "bea", "30.00", "10-06T15:00"),
            buy("c1", "cai", "12.00", "10-08T15:00"),
        ],
    )
    .await;
    for i in 1..=4 {
        let cup = buy(&format!("cup{i}"), "ana", "5.00", &format!("10-07T1{i}:00"));
        rec.event(shop, cup.cup()).await;
    }
    let admin = rec.admin_token().await;
    let double_star_day = coffee::double_star_day("2026-10-14");
    rec.app
        .create_rule(&admin, "coffee", &double_star_day)
        .await;
    rec.events(
        shop,
        vec![
            buy("dsd1", "ana", "10.00", "10-14T14:00"),
            buy("dsd2", "ana", "10.00", "10-14T15:00").set("payment", "stored_value"),
            buy("o1", "ana", "20.00", "10-15T14:00").order("ana-o1"),
            refund("o1-r1", "10.00", "ana-o1", "10-16T14:00"),
            refund("o1-r2", "10.00", "ana-o1", "10-16T15:00"),
            refund("o1-r3", "5.00", "ana-o1", "10-16T16:00"),
            refund("nope-r1", "5.00", "no-such-order", "10-16T17:00"),
            // Posted again: a replay; then the same id with another amount: a conflict.
            buy("a1", "ana", "4.50", "09-08T13:00"),
            buy("a1", "ana", "5.40", "09-08T13:00"),
        ],
    )
    .await;
    rec.redeem(shop, "ana", "brewed-coffee").await;
    let custom_shot = json!({"reward": "custom-shot"});
    rec.member(
        shop,
        "ana",
        Method::POST,
        "/v1/me/redemptions",
        Some(custom_shot),
    )
    .await;
}

/// Star Dash counts from joining, in the week current now: these purchases happen now.
async fn ana_completes_star_dash_this_week(rec: &mut Recorder<'_>, shop: &Shop) {
    rec.live_window(&clock::this_week_in_new_york(Utc::now()), "this week");
    let join = "/v1/me/challenges/star-dash/join";
    rec.member(shop, "ana", Method::POST, join, None).await;
    let now = |id: &str, amount: &str| json!({"type": "purchase", "id": id, "member": "ana", "amount": amount, "payment": "card"});
    rec.events(
        shop,
        vec![
            now("dash0", "9.99"),
            now("dash1", "10.00"),
            now("dash2", "15.00"),
            now("dash3", "20.00"),
            now("dash4", "11.00"),
        ],
    )
    .await;
}
