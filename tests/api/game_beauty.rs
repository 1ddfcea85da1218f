//! The beauty program's game layer, as PROGRAMS.md describes it: `skincare-sprint`,
//! `first-review`, `reviewer` levels, `ambassador`, `rouge` and `top-reviewers`.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use fidelio::tools::demo::beauty;

fn purchase(id: &str, member: &str, at: &str, items: &[(&str, &str)]) -> Value {
    let total: f64 = items.iter().map(|(_, p)| p.parse::<f64>().unwrap()).sum();
    let items: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, (category, price))| {
            json!({"sku": format!("{category}-{i}"), "category": category, "quantity": 1, "unit_price": price})
        })
        .collect();
    json!({"type": "purchase", "id": id, "member": member, "amount": format!("{total:.2}"),
           "channel": "store", "occurred_at": at, "items": items})
}

fn review(id: &str, member: &str, at: &str) -> Value {
    json!({"type": "review", "id": id, "member": member, "occurred_at": at})
}

fn slugs(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|b| b["slug"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn beauty_skincare_sprint_pays_150_points_and_glow_getter_once_per_month_in_los_angeles() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "sky").await;

    let first = app
        .event(
            &shop,
            purchase(
                "a",
                "sky",
                "2026-10-05T18:00:00Z",
                &[("skincare", "40.00"), ("makeup", "30.00")],
            ),
        )
        .await;
    assert_eq!(
        first["challenges"],
        json!([{"slug": "skincare-sprint", "name": "Skincare Sprint", "window": "2026-10",
                "progress": "40.00", "goal": "75.00", "completed": false}])
    );
    let badges = app.as_member(&shop, "sky", "/v1/me/badges").await;
    assert!(
        !slugs(&badges).contains(&"glow-getter".to_owned()),
        "a hidden badge shows only once earned"
    );

    // 23:30 on 31 October in Los Angeles: still October's sprint.
    let completing = app
        .event(
            &shop,
            purchase("b", "sky", "2026-11-01T06:30:00Z", &[("skincare", "40.00")]),
        )
        .await;
    let sprint = &completing["challenges"][0];
    assert_eq!(sprint["window"], "2026-10");
    assert_eq!(
        (sprint["progress"].clone(), sprint["completed"].clone()),
        (json!("75.00"), json!(true))
    );
    assert_eq!(
        sprint["reward_paid"],
        json!({"points": 150, "badge": "glow-getter"})
    );
    assert_eq!(slugs(&completing["badges_earned"]), ["glow-getter"]);
    assert_eq!(completing["points_awarded"], 40 + 150);

    // 01:30 on 1 November: a new month, a new sprint, paid again; the badge is held already.
    let november = app
        .event(
            &shop,
            purchase("c", "sky", "2026-11-01T08:30:00Z", &[("skincare", "80.00")]),
        )
        .await;
    assert_eq!(november["challenges"][0]["window"], "2026-11");
    assert_eq!(
        november["challenges"][0]["reward_paid"],
        json!({"points": 150})
    );
    assert_eq!(november["badges_earned"], json!([]));
    let again = app
        .event(
            &shop,
            purchase("d", "sky", "2026-11-02T18:00:00Z", &[("skincare", "10.00")]),
        )
        .await;
    assert!(again["challenges"][0].get("reward_paid").is_none());
    assert_eq!(again["points_awarded"], 10);

    let badges = app.as_member(&shop, "sky", "/v1/me/badges").await;
    let glow = badges
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "glow-getter")
        .unwrap();
    assert_eq!(glow["earned"], true);
    let member = app.member(&shop, "sky").await;
    assert_eq!(member["balance"]["available"], 70 + 190 + 230 + 10);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn beauty_a_sprint_completed_online_pays_its_bonus_with_the_purchase_after_the_return_window()
{
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "sky").await;
    let mut online = purchase("o", "sky", "2026-11-20T18:00:00Z", &[("skincare", "80.00")]);
    online["channel"] = json!("online");
    let outcome = app.event(&shop, online).await;
    assert_eq!(outcome["challenges"][0]["reward_paid"]["points"], 150);
    assert_eq!(outcome["awarded"]["pending"], 80 + 150);
    assert_eq!(outcome["awarded"]["available"], 0);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn beauty_first_review_then_reviewer_bronze_silver_and_gold_at_5_25_and_100() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "rev").await;
    let mut earned = Vec::new();
    for i in 1..=100 {
        let day = 1 + (i - 1) / 5;
        let at = format!("2026-10-{:02}T18:00:00Z", day.min(28));
        let outcome = app.event(&shop, review(&format!("r{i}"), "rev", &at)).await;
        for badge in outcome["badges_earned"].as_array().unwrap() {
            earned.push((
                i,
                badge["slug"].as_str().unwrap().to_owned(),
                badge.get("level_name").cloned().unwrap_or(Value::Null),
            ));
        }
    }
    assert_eq!(
        earned,
        [
            (1, "first-review".to_owned(), Value::Null),
            (5, "reviewer".to_owned(), json!("bronze")),
            (25, "reviewer".to_owned(), json!("silver")),
            (100, "reviewer".to_owned(), json!("gold")),
        ]
    );
    let badges = app.as_member(&shop, "rev", "/v1/me/badges").await;
    let reviewer = badges
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "reviewer")
        .unwrap();
    assert_eq!(reviewer["complete"], true);
    assert_eq!(reviewer["progress"], 100);
    let levels: Vec<&Value> = reviewer["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["threshold"])
        .collect();
    assert_eq!(levels, [&json!(5), &json!(25), &json!(100)]);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn beauty_ambassador_is_earned_by_the_referrer_at_the_third_referral_that_paid_out() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    let rita = app.enrol_named(&shop, "rita", "Rita Moreno", None).await;
    let code = rita["referral_code"].as_str().unwrap().to_owned();
    for friend in ["f1", "f2", "f3", "f4"] {
        app.enrol_named(&shop, friend, "Friend", Some(&code)).await;
    }
    let buy = |id: &str, member: &str, amount: &str| {
        purchase(id, member, "2026-11-20T18:00:00Z", &[("skincare", amount)])
    };
    let one = app.event(&shop, buy("p1", "f1", "30.00")).await;
    assert_eq!(one["referrer"]["member"], "rita");
    assert_eq!(one["badges_earned"], json!([]));
    let small = app.event(&shop, buy("p3", "f3", "10.00")).await;
    assert!(
        small.get("referrer").is_none(),
        "under 25.00 pays no referral"
    );
    app.event(&shop, buy("p2", "f2", "30.00")).await;
    let third = app.event(&shop, buy("p4", "f4", "50.00")).await;
    assert_eq!(third["referrer"]["points"], 250);
    assert_eq!(
        third["badges_earned"],
        json!([{"slug": "ambassador", "name": "Ambassador", "level": 1, "points": 0, "member": "rita"}])
    );
    let badges = app.as_member(&shop, "rita", "/v1/me/badges").await;
    let ambassador = badges
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "ambassador")
        .unwrap();
    assert_eq!(
        (ambassador["earned"].clone(), ambassador["progress"].clone()),
        (json!(true), json!(3))
    );
    let friends = app.as_member(&shop, "f4", "/v1/me/badges").await;
    let theirs = friends
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["slug"] == "ambassador")
        .unwrap();
    assert_eq!(theirs["earned"], false);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn beauty_reaching_rouge_earns_the_rouge_badge_and_vib_does_not() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "vib").await;
    app.enrol(&shop, "rouge").await;
    let vib = app
        .event(
            &shop,
            purchase("v", "vib", "2026-11-20T18:00:00Z", &[("makeup", "360.00")]),
        )
        .await;
    assert_eq!(vib["tier"]["name"], "VIB");
    assert_eq!(vib["badges_earned"], json!([]));
    let rouge = app
        .event(
            &shop,
            purchase(
                "r",
                "rouge",
                "2026-11-20T18:00:00Z",
                &[("makeup", "1000.00")],
            ),
        )
        .await;
    assert_eq!(rouge["tier"]["name"], "Rouge");
    assert_eq!(slugs(&rouge["badges_earned"]), ["rouge"]);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn beauty_top_reviewers_ranks_rewarded_reviews_of_the_month_first_come_first_ranked() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    for (id, name) in [("yan", "Yan Li"), ("xia", "Xia Chen"), ("zoe", "Zoe Kim")] {
        app.enrol_named(&shop, id, name, None).await;
    }
    for i in 0..5 {
        app.event(
            &shop,
            review(&format!("y{i}"), "yan", "2026-10-09T18:00:00Z"),
        )
        .await;
    }
    let mut unrewarded = Value::Null;
    for i in 0..6 {
        unrewarded = app
            .event(
                &shop,
                review(&format!("x{i}"), "xia", "2026-10-10T18:00:00Z"),
            )
            .await;
    }
    assert_eq!(
        unrewarded["points_awarded"], 0,
        "the sixth review of a day earns nothing"
    );
    app.event(&shop, review("z0", "zoe", "2026-10-12T18:00:00Z"))
        .await;
    // 23:30 on 31 October in Los Angeles still counts for October.
    app.event(&shop, review("z1", "zoe", "2026-11-01T06:30:00Z"))
        .await;

    let board = app
        .as_member(
            &shop,
            "xia",
            "/v1/me/leaderboards/top-reviewers?period=2026-10",
        )
        .await;
    let top: Vec<(Value, Value)> = board["top"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["member"].clone(), e["score"].clone()))
        .collect();
    assert_eq!(
        top,
        [
            (json!("Yan L."), json!(5)),
            (json!("Xia C."), json!(5)),
            (json!("Zoe K."), json!(2))
        ],
        "Xia's sixth review was not rewarded; Yan reached 5 first"
    );
    assert_eq!(board["me"]["rank"], 2);
    assert_eq!(board["period"]["key"], "2026-10");

    let token = app.member_token(&shop, "xia").await;
    let bad = app
        .request(
            reqwest::Method::GET,
            &format!(
                "/v1/me/leaderboards/top-reviewers?period={}",
                "x".repeat(40)
            ),
        )
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_problem(bad, StatusCode::UNPROCESSABLE_ENTITY, "validation-failed").await;
    app.assert_ledger_verifies().await;
}
