//! Tiers, expiry, birthdays and time, on the demo programs, as PROGRAMS.md describes them.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Shop, TestApp, assert_problem, body};
use fidelio::tools::demo::{beauty, coffee};

async fn set_tier(app: &TestApp, shop: &Shop, member: &str, tier: &str) -> Value {
    let admin = app.admin_token().await;
    let response = app
        .request(
            Method::POST,
            &format!("/v1/admin/programs/{}/members/{member}/tier", shop.slug),
        )
        .bearer_auth(&admin)
        .json(&json!({"tier": tier, "reason": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    body(response).await
}

fn purchase(id: &str, member: &str, amount: &str, at: &str) -> Value {
    json!({"type": "purchase", "id": id, "member": member, "amount": amount, "occurred_at": at, "channel": "store"})
}

async fn ledger_kinds(app: &TestApp, shop: &Shop, member: &str) -> Vec<(String, i64)> {
    let ledger = body(
        app.store(shop, Method::GET, &format!("/v1/members/{member}/ledger"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    ledger["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["points"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn coffee_gold_earns_12_and_reserve_with_stored_value_earns_34_for_10() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "gold").await;
    app.enrol(&shop, "reserve").await;
    set_tier(&app, &shop, "gold", "Gold").await;
    set_tier(&app, &shop, "reserve", "Reserve").await;
    let gold = app.event(&shop, json!({"type": "purchase", "id": "g1", "member": "gold", "amount": "10.00", "payment": "card"})).await;
    assert_eq!(gold["points_awarded"], 12);
    let reserve = app
        .event(&shop, json!({"type": "purchase", "id": "r1", "member": "reserve", "amount": "10.00", "payment": "stored_value"}))
        .await;
    assert_eq!(reserve["points_awarded"], 34);
}

#[tokio::test]
async fn coffee_a_member_who_reaches_500_stars_is_gold_at_once_and_earns_x1_2_next() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    let green = app.member(&shop, "ana").await;
    assert_eq!(green["tier"]["name"], "Green");
    assert_eq!(green["tier"]["next"]["name"], "Gold");
    assert_eq!(green["tier"]["next"]["remaining"], 500);

    let first = app
        .event(
            &shop,
            json!({"type": "purchase", "id": "p1", "member": "ana", "amount": "463.00"}),
        )
        .await;
    assert_eq!(first["tier"]["name"], "Green");
    assert_eq!(
        app.member(&shop, "ana").await["tier"]["next"]["summary"],
        "37 Stars to Gold"
    );

    let crossing = app
        .event(
            &shop,
            json!({"type": "purchase", "id": "p2", "member": "ana", "amount": "40.00"}),
        )
        .await;
    assert_eq!(
        crossing["points_awarded"], 40,
        "the crossing purchase earns at the old rate"
    );
    assert_eq!(crossing["tier"]["name"], "Gold");
    assert_eq!(crossing["tier"]["changed"], true);
    assert_eq!(crossing["tier"]["previous"], "Green");
    let reached =
        chrono::DateTime::parse_from_rfc3339(crossing["event"]["occurred_at"].as_str().unwrap())
            .unwrap();
    let held =
        chrono::DateTime::parse_from_rfc3339(crossing["tier"]["held_until"].as_str().unwrap())
            .unwrap();
    assert_eq!(
        held,
        reached.checked_add_months(chrono::Months::new(12)).unwrap(),
        "held 12 months"
    );

    let next = app
        .event(
            &shop,
            json!({"type": "purchase", "id": "p3", "member": "ana", "amount": "10.00"}),
        )
        .await;
    assert_eq!(next["points_awarded"], 12);
    let member = app.member(&shop, "ana").await;
    assert_eq!(member["tier"]["name"], "Gold");
    assert_eq!(member["tier"]["multiplier"], "1.2");
    assert_eq!(member["tier"]["next"]["name"], "Reserve");

    let admin = app.admin_token().await;
    let history = body(
        app.request(
            Method::GET,
            "/v1/admin/programs/coffee/members/ana/tier-history",
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(history["data"][0]["from"], "Green");
    assert_eq!(history["data"][0]["to"], "Gold");
    assert_eq!(history["data"][0]["change"], "upgrade");
}

#[tokio::test]
async fn coffee_stars_earned_mid_december_expire_on_1_july_at_midnight_new_york_for_green_members()
{
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "green").await;
    app.enrol(&shop, "gold").await;
    set_tier(&app, &shop, "gold", "Gold").await;
    app.event(
        &shop,
        purchase("p1", "green", "20.00", "2025-12-15T17:00:00Z"),
    )
    .await;
    app.event(
        &shop,
        purchase("p2", "gold", "20.00", "2025-12-15T17:00:00Z"),
    )
    .await;

    let before = app.tick("2026-07-01T03:59:59Z").await;
    assert_eq!(before.expired_points, 0, "still 30 June in New York");
    let at_midnight = app.tick("2026-07-01T04:00:00Z").await;
    assert_eq!(
        (at_midnight.expired_members, at_midnight.expired_points),
        (1, 20)
    );
    assert_eq!(
        ledger_kinds(&app, &shop, "green").await,
        [("expire".to_owned(), -20), ("earn".to_owned(), 20)]
    );
    assert_eq!(
        app.member(&shop, "gold").await["balance"]["available"],
        24,
        "Gold Stars never expire"
    );

    let again = app.tick("2026-07-02T00:00:00Z").await;
    assert_eq!(
        again.expired_points, 0,
        "a second run expires nothing twice"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn coffee_redemption_spends_the_stars_that_expire_first() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.event(
        &shop,
        purchase("old", "ana", "30.00", "2026-01-10T17:00:00Z"),
    )
    .await;
    app.event(
        &shop,
        purchase("new", "ana", "30.00", "2026-03-10T17:00:00Z"),
    )
    .await;
    let burn = app
        .store(&shop, Method::POST, "/v1/members/ana/points/redeem")
        .header("idempotency-key", "b1")
        .json(&json!({"points": 25}))
        .send()
        .await
        .unwrap();
    assert_eq!(burn.status(), StatusCode::CREATED);
    let expired = app.tick("2026-08-01T04:00:00Z").await;
    assert_eq!(
        expired.expired_points, 5,
        "January's lot lost only what the redemption left"
    );
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn two_concurrent_ticks_expire_each_lot_once() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    for i in 0..20 {
        let member = format!("m{i}");
        app.enrol(&shop, &member).await;
        app.event(
            &shop,
            purchase(&format!("p{i}"), &member, "10.00", "2025-12-15T17:00:00Z"),
        )
        .await;
    }
    let at = chrono::DateTime::parse_from_rfc3339("2026-07-02T00:00:00Z")
        .unwrap()
        .naive_utc();
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let db = app.db.clone();
            tokio::task::spawn_blocking(move || {
                fidelio::jobs::tick(&mut db.get().unwrap(), at).unwrap()
            })
        })
        .collect();
    let mut expired = 0;
    for run in runs {
        expired += run.await.unwrap().expired_points;
    }
    assert_eq!(expired, 200);
    for i in 0..20 {
        assert_eq!(
            ledger_kinds(&app, &shop, &format!("m{i}")).await.len(),
            2,
            "one expire entry for m{i}"
        );
    }
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn beauty_360_in_store_on_1_june_2026_is_vib_through_2027_and_insider_on_1_january_2028() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    assert_eq!(
        app.member(&shop, "bea").await["tier"]["next"]["summary"],
        "350.00 more spend to VIB"
    );
    let outcome = app
        .event(
            &shop,
            purchase("p1", "bea", "360.00", "2026-06-01T19:00:00Z"),
        )
        .await;
    assert_eq!(outcome["points_awarded"], 360);
    assert_eq!(outcome["tier"]["name"], "VIB");
    assert_eq!(outcome["tier"]["held_through"], "2027-12-31");

    assert_eq!(app.tick("2027-01-01T08:00:00Z").await.tier_downgrades, 0);
    assert_eq!(app.tick("2027-12-31T20:00:00Z").await.tier_downgrades, 0);
    assert_eq!(app.member(&shop, "bea").await["tier"]["name"], "VIB");
    let new_year = app.tick("2028-01-01T08:00:00Z").await;
    assert_eq!(new_year.tier_downgrades, 1);
    assert_eq!(app.member(&shop, "bea").await["tier"]["name"], "Insider");
}

#[tokio::test]
async fn beauty_a_refund_below_the_threshold_does_not_downgrade_before_the_window_closes() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    app.event(&shop, json!({"type": "purchase", "id": "p1", "member": "bea", "amount": "360.00", "order_id": "O-1",
        "occurred_at": "2026-06-01T19:00:00Z"})).await;
    let refund = app
        .event(&shop, json!({"type": "refund", "id": "r1", "member": "bea", "amount": "100.00", "order_id": "O-1",
            "occurred_at": "2026-06-10T19:00:00Z"}))
        .await;
    assert_eq!(refund["tier"]["name"], "VIB", "no downgrade at the refund");
    assert_eq!(
        refund["tier"]["held_through"], "2026-12-31",
        "held only to the end of the window now"
    );
    assert_eq!(
        app.member(&shop, "bea").await["tier"]["next"]["summary"],
        "740.00 more spend to Rouge"
    );

    assert_eq!(app.tick("2026-12-31T20:00:00Z").await.tier_downgrades, 0);
    assert_eq!(app.tick("2027-01-01T08:00:00Z").await.tier_downgrades, 1);
    assert_eq!(app.member(&shop, "bea").await["tier"]["name"], "Insider");
}

#[tokio::test]
async fn coffee_a_refund_below_500_stars_keeps_gold_until_the_hold_ends() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.event(&shop, json!({"type": "purchase", "id": "p1", "member": "ana", "amount": "500.00", "order_id": "O-1",
        "occurred_at": "2026-02-01T15:00:00Z"})).await;
    let refund = app
        .event(&shop, json!({"type": "refund", "id": "r1", "member": "ana", "amount": "100.00", "order_id": "O-1",
            "occurred_at": "2026-02-02T15:00:00Z"}))
        .await;
    assert_eq!(refund["tier"]["name"], "Gold");
    assert_eq!(app.tick("2027-01-31T15:00:00Z").await.tier_downgrades, 0);
    assert_eq!(app.tick("2027-02-01T15:00:00Z").await.tier_downgrades, 1);
    assert_eq!(app.member(&shop, "ana").await["tier"]["name"], "Green");
}

#[tokio::test]
async fn beauty_a_balance_expires_after_18_months_without_purchase_or_redemption() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    app.event(
        &shop,
        purchase("p1", "bea", "80.00", "2025-01-10T19:00:00Z"),
    )
    .await;
    app.event(&shop, json!({"type": "review", "id": "rv", "member": "bea", "occurred_at": "2026-01-10T19:00:00Z"})).await;
    assert_eq!(
        app.tick("2026-07-10T18:00:00Z").await.expired_points,
        0,
        "a review is not activity; 18 months not yet over"
    );
    let lapsed = app.tick("2026-07-10T20:00:00Z").await;
    assert_eq!(lapsed.expired_points, 85);
    assert_eq!(app.member(&shop, "bea").await["balance"]["available"], 0);
    assert_eq!(app.tick("2026-08-01T00:00:00Z").await.expired_points, 0);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn birthday_rewards_are_granted_once_a_year_on_the_day_in_program_time() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    for (id, birthday) in [
        ("green", "1990-03-14"),
        ("gold", "1985-03-14"),
        ("later", "1990-03-20"),
    ] {
        let response = app
            .store(&shop, Method::POST, "/v1/members")
            .json(&json!({"external_id": id, "birthday": birthday}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    set_tier(&app, &shop, "gold", "Gold").await;
    // Members enrolled after this year's birthday first celebrate next year.
    // 14 March 2027 is also the day New York moves its clocks forward (at 02:00).
    let ny_evening_before = app.tick("2027-03-14T04:59:00Z").await;
    assert_eq!(
        ny_evening_before.birthday_grants, 0,
        "still 13 March in New York"
    );
    let on_the_day = app.tick("2027-03-14T05:00:00Z").await;
    assert_eq!(on_the_day.birthday_grants, 2);
    assert_eq!(
        app.tick("2027-03-15T12:00:00Z").await.birthday_grants,
        0,
        "once a year"
    );

    let db = app.db.clone();
    let grants: Vec<(i32, String, chrono::NaiveDateTime)> =
        tokio::task::spawn_blocking(move || {
            use diesel::prelude::*;
            use fidelio::db::schema::birthday_grants::dsl::*;
            birthday_grants
                .order(id)
                .select((year, reward, valid_until))
                .load(&mut **db.get().unwrap())
                .unwrap()
        })
        .await
        .unwrap();
    assert_eq!(grants[0].1, "birthday-treat");
    assert_eq!(grants[0].0, 2027);
    assert_eq!(
        grants[0].2.and_utc().to_rfc3339(),
        "2027-03-15T04:00:00+00:00",
        "Green: valid 1 day"
    );
    assert_eq!(
        grants[1].2.and_utc().to_rfc3339(),
        "2027-03-21T04:00:00+00:00",
        "Gold: valid 7 days"
    );
    assert_eq!(
        app.tick("2028-03-14T12:00:00Z").await.birthday_grants,
        2,
        "and again the next year"
    );
}

#[tokio::test]
async fn review_limits_count_days_in_program_time_across_a_daylight_saving_change() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(beauty::config()).await;
    app.enrol(&shop, "bea").await;
    // 8 March 2026: clocks in Los Angeles go forward at 02:00; the day has 23 hours.
    let mut earned = Vec::new();
    for (i, at) in [
        "2026-03-08T08:30:00Z", // 00:30 PST, 8 March
        "2026-03-08T09:30:00Z",
        "2026-03-08T11:00:00Z", // 04:00 PDT
        "2026-03-08T20:00:00Z",
        "2026-03-09T06:59:00Z", // 23:59 PDT, still 8 March
        "2026-03-09T07:01:00Z", // 00:01 PDT, 9 March
    ]
    .iter()
    .enumerate()
    {
        let outcome = app.event(&shop, json!({"type": "review", "id": format!("r{i}"), "member": "bea", "occurred_at": at})).await;
        earned.push(outcome["points_awarded"].as_i64().unwrap());
    }
    assert_eq!(
        earned,
        [5, 5, 5, 5, 5, 5],
        "five on 8 March, the sixth on 9 March"
    );
    let sixth_same_day = app.event(&shop, json!({"type": "review", "id": "r9", "member": "bea", "occurred_at": "2026-03-09T06:00:00Z"})).await;
    assert_eq!(
        sixth_same_day["points_awarded"], 0,
        "a sixth review on 8 March"
    );
}

#[tokio::test]
async fn tier_ladders_are_validated_and_admins_can_read_them() {
    let app = TestApp::spawn().await;
    app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    let ladder = body(
        app.request(Method::GET, "/v1/admin/programs/coffee/tiers")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ladder["levels"][1]["name"], "Gold");
    let mut bad = ladder.clone();
    bad["levels"][2]["threshold"] = json!("100");
    let refused = app
        .request(Method::PUT, "/v1/admin/programs/coffee/tiers")
        .bearer_auth(&admin)
        .json(&bad)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(
        refused,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "levels[2].threshold");
    let unknown = app
        .request(Method::POST, "/v1/admin/programs/coffee/members/x/tier")
        .bearer_auth(&admin)
        .json(&json!({"tier": "Platinum", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(unknown, StatusCode::NOT_FOUND, "not-found").await;
}

#[tokio::test]
async fn a_lifetime_ladder_is_never_lost() {
    let app = TestApp::spawn().await;
    let shop = app.shop("club").await;
    let admin = app.admin_token().await;
    let ladder = json!({"metric": {"type": "points_earned"}, "window": {"type": "lifetime"},
                        "levels": [{"name": "Member", "threshold": "0"}, {"name": "Friend", "threshold": "100"}]});
    let set = app
        .request(Method::PUT, "/v1/admin/programs/club/tiers")
        .bearer_auth(&admin)
        .json(&ladder)
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    app.create_rule(
        &admin,
        "club",
        &json!({"slug": "earn", "name": "Earn", "event_type": "purchase",
        "effects": [{"type": "points_per_amount", "rate": "1"}]}),
    )
    .await;
    app.enrol(&shop, "ana").await;
    let outcome = app.event(&shop, json!({"type": "purchase", "id": "p", "member": "ana", "amount": "150.00", "occurred_at": "2020-01-01T00:00:00Z"})).await;
    assert_eq!(outcome["tier"]["name"], "Friend");
    assert!(outcome["tier"]["held_until"].is_null(), "held for good");
    assert_eq!(app.tick("2030-01-01T00:00:00Z").await.tier_downgrades, 0);
    assert_eq!(app.member(&shop, "ana").await["tier"]["name"], "Friend");
}

/// Tier measures read from the monthly totals and the single activities of one month equal
/// the plain sums over every activity, for spans that start anywhere: at a month's first
/// instant, at an activity's own instant, between two in one microsecond.
#[tokio::test]
async fn tier_sums_from_monthly_totals_equal_the_sums_of_every_activity() {
    use chrono::{Duration, NaiveDate, NaiveDateTime};
    use fidelio::db::models::tiers::Sums;
    use fidelio::db::models::tiers::{self, Spans};

    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    let member = app.member_row(&shop, "ana").await;
    let start = NaiveDate::from_ymd_opt(2024, 11, 30)
        .unwrap()
        .and_hms_opt(23, 0, 0)
        .unwrap();
    // A fixed pseudo-random walk over three years: instants to the microsecond, refunds among
    // the amounts, several activities in some microseconds and none in some months.
    let mut seed: u64 = 0x5EED;
    let mut next = move |bound: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % bound
    };
    let mut at = start;
    let mut activity: Vec<(NaiveDateTime, i64)> = Vec::new();
    for _ in 0..600 {
        let gap = match next(10) {
            0 => 0,
            1 => 40 * 86_400_000_000,
            _ => next(4 * 86_400_000_000),
        };
        at += Duration::microseconds(i64::try_from(gap).unwrap());
        let amount = i64::try_from(next(20_000)).unwrap() - 3_000;
        activity.push((at, amount));
    }
    let mut instants: Vec<NaiveDateTime> = activity.iter().map(|(at, _)| *at).collect();
    instants.extend(
        activity
            .iter()
            .map(|(at, _)| *at - Duration::microseconds(1)),
    );
    instants.extend(activity.iter().map(|(at, _)| tiers::month_of(*at)));
    instants.push(start - Duration::days(400));
    instants.push(at + Duration::days(40));
    let written = activity.clone();
    let member_id = member.id;
    let sums: Vec<(Sums, Sums)> = app
        .with_db(move |conn| {
            for chunk in written.chunks(100) {
                for write in tiers::add_activity(member_id, chunk, None) {
                    diesel::RunQueryDsl::execute(write, &mut **conn).unwrap();
                }
            }
            let mut pick = {
                let mut seed: u64 = 7;
                move || {
                    seed = seed
                        .wrapping_mul(6_364_136_223_846_793_005)
                        .wrapping_add(1_442_695_040_888_963_407);
                    instants[usize::try_from((seed >> 33) % instants.len() as u64).unwrap()]
                }
            };
            (0..300)
                .map(|_| {
                    let (a, b) = (pick(), pick());
                    let spans = Spans {
                        window_from: pick(),
                        qualified_at: Some(pick()),
                        last_year: Some((a.min(b), a.max(b))),
                        after: Some(pick()),
                    };
                    let read = tiers::sums(conn, member_id, &spans).unwrap();
                    let sum = |keep: &dyn Fn(NaiveDateTime) -> bool| -> i64 {
                        activity
                            .iter()
                            .filter(|(at, _)| keep(*at))
                            .map(|(_, amount)| amount)
                            .sum()
                    };
                    let expected = Sums {
                        in_window: sum(&|at| at >= spans.window_from),
                        since_qualified: sum(&|at| Some(at) > spans.qualified_at),
                        last_year: sum(&|at| (a.min(b)..a.max(b)).contains(&at)),
                        after: sum(&|at| Some(at) > spans.after),
                    };
                    (read, expected)
                })
                .collect()
        })
        .await;
    for (read, expected) in sums {
        assert_eq!(read, expected);
    }
}

/// A member's lots, oldest first: points, what remains, and when they expire (RFC 3339).
async fn lots_of(app: &TestApp, shop: &Shop, member: &str) -> Vec<(i64, i64, String)> {
    use diesel::prelude::*;
    use fidelio::db::schema::lots;
    let member_id = app.member_row(shop, member).await.id;
    app.with_db(move |conn| {
        lots::table
            .filter(lots::member_id.eq(member_id))
            .order(lots::id)
            .select((lots::points, lots::remaining, lots::expires_at))
            .load::<(i64, i64, Option<chrono::NaiveDateTime>)>(&mut **conn)
            .unwrap()
            .into_iter()
            .map(|(points, remaining, expires)| {
                let expires = expires.map_or("never".to_owned(), |t| t.and_utc().to_rfc3339());
                (points, remaining, expires)
            })
            .collect()
    })
    .await
}

#[tokio::test]
async fn coffee_stars_kept_by_gold_get_a_full_term_when_the_hold_ends_instead_of_expiring_at_once()
{
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    // 500 Stars reach Gold, held until 10 November 2026; as Gold a purchase earns x1.2.
    let gold = app
        .event(
            &shop,
            purchase("p1", "ana", "500.00", "2025-11-10T15:00:00Z"),
        )
        .await;
    assert_eq!(gold["tier"]["name"], "Gold");
    app.event(
        &shop,
        purchase("p2", "ana", "10.00", "2026-01-20T15:00:00Z"),
    )
    .await;
    app.event(
        &shop,
        purchase("p3", "ana", "20.00", "2026-10-05T15:00:00Z"),
    )
    .await;
    assert_eq!(
        lots_of(&app, &shop, "ana").await,
        [
            (500, 500, "2026-06-01T04:00:00+00:00".to_owned()),
            (10, 10, "2026-08-01T04:00:00+00:00".to_owned()),
            (2, 2, "2026-08-01T04:00:00+00:00".to_owned()),
            (20, 20, "2027-05-01T04:00:00+00:00".to_owned()),
            (4, 4, "2027-05-01T04:00:00+00:00".to_owned()),
        ],
        "each lot (one per rule: the Stars, Gold's extra) on its own date, 7 months on"
    );
    for at in ["2026-06-02T00:00:00Z", "2026-08-02T00:00:00Z"] {
        assert_eq!(app.tick(at).await.expired_points, 0, "Gold keeps them");
    }

    // The hold ends: the rolling 12 months no longer hold the 500 Stars.
    let hold_end = app.tick("2026-11-11T15:00:00Z").await;
    assert_eq!(
        (hold_end.tier_downgrades, hold_end.expired_points),
        (1, 0),
        "downgraded, and nothing expires at once"
    );
    assert_eq!(app.member(&shop, "ana").await["tier"]["name"], "Green");
    // A full term from then: what a Star earned in November 2026 gets, 1 June 2027.
    let term = "2027-06-01T04:00:00+00:00".to_owned();
    assert_eq!(
        lots_of(&app, &shop, "ana").await,
        [500, 10, 2, 20, 4].map(|points| (points, points, term.clone()))
    );
    app.event(
        &shop,
        purchase("p4", "ana", "10.00", "2026-11-20T15:00:00Z"),
    )
    .await;
    assert_eq!(
        lots_of(&app, &shop, "ana").await[5..],
        [(10, 10, term)],
        "Green earns at x1 and the same date"
    );
    let spent = app
        .move_points(&shop, "ana", "redeem", "b1", json!({"points": 100}))
        .await;
    assert_eq!(spent.status, StatusCode::CREATED, "{}", spent.text);

    assert_eq!(app.tick("2027-06-01T03:59:59Z").await.expired_points, 0);
    let expired = app.tick("2027-06-01T04:00:00Z").await;
    assert_eq!(
        (expired.expired_members, expired.expired_points),
        (1, 446),
        "all the kept Stars the redemption left, and November's, together"
    );
    assert_eq!(
        ledger_kinds(&app, &shop, "ana").await[..2],
        [("expire".to_owned(), -446), ("redeem".to_owned(), -100)]
    );
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 0);
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn coffee_stars_kept_by_gold_get_a_full_term_when_an_admin_sets_a_lower_level() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    app.enrol(&shop, "ana").await;
    app.event(
        &shop,
        purchase("p1", "ana", "500.00", "2026-03-10T15:00:00Z"),
    )
    .await;
    assert_eq!(
        app.tick("2026-10-02T00:00:00Z").await.expired_points,
        0,
        "past the lot's date (1 October), but Gold"
    );

    let demoted_at = chrono::Utc::now();
    set_tier(&app, &shop, "ana", "Green").await;
    let after = app.tick(&demoted_at.to_rfc3339()).await;

    assert_eq!(after.expired_points, 0, "nothing expires at once");
    let term = fidelio::engine::expiry::ExpiryPolicy::LotMonths { months: 7 }
        .lot_expiry(chrono_tz::America::New_York, demoted_at.naive_utc())
        .unwrap();
    assert_eq!(
        lots_of(&app, &shop, "ana").await,
        [(500, 500, term.and_utc().to_rfc3339())],
        "a full term from the change"
    );
    let just_before = term - chrono::Duration::seconds(1);
    assert_eq!(
        app.tick(&just_before.and_utc().to_rfc3339())
            .await
            .expired_points,
        0
    );
    assert_eq!(
        app.tick(&term.and_utc().to_rfc3339()).await.expired_points,
        500
    );
    app.assert_ledger_verifies().await;
}

/// `fidelio tick --now <at>`, the binary on the app's database; its report.
async fn tick_command(app: &TestApp, at: &str) -> Value {
    let (url, at) = (app.database.url.clone(), at.to_owned());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_fidelio"))
            .env("DATABASE_URL", url)
            .env("FIDELIO_LOG", "warn")
            .args(["tick", "--now", &at])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (_, report) = stdout.split_once(": ").unwrap();
    serde_json::from_str(report.trim()).unwrap()
}

/// The birthday treats a member was given: the voucher's expiry and status, newest first.
async fn birthday_vouchers(app: &TestApp, shop: &Shop, member: &str) -> Vec<(String, String)> {
    let vouchers = body(
        app.store(
            shop,
            Method::GET,
            &format!("/v1/members/{member}/redemptions"),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    vouchers["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["source"] == "birthday")
        .map(|v| {
            (
                v["expires_at"].as_str().unwrap().to_owned(),
                v["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_birthday_the_runs_missed_is_still_granted_within_7_days_once_and_never_after() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    for (id, birthday) in [
        ("late", "1990-03-14"),
        ("too-late", "1990-03-13"),
        ("new-year", "1990-12-30"),
    ] {
        let response = app
            .store(&shop, Method::POST, "/v1/members")
            .json(&json!({"external_id": id, "birthday": birthday}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
    }

    // No run from 13 March 2030 until 21 March, 08:00 in New York: 14 March is 7 days back,
    // 13 March 8.
    let catch_up = tick_command(&app, "2030-03-21T12:00:00Z").await;
    assert_eq!(catch_up["birthday_grants"], 1, "{catch_up}");
    assert_eq!(
        app.tick("2030-03-21T12:05:00Z").await.birthday_grants,
        0,
        "not twice"
    );
    assert_eq!(
        birthday_vouchers(&app, &shop, "late").await,
        [("2030-03-22T04:00:00Z".to_owned(), "issued".to_owned())],
        "valid its day (Green), counted from the day it was granted"
    );
    // Across the new year: the 2030 birthday, granted on 2 January 2031.
    assert_eq!(app.tick("2031-01-02T17:00:00Z").await.birthday_grants, 1);
    assert_eq!(app.tick("2031-01-06T17:00:00Z").await.birthday_grants, 0);
    // A birthday past the grace is not granted late; the next one is, on its day.
    assert_eq!(app.tick("2031-03-13T12:00:00Z").await.birthday_grants, 1);
    assert_eq!(
        app.tick("2031-12-30T17:00:00Z").await.birthday_grants,
        1,
        "2031's 30 December; not 14 March, whose runs were all missed"
    );

    let mut granted = Vec::new();
    for member in ["late", "too-late", "new-year"] {
        let member_id = app.member_row(&shop, member).await.id;
        let years: Vec<i32> = app
            .with_db(move |conn| {
                use diesel::prelude::*;
                use fidelio::db::schema::birthday_grants as grants;
                grants::table
                    .filter(grants::member_id.eq(member_id))
                    .order(grants::year)
                    .select(grants::year)
                    .load(&mut **conn)
                    .unwrap()
            })
            .await;
        granted.push((member, years));
    }
    assert_eq!(
        granted,
        [
            ("late", vec![2030]),
            ("too-late", vec![2031]),
            ("new-year", vec![2030, 2031])
        ]
    );
    assert_eq!(birthday_vouchers(&app, &shop, "new-year").await.len(), 2);
}
