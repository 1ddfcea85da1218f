//! A day of demo traffic: a fixed sequence of mixed events over members of both programs on
//! Tuesday 10 November 2026 (one day in New York and in Los Angeles), then redemptions.

use serde_json::{Value, json};

use super::clock;
use super::events::{Fields, event, item};
use super::record::Recorder;
use crate::helpers::TestApp;
use fidelio::tools::demo::{beauty, coffee};

const COFFEE_MEMBERS: [&str; 4] = ["amy", "ben", "cat", "dov"];
const BEAUTY_MEMBERS: [&str; 6] = ["eli", "fei", "gia", "hoa", "ines", "jon"];

/// An event of the day at `time` (UTC, on 10 November 2026); its id is given when posted.
fn at(time: &str, member: &str, kind: &str) -> Value {
    event(kind, "", member, &format!("2026-11-10T{time}:00Z"))
}

/// A coffee purchase.
fn buy(time: &str, member: &str, amount: &str, payment: &str) -> Value {
    at(time, member, "purchase")
        .set("amount", amount)
        .set("payment", payment)
}

/// A beauty purchase in store of one item per `(category, price)`.
fn basket(time: &str, member: &str, lines: &[(&str, &str)]) -> Value {
    at(time, member, "purchase").basket(lines)
}

fn refund(time: &str, member: &str, amount: &str, order_id: &str) -> Value {
    at(time, member, "refund")
        .set("amount", amount)
        .order(order_id)
}

fn review(time: &str, member: &str) -> Value {
    at(time, member, "review")
}

/// The day's events, in the order the storefronts post them.
fn the_day() -> Vec<Value> {
    vec![
        buy("12:05", "amy", "4.50", "card"),
        buy("12:10", "ben", "6.25", "stored_value"),
        basket("12:20", "eli", &[("skincare", "45.00")]).order("eli-o1"),
        buy("12:30", "cat", "5.10", "card").cup(),
        buy("12:40", "dov", "2.95", "cash"),
        review("12:45", "gia"),
        review("12:50", "gia"),
        buy("13:00", "amy", "12.00", "card").order("amy-o1"),
        basket(
            "13:05",
            "fei",
            &[("makeup", "60.00"), ("skincare", "28.00")],
        )
        .set("channel", "online")
        .order("fei-o1"),
        buy("13:15", "cat", "4.80", "card").cup(),
        basket("13:20", "hoa", &[("skincare", "30.00")]),
        buy("13:30", "ben", "15.00", "stored_value").order("ben-o1"),
        review("13:40", "gia"),
        buy("13:45", "amy", "520.00", "card").order("amy-catering"),
        at("14:00", "ines", "signup"),
        at("14:05", "ines", "purchase")
            .set("amount", "20.00")
            .set("channel", "store"),
        buy("14:10", "cat", "5.00", "card").cup(),
        buy("14:20", "cat", "5.00", "card").cup(),
        basket("14:30", "hoa", &[("skincare", "50.00")]).order("hoa-o2"),
        review("14:35", "gia"),
        review("14:40", "gia"),
        review("14:45", "gia"),
        buy("15:00", "dov", "10.00", "card").order("dov-o1").with(
            "items",
            json!([item("alcohol", "6.00"), item("food", "4.00")]),
        ),
        basket("15:10", "jon", &[("makeup", "30.00")]),
        refund("15:20", "amy", "6.00", "amy-o1"),
        basket(
            "15:30",
            "eli",
            &[("makeup", "100.00"), ("gift_card", "20.00")],
        )
        .order("eli-o2"),
        refund("15:40", "fei", "28.00", "fei-o1"),
        buy("15:45", "ben", "9.99", "card"),
        review("16:00", "hoa"),
        buy("16:10", "amy", "10.00", "stored_value"),
        at("16:20", "ines", "profile_completed"),
        refund("16:30", "ben", "15.00", "ben-o1"),
        review("16:40", "eli"),
        buy("16:50", "cat", "22.00", "card"),
        basket("17:00", "gia", &[("makeup", "360.00")]),
        buy("17:10", "dov", "3.00", "card"),
        review("17:20", "jon"),
        buy("17:30", "amy", "7.50", "card").cup(),
        basket("17:40", "fei", &[("fragrance", "25.00")]).set("channel", "online"),
        buy("17:50", "ben", "4.00", "card"),
        refund("18:00", "hoa", "50.00", "hoa-o2"),
        refund("18:10", "cat", "5.00", "cat-unknown"),
        basket("18:20", "eli", &[("skincare", "10.00")]).set("channel", "online"),
        buy("18:30", "amy", "3.25", "card"),
        review("18:40", "gia"),
        refund("18:50", "dov", "10.00", "dov-o1"),
        basket("19:00", "ines", &[("skincare", "75.00")]),
        buy("19:10", "ben", "30.00", "stored_value"),
        refund("19:20", "eli", "20.00", "eli-o2"),
        buy("19:30", "cat", "5.00", "card").cup(),
        basket("19:40", "jon", &[("makeup", "40.00")]),
        buy("19:50", "amy", "18.00", "card"),
        review("20:00", "fei"),
        buy("20:10", "dov", "1.00", "card"),
        basket("20:20", "hoa", &[("makeup", "12.00")]),
        buy("21:00", "ben", "2.50", "card"),
        basket("21:30", "eli", &[("makeup", "300.00")]),
        buy("22:00", "amy", "40.00", "stored_value"),
        review("22:30", "gia"),
        buy("23:00", "cat", "6.00", "card"),
    ]
}

#[tokio::test]
async fn a_day_of_demo_traffic_over_both_programs_matches_its_snapshot() {
    clock::keep_clear_of_window_ends().await;
    let app = TestApp::spawn().await;
    let coffee = app.configured_shop(coffee::config()).await;
    let beauty = app.configured_shop(beauty::config()).await;
    let mut rec = Recorder::new(&app, "demo_day");
    // Tier progress in beauty counts this calendar year in Los Angeles.
    rec.views_hold_until("2027-01-01T08:00:00Z");
    let now = chrono::Utc::now();
    rec.live_window(&clock::this_week_in_new_york(now), "this week");
    rec.live_window(&clock::this_month_in_los_angeles(now), "this month");

    for member in COFFEE_MEMBERS {
        rec.enrol(
            &coffee,
            json!({"external_id": member, "name": format!("{member} Demo")}),
        )
        .await;
    }
    let mut eli_code = String::new();
    for member in BEAUTY_MEMBERS {
        let mut enrolment = json!({"external_id": member, "name": format!("{member} Demo")});
        if member == "jon" {
            enrolment["referral_code"] = json!(eli_code);
        }
        let enrolled = rec.enrol(&beauty, enrolment).await;
        if member == "eli" {
            eli_code = enrolled["referral_code"].as_str().unwrap().to_owned();
        }
    }

    let day = the_day();
    for (i, event) in day.iter().enumerate() {
        let event = event.clone().set("id", &format!("day-{:02}", i + 1));
        let member = event["member"].as_str().unwrap();
        let shop = if COFFEE_MEMBERS.contains(&member) {
            &coffee
        } else {
            &beauty
        };
        rec.event(shop, event).await;
    }
    // The storefront posts one again (a replay), and one for a member it never enrolled.
    rec.event(&coffee, day[7].clone().set("id", "day-08")).await;
    let stranger = buy("23:30", "zed", "3.00", "card").set("id", "day-stranger");
    rec.event(&coffee, stranger).await;

    for (shop, member, reward) in [
        (&coffee, "amy", "brewed-coffee"),
        (&coffee, "ben", "two-off"),
        (&beauty, "eli", "cash-10"),
        (&beauty, "gia", "cash-10"),
    ] {
        rec.redeem(shop, member, reward).await;
    }
    rec.burn(&beauty, "hoa", 50, "hoa-burn").await;

    for member in COFFEE_MEMBERS {
        rec.views(&coffee, member, &["weekly-stars?period=2026-W46"])
            .await;
    }
    for member in BEAUTY_MEMBERS {
        rec.views(&beauty, member, &["top-reviewers?period=2026-11"])
            .await;
    }
    app.assert_ledger_verifies().await;
    rec.finish();
}
