//! The beauty program: its worked examples, referrals, the skincare sprint, Rouge, reviews
//! and the top-reviewers board.

use serde_json::{Value, json};

use super::clock;
use super::events::{Fields, event};
use super::record::Recorder;
use crate::helpers::{Shop, TestApp};
use fidelio::tools::demo::beauty;

/// An event of `kind` at `when` (`MM-DDTHH:MM`, UTC, in 2026).
fn on(kind: &str, id: &str, member: &str, when: &str) -> Value {
    event(kind, id, member, &format!("2026-{when}:00Z"))
}

/// An in-store purchase of one item per `(category, price)`.
fn buy(id: &str, member: &str, when: &str, lines: &[(&str, &str)]) -> Value {
    on("purchase", id, member, when).basket(lines)
}

fn refund(id: &str, member: &str, when: &str, amount: &str, order_id: &str) -> Value {
    on("refund", id, member, when)
        .set("amount", amount)
        .order(order_id)
}

fn review(id: &str, member: &str, when: &str) -> Value {
    on("review", id, member, when)
}

#[tokio::test]
async fn beauty_worked_examples_referrals_and_the_game_layer_match_their_snapshot() {
    clock::keep_clear_of_window_ends().await;
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    let mut rec = Recorder::new(&app, "beauty");
    // Tier progress counts this calendar year in Los Angeles.
    rec.views_hold_until("2027-01-01T08:00:00Z");
    let this_month = clock::this_month_in_los_angeles(chrono::Utc::now());
    rec.live_window(&this_month, "this month");

    an_online_purchase_is_pending_for_14_days(&mut rec, &shop).await;
    spending_360_in_store_is_vib_until_the_end_of_next_year(&mut rec, &shop).await;
    six_reviews_in_one_day_earn_25(&mut rec, &shop).await;
    signup_buy_burn_refund_goes_negative(&mut rec, &shop).await;
    referrals_pay_both_sides_once(&mut rec, &shop).await;
    the_skincare_sprint_pays_once_a_month(&mut rec, &shop).await;
    rouge_and_its_rewards(&mut rec, &shop).await;

    let members = [
        "olive", "bea", "rev", "sam", "rita", "fay", "gus", "hal", "ivy", "sky", "rouge",
    ];
    for member in members {
        rec.views(&shop, member, &["top-reviewers?period=2026-06"])
            .await;
    }
    app.assert_ledger_verifies().await;
    rec.finish();
}

/// Posted now (the 14 days count from now), and released by the tick 14 days later; first, so
/// that the tick finds no one else's work due.
async fn an_online_purchase_is_pending_for_14_days(rec: &mut Recorder<'_>, shop: &Shop) {
    rec.enrol(shop, json!({"external_id": "olive"})).await;
    let online = json!({"type": "purchase", "id": "olive-1", "member": "olive",
                        "amount": "40.00", "channel": "online"});
    let outcome = rec.event(shop, online).await;
    let available_at = outcome["awarded"]["available_at"].as_str().unwrap();
    rec.tick(available_at).await;
}

/// 360.00 in store on 1 June 2026: VIB through 2027-12-31. Then a refund takes the year's
/// spend under VIB's 350.
async fn spending_360_in_store_is_vib_until_the_end_of_next_year(
    rec: &mut Recorder<'_>,
    shop: &Shop,
) {
    rec.enrol(shop, json!({"external_id": "bea", "name": "Bea Santos"}))
        .await;
    let spend = buy("bea-1", "bea", "06-01T18:00", &[("makeup", "360.00")]);
    rec.events(
        shop,
        vec![
            spend.order("bea-o1"),
            refund("bea-r1", "bea", "06-10T18:00", "20.00", "bea-o1"),
            review("bea-rv1", "bea", "06-11T18:00"),
        ],
    )
    .await;
}

/// Five rewarded reviews a day: the sixth earns nothing, the next day's does; first-review
/// at the first, reviewer bronze at the fifth.
async fn six_reviews_in_one_day_earn_25(rec: &mut Recorder<'_>, shop: &Shop) {
    rec.enrol(shop, json!({"external_id": "rev", "name": "Rey Vance"}))
        .await;
    for i in 1..=6 {
        let id = format!("rev-{i}");
        rec.event(shop, review(&id, "rev", "06-02T18:00")).await;
    }
    rec.event(shop, review("rev-7", "rev", "06-03T18:00")).await;
}

/// Sign-up +50, 100.00 in store, 120 burnt at checkout, the 100.00 refunded: 30, then -70,
/// and redemptions refused until the balance is positive again.
async fn signup_buy_burn_refund_goes_negative(rec: &mut Recorder<'_>, shop: &Shop) {
    rec.enrol(shop, json!({"external_id": "sam", "name": "Sam Ortiz"}))
        .await;
    let spend = buy("sam-1", "sam", "06-05T18:00", &[("makeup", "100.00")]);
    rec.events(
        shop,
        vec![
            on("signup", "sam-s1", "sam", "06-05T17:00"),
            on("signup", "sam-s2", "sam", "06-05T17:05"),
            spend.order("sam-o1"),
        ],
    )
    .await;
    rec.burn(shop, "sam", 120, "sam-burn").await;
    let back = refund("sam-r1", "sam", "06-06T18:00", "100.00", "sam-o1");
    rec.event(shop, back).await;
    rec.redeem(shop, "sam", "cash-10").await;
    rec.burn(shop, "sam", 10, "sam-burn-2").await;
    rec.events(
        shop,
        vec![
            on("profile_completed", "sam-p1", "sam", "06-07T18:00"),
            on("profile_completed", "sam-p2", "sam", "06-07T18:05"),
            review("sam-rv1", "sam", "06-07T19:00"),
            review("sam-rv2", "sam", "06-08T19:00"),
        ],
    )
    .await;
}

/// A referred member's first purchase of 25.00 pays the referrer 250 and the member 100, once;
/// the third that pays earns the referrer `ambassador`. A `referral` event links a referrer
/// after enrolment; a member cannot refer itself (nor one with its email).
async fn referrals_pay_both_sides_once(rec: &mut Recorder<'_>, shop: &Shop) {
    let rita = json!({"external_id": "rita", "name": "Rita Moreno", "email": "rita@example.com"});
    let rita = rec.enrol(shop, rita).await;
    let code = rita["referral_code"].as_str().unwrap().to_owned();
    for friend in ["fay", "gus", "ivy"] {
        let enrolment = json!({"external_id": friend, "referral_code": code});
        rec.enrol(shop, enrolment).await;
    }
    rec.enrol(shop, json!({"external_id": "hal"})).await;
    let same_email =
        json!({"external_id": "rita2", "email": "RITA@example.com", "referral_code": code});
    rec.enrol(shop, same_email).await;
    let link = |id: &str, member: &str, when: &str| {
        on("referral", id, member, when).with("properties", json!({"referral_code": code}))
    };
    rec.events(
        shop,
        vec![
            buy("fay-1", "fay", "09-10T18:00", &[("skincare", "30.00")]),
            buy("fay-2", "fay", "09-11T18:00", &[("skincare", "30.00")]),
            buy("gus-1", "gus", "09-10T19:00", &[("makeup", "10.00")]),
            buy("gus-2", "gus", "09-11T19:00", &[("makeup", "26.00")]),
            link("hal-ref", "hal", "09-12T18:00"),
            link("hal-ref-2", "hal", "09-12T18:05"),
            link("rita-ref", "rita", "09-12T18:10"),
            buy("hal-1", "hal", "09-13T18:00", &[("fragrance", "50.00")]),
            buy("ivy-1", "ivy", "09-14T18:00", &[("skincare", "40.00")]),
            buy("rita2-1", "rita2", "09-15T18:00", &[("makeup", "30.00")]),
        ],
    )
    .await;
}

/// 75.00 of skincare within a Los Angeles month: 150 points and `glow-getter` (once), paid
/// again in the next month. Gift cards and shipping earn nothing.
async fn the_skincare_sprint_pays_once_a_month(rec: &mut Recorder<'_>, shop: &Shop) {
    rec.enrol(shop, json!({"external_id": "sky", "name": "Sky Lee"}))
        .await;
    let gift_card = [("skincare", "20.00"), ("gift_card", "50.00")];
    rec.events(
        shop,
        vec![
            buy(
                "sky-1",
                "sky",
                "10-05T18:00",
                &[("skincare", "40.00"), ("makeup", "30.00")],
            ),
            // 23:30 on 31 October in Los Angeles: still October's sprint.
            buy("sky-2", "sky", "11-01T06:30", &[("skincare", "40.00")]),
            buy("sky-3", "sky", "11-01T08:30", &[("skincare", "80.00")]),
            buy("sky-4", "sky", "11-03T18:00", &gift_card)
                .set("amount", "75.00")
                .set("shipping", "5.00"),
        ],
    )
    .await;
}

/// 1,000.00 in a year reaches Rouge (and its badge); Rouge rewards, their limit, and the tier
/// a reward asks for.
async fn rouge_and_its_rewards(rec: &mut Recorder<'_>, shop: &Shop) {
    rec.enrol(shop, json!({"external_id": "rouge", "name": "Ruth Ng"}))
        .await;
    rec.events(
        shop,
        vec![
            buy("rouge-1", "rouge", "11-20T18:00", &[("makeup", "1000.00")]),
            buy("rouge-2", "rouge", "11-21T18:00", &[("makeup", "1600.00")]),
        ],
    )
    .await;
    for (member, reward) in [
        ("rouge", "rouge-reward"),
        ("rouge", "rouge-reward"),
        ("bea", "masterclass"),
        ("olive", "masterclass"),
        ("olive", "rouge-reward"),
    ] {
        rec.redeem(shop, member, reward).await;
    }
}
