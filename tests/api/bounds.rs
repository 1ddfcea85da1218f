//! Every number bounded where it comes in: the findings of an outside probe (amounts, prices,
//! rates and reward amounts near 10^28; a rule that made every purchase fail; a huge point
//! value; adjustments of 2^63-1 that broke the summary and the liability for good), each
//! answered 422 naming the field and writing nothing; the largest numbers allowed keep every
//! read answering; and random exotic numbers in event and rule bodies never get a 5xx.

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::RunQueryDsl;
use fidelio::domain::bounds::{
    MAX_COUNT, MAX_DAYS, MAX_MONEY, MAX_POINTS, MAX_PRIORITY, MAX_STOCK, MAX_TOTAL,
};
use futures_util::future::join_all;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Shop, TestApp, assert_invalid, body};

/// An admin session on one program with an all-scopes key, and a member `m`.
struct Program {
    app: TestApp,
    shop: Shop,
    admin: String,
}

impl Program {
    async fn new() -> Program {
        let app = TestApp::spawn().await;
        let shop = app.shop("shop").await;
        let admin = app.admin_token().await;
        app.enrol(&shop, "m").await;
        Program { app, shop, admin }
    }

    /// An admin request under the program's path (`""` for the program itself).
    async fn admin(&self, method: Method, path: &str, json_body: Value) -> (StatusCode, Value) {
        let url = format!("/v1/admin/programs/{}{path}", self.shop.slug);
        let mut request = self.app.request(method, &url).bearer_auth(&self.admin);
        if !json_body.is_null() {
            request = request.json(&json_body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, body(response).await)
    }

    async fn get(&self, path: &str) -> Value {
        let (status, answer) = self.admin(Method::GET, path, Value::Null).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {answer}");
        answer
    }

    async fn event(&self, event: Value) -> reqwest::Response {
        self.app
            .store(&self.shop, Method::POST, "/v1/events")
            .json(&event)
            .send()
            .await
            .unwrap()
    }

    async fn adjust(&self, member: &str, points: Value) -> reqwest::Response {
        self.app
            .points(
                &self.shop,
                member,
                "adjust",
                Some(&uuid::Uuid::new_v4().to_string()),
                &json!({"points": points, "reason": "probe"}),
            )
            .send()
            .await
            .unwrap()
    }
}

fn purchase(id: &str, amount: &str) -> Value {
    json!({"type": "purchase", "id": id, "member": "m", "amount": amount})
}

#[tokio::test]
async fn event_amounts_prices_and_quantities_past_their_bounds_are_refused_and_record_nothing() {
    let p = Program::new().await;
    let item =
        |price: &str, quantity: u64| json!({"sku": "s", "quantity": quantity, "unit_price": price});
    let cases = [
        (purchase("e1", "1e28"), "amount"),
        (purchase("e2", "79228162514264337593543950335"), "amount"),
        (purchase("e3", "1000000000.01"), "amount"),
        (
            json!({"type": "purchase", "id": "e4", "member": "m", "amount": "10", "shipping": "1e28"}),
            "shipping",
        ),
        (
            json!({"type": "purchase", "id": "e5", "member": "m", "amount": "10",
                   "items": [item("1.00", 1), item("2.00", 1), item("1e28", 1)]}),
            "items[2].unit_price",
        ),
        (
            json!({"type": "purchase", "id": "e6", "member": "m", "amount": "10",
                   "items": [item("1.00", 1_000_001)]}),
            "items[0].quantity",
        ),
        (
            json!({"type": "purchase", "id": "e7", "member": "m", "amount": "10",
                   "items": [item("1.00", u64::from(u32::MAX) + 1)]}),
            "items[0].quantity",
        ),
        (
            json!({"type": "purchase", "id": "e8", "member": "m", "amount": "10",
                   "items": [item("1000000000", 2)]}),
            "items[0]",
        ),
        (
            json!({"type": "purchase", "id": "e9", "member": "m", "amount": "10",
                   "items": [item("600000000", 1), item("600000000", 1)]}),
            "items",
        ),
        (
            json!({"type": "purchase", "id": "e10", "member": "m", "amount": "1",
                   "occurred_at": "-200000-01-01T00:00:00Z"}),
            "occurred_at",
        ),
    ];
    for (event, field) in cases {
        let id = event["id"].as_str().unwrap().to_owned();
        assert_invalid(p.event(event).await, field).await;
        let stored = p
            .app
            .store(&p.shop, Method::GET, &format!("/v1/events/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            stored.status(),
            StatusCode::NOT_FOUND,
            "{id} was not recorded"
        );
    }
    let largest = p.event(purchase("largest", &MAX_MONEY.to_string())).await;
    assert_eq!(largest.status(), StatusCode::CREATED);
    let summary = p.get("/analytics/summary").await;
    assert_eq!(summary["figures"]["purchases"]["value"], 1);
    assert_eq!(summary["figures"]["revenue"]["value"], "1000000000.00");
}

#[tokio::test]
async fn a_rule_with_a_huge_rate_is_refused_and_the_programs_purchases_still_earn() {
    let p = Program::new().await;
    let base = json!({"slug": "base", "name": "Points per dollar", "event_type": "purchase",
        "effects": [{"type": "points_per_amount", "rate": "1"}]});
    let (status, _) = p.admin(Method::POST, "/rules", base).await;
    assert_eq!(status, StatusCode::CREATED);
    let huge = |effect: Value| json!({"slug": "huge", "name": "Huge", "event_type": "purchase", "effects": [effect]});
    let cases = [
        (
            json!({"type": "points_per_amount", "rate": "1e28"}),
            "effects[0].rate",
        ),
        (
            json!({"type": "points_per_amount", "rate": "1", "per": "1e-28"}),
            "effects[0].per",
        ),
        (
            json!({"type": "fixed_points", "points": i64::MAX}),
            "effects[0].points",
        ),
        (
            json!({"type": "multiplier", "factor": "1e28"}),
            "effects[0].factor",
        ),
        (
            json!({"type": "referral_bonus", "referrer_points": i64::MAX, "member_points": i64::MAX}),
            "effects[0].referrer_points",
        ),
    ];
    for (effect, field) in cases {
        let url = format!("/v1/admin/programs/{}/rules", p.shop.slug);
        let response = p
            .app
            .request(Method::POST, &url)
            .bearer_auth(&p.admin)
            .json(&huge(effect))
            .send()
            .await
            .unwrap();
        assert_invalid(response, field).await;
    }
    // Changing the saved rule to a huge rate is refused too, and keeps its version.
    let url = format!("/v1/admin/programs/{}/rules/base", p.shop.slug);
    let response = p
        .app
        .request(Method::PUT, &url)
        .bearer_auth(&p.admin)
        .json(
            &json!({"name": "Points per dollar", "event_type": "purchase",
            "effects": [{"type": "points_per_amount", "rate": "1e28"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_invalid(response, "effects[0].rate").await;
    let rules = p.get("/rules").await;
    assert_eq!(rules["data"].as_array().unwrap().len(), 1, "{rules}");
    assert_eq!(p.get("/rules/base").await["version"], 1);
    let outcome = body(p.event(purchase("after", "25.40")).await).await;
    assert_eq!(outcome["points_awarded"], 25, "{outcome}");
    p.app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn a_rule_stored_before_its_bound_is_left_out_and_the_other_rules_still_earn() {
    let p = Program::new().await;
    for (slug, rate) in [("base", "1"), ("stale", "2")] {
        let rule = json!({"slug": slug, "name": slug, "event_type": "purchase",
            "effects": [{"type": "points_per_amount", "rate": rate}]});
        let (status, answer) = p.admin(Method::POST, "/rules", rule).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    // As an older release could have saved it, before rates were bounded.
    p.app
        .with_db(|conn| {
            diesel::sql_query(
                "UPDATE rule_versions SET definition = REPLACE(definition, '\"2\"', '\"1e28\"') \
                 WHERE rule_id = (SELECT id FROM rules WHERE slug = 'stale')",
            )
            .execute(&mut **conn)
        })
        .await
        .unwrap();
    let outcome = body(p.event(purchase("after", "25.40")).await).await;
    assert_eq!(outcome["points_awarded"], 25, "{outcome}");
    p.app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn reward_and_game_numbers_past_their_bounds_are_refused_naming_the_field() {
    let p = Program::new().await;
    let reward = |extra: Value| {
        let mut reward = json!({"slug": "r", "name": "R", "kind": "fixed_discount", "cost": 10, "amount": "5.00"});
        reward
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        reward
    };
    let badge = |extra: Value| {
        let mut badge = json!({"slug": "b", "name": "B",
            "criterion": {"type": "event_sum", "event_type": "purchase"}, "threshold": "10.00"});
        badge
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        badge
    };
    let challenge = |goal: Value, reward: Value| {
        json!({"slug": "c", "name": "C", "goal": goal,
            "window": {"type": "recurring", "every": "week"}, "reward": reward})
    };
    let count =
        |target: Value| json!({"type": "count", "target": target, "event_type": "purchase"});
    let cases = [
        ("/rewards", reward(json!({"amount": "1e28"})), "amount"),
        ("/rewards", reward(json!({"cost": i64::MAX})), "cost"),
        ("/rewards", reward(json!({"stock": i64::MAX})), "stock"),
        (
            "/rewards",
            reward(json!({"per_member_limit": {"count": i32::MAX, "per": "day"}})),
            "per_member_limit.count",
        ),
        (
            "/rewards",
            reward(json!({"active_from": "-200000-01-01T00:00:00Z"})),
            "active_from",
        ),
        ("/badges", badge(json!({"points": i64::MAX})), "points"),
        ("/badges", badge(json!({"threshold": "1e28"})), "threshold"),
        (
            "/badges",
            badge(
                json!({"threshold": null, "levels": [{"name": "gold", "threshold": "10", "points": i64::MAX}]}),
            ),
            "levels[0].points",
        ),
        (
            "/challenges",
            challenge(count(json!(1_000_001)), json!({})),
            "goal.target",
        ),
        (
            "/challenges",
            challenge(
                json!({"type": "sum", "target": "1e28", "event_type": "purchase"}),
                json!({}),
            ),
            "goal.target",
        ),
        (
            "/challenges",
            challenge(count(json!(3)), json!({"points": i64::MAX})),
            "reward.points",
        ),
        (
            "/rules/preview",
            json!({"event": purchase("x", "1.00"), "hypothetical_member": {"tier_multiplier": "1e28"}}),
            "hypothetical_member.tier_multiplier",
        ),
    ];
    for (path, request, field) in cases {
        let url = format!("/v1/admin/programs/{}{path}", p.shop.slug);
        let response = p
            .app
            .request(Method::POST, &url)
            .bearer_auth(&p.admin)
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_invalid(response, field).await;
    }
    for kind in ["rewards", "badges", "challenges"] {
        let list = p.get(&format!("/{kind}")).await;
        assert_eq!(list["data"], json!([]), "no {kind} saved");
    }
    let ladder = |threshold: &str, multiplier: &str| {
        json!({"metric": {"type": "qualifying_spend"}, "window": {"type": "calendar_year"},
            "levels": [{"name": "A", "threshold": "0"},
                       {"name": "B", "threshold": threshold, "multiplier": multiplier}]})
    };
    let program_cases = [
        (
            Method::PUT,
            "/tiers",
            ladder("1e28", "2"),
            "levels[1].threshold",
        ),
        (
            Method::PUT,
            "/tiers",
            ladder("500", "1e28"),
            "levels[1].multiplier",
        ),
        (
            Method::PATCH,
            "",
            json!({"point_value": "1e28"}),
            "point_value",
        ),
        (
            Method::PATCH,
            "",
            json!({"analytics": {"program_cost_per_month": "1e28", "attributed_revenue_share": "0.5"}}),
            "analytics.program_cost_per_month",
        ),
        (
            Method::PATCH,
            "",
            json!({"birthday": {"reward": "r", "validity": {"type": "days", "days": u32::MAX}}}),
            "birthday.validity.days",
        ),
    ];
    for (method, path, request, field) in program_cases {
        let url = format!("/v1/admin/programs/{}{path}", p.shop.slug);
        let response = p
            .app
            .request(method, &url)
            .bearer_auth(&p.admin)
            .json(&request)
            .send()
            .await
            .unwrap();
        assert_invalid(response, field).await;
    }
    let program = p.get("").await;
    assert_eq!(program["point_value"], "0.01", "{program}");
    assert_eq!(program["has_tiers"], false, "{program}");
}

#[tokio::test]
async fn a_huge_point_value_is_refused_and_the_largest_keeps_the_analytics_answering() {
    let p = Program::new().await;
    let response = p
        .app
        .request(Method::POST, "/v1/admin/programs")
        .bearer_auth(&p.admin)
        .json(&json!({"slug": "huge", "name": "Huge", "point_value": "1e28"}))
        .send()
        .await
        .unwrap();
    assert_invalid(response, "point_value").await;
    let (status, _) = p
        .admin(
            Method::PATCH,
            "",
            json!({"point_value": "1000", "analytics":
            {"program_cost_per_month": "1000000000", "attributed_revenue_share": "1"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        p.adjust("m", json!(MAX_POINTS)).await.status(),
        StatusCode::CREATED
    );
    let summary = p.get("/analytics/summary").await;
    assert_eq!(summary["figures"]["liability"]["value"], "1000000000000.00");
    let liability = p.get("/analytics/liability").await;
    assert_eq!(liability["value"], "1000000000000.00");
    for (query, field) in [("to=-200000-01-01", "to"), ("from=%2B20000-01-01", "from")] {
        let url = format!(
            "/v1/admin/programs/{}/analytics/summary?{query}",
            p.shop.slug
        );
        let response = p
            .app
            .request(Method::GET, &url)
            .bearer_auth(&p.admin)
            .send()
            .await
            .unwrap();
        assert_invalid(response, field).await;
    }
}

#[tokio::test]
async fn the_largest_adjustments_to_several_members_keep_the_summary_and_liability_answering() {
    let p = Program::new().await;
    // The probe: two adjustments of 2^63-1 to two members.
    for points in [
        json!(i64::MAX),
        json!(i64::MIN),
        json!(MAX_POINTS + 1),
        json!(-MAX_POINTS - 1),
    ] {
        assert_invalid(p.adjust("m", points).await, "points").await;
    }
    let redeem = p
        .app
        .points(
            &p.shop,
            "m",
            "redeem",
            Some("burn-huge"),
            &json!({"points": i64::MAX}),
        )
        .send()
        .await
        .unwrap();
    assert_invalid(redeem, "points").await;
    assert!(p.app.ledger(&p.shop, "m").await.is_empty());
    // The largest allowed, to eight members, three times each, all at once.
    let members: Vec<String> = (0..8).map(|i| format!("member-{i}")).collect();
    for member in &members {
        p.app.enrol(&p.shop, member).await;
    }
    let answers = join_all(
        members
            .iter()
            .cycle()
            .take(members.len() * 3)
            .map(|member| p.adjust(member, json!(MAX_POINTS))),
    )
    .await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::CREATED));
    let total = MAX_POINTS * 24;
    let summary = p.get("/analytics/summary").await;
    assert_eq!(summary["figures"]["points_issued"]["value"], total);
    assert_eq!(summary["figures"]["points_outstanding"]["value"], total);
    assert_eq!(summary["figures"]["liability"]["value"], "240000000.00");
    let liability = p.get("/analytics/liability").await;
    assert_eq!(liability["points"], total);
    for member in &members {
        let view = p.app.member(&p.shop, member).await;
        assert_eq!(view["balance"]["available"], MAX_POINTS * 3);
    }
    p.app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn what_an_events_rules_pay_is_capped_at_the_points_of_one_entry_under_concurrency() {
    let p = Program::new().await;
    for (slug, effects) in [
        (
            "rate",
            json!([{"type": "points_per_amount", "rate": "1000", "per": "0.01"},
                        {"type": "multiplier", "factor": "100"}]),
        ),
        (
            "fixed",
            json!([{"type": "fixed_points", "points": MAX_POINTS}]),
        ),
    ] {
        let rule =
            json!({"slug": slug, "name": slug, "event_type": "purchase", "effects": effects});
        let (status, answer) = p.admin(Method::POST, "/rules", rule).await;
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    let amount = MAX_MONEY.to_string();
    let answers = join_all((0..6).map(|i| p.event(purchase(&format!("big-{i}"), &amount)))).await;
    for answer in answers {
        assert_eq!(answer.status(), StatusCode::CREATED);
        let outcome = body(answer).await;
        assert_eq!(outcome["points_awarded"], MAX_POINTS, "{outcome}");
    }
    let view = p.app.member(&p.shop, "m").await;
    assert_eq!(view["balance"]["available"], MAX_POINTS * 6);
    let summary = p.get("/analytics/summary").await;
    assert_eq!(summary["figures"]["points_issued"]["value"], MAX_POINTS * 6);
    p.app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn the_openapi_document_states_the_bounds_the_service_enforces() {
    let app = TestApp::spawn().await;
    let document = body(
        app.request(Method::GET, "/openapi.json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    let schemas = &document["components"]["schemas"];
    let cases = [
        ("AdjustPoints", "points", -MAX_POINTS, MAX_POINTS),
        ("RedeemPoints", "points", 1, MAX_POINTS),
        ("Item", "quantity", 1, MAX_COUNT),
        ("Limit", "count", 1, MAX_COUNT),
        ("Limit", "points", 1, MAX_TOTAL),
        (
            "RuleDefinition",
            "priority",
            -i64::from(MAX_PRIORITY),
            i64::from(MAX_PRIORITY),
        ),
        ("RewardDefinition", "cost", 0, MAX_POINTS),
        ("RewardDefinition", "stock", 0, MAX_STOCK),
        ("RewardDefinition", "voucher_days", 1, MAX_DAYS),
        ("MemberLimit", "count", 1, MAX_COUNT),
        ("ChallengeReward", "points", 0, MAX_POINTS),
        ("LevelDefinition", "points", 0, MAX_POINTS),
        ("BadgeDefinition", "points", 0, MAX_POINTS),
    ];
    for (schema, field, min, max) in cases {
        let property = &schemas[schema]["properties"][field];
        assert_eq!(property["minimum"], min, "{schema}.{field}: {property}");
        assert_eq!(property["maximum"], max, "{schema}.{field}: {property}");
    }
}

/// A number as a client could send it, as raw JSON text: huge, negative, fractional, past
/// every integer type, or not a number at all; as a JSON number or as a decimal string.
fn exotic_number() -> impl Strategy<Value = String> {
    let raw = prop::sample::select(vec![
        "1e28",
        "-1e28",
        "1e999",
        "-1e999",
        "1e-30",
        "-0",
        "0",
        "0.5",
        "1",
        "2",
        "100",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "18446744073709551616",
        "4294967296",
        "2147483648",
        "1000000000",
        "1000000001",
        "1000000000000",
        "79228162514264337593543950335",
        "null",
        "true",
        "[]",
        "{}",
    ]);
    let text = prop::sample::select(vec![
        "1e28",
        "-0",
        "1e-30",
        "1e999",
        "NaN",
        "Infinity",
        "",
        "1e27",
        "5e26",
        "79228162514264337593543950335",
        "79228162514264337593543950336",
        "0.0000000000000000000000000001",
        "9223372036854775807",
        "1000000000",
        "1000000000.01",
        "1000",
        "100",
        "0.01",
        "12.50",
        " 7 ",
        "1_000",
        "0x10",
    ]);
    prop_oneof![
        2 => raw.prop_map(str::to_owned),
        3 => text.prop_map(|s| format!("\"{s}\"")),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_filter("JSON has no NaN or infinity", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
        2 => "[0-9]{1,29}(\\.[0-9]{1,29})?(e-?[0-9]{1,2})?".prop_map(|s| format!("\"{s}\"")),
    ]
}

/// What a case sends: the numbers, the shape of the event and of the rule's effect, and which
/// of the rule's optional parts (priority, condition, limits) it has.
type Case = (Vec<String>, usize, usize, [bool; 3]);

fn probes() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec(exotic_number(), 12),
        0..4_usize,
        0..7_usize,
        any::<[bool; 3]>(),
    )
}

static SEQUENCE: AtomicUsize = AtomicUsize::new(0);

fn event_body(n: &[String], shape: usize) -> String {
    let id = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let items = format!(
        r#"[{{"sku": "a", "quantity": {}, "unit_price": {}}}, {{"sku": "b", "quantity": 1, "unit_price": {}}}]"#,
        n[2], n[3], n[4]
    );
    match shape {
        0 => format!(
            r#"{{"type": "purchase", "id": "p{id}", "member": "m", "amount": {}}}"#,
            n[0]
        ),
        1 => format!(
            r#"{{"type": "purchase", "id": "p{id}", "member": "m", "amount": {}, "shipping": {}}}"#,
            n[0], n[1]
        ),
        2 => format!(
            r#"{{"type": "purchase", "id": "p{id}", "member": "m", "amount": "100", "items": {items}}}"#
        ),
        _ => format!(
            r#"{{"type": "review", "id": "p{id}", "member": "m", "properties": {{"rating": {}}}, "items": {items}}}"#,
            n[0]
        ),
    }
}

fn rule_body(n: &[String], shape: usize, parts: [bool; 3]) -> String {
    let id = SEQUENCE.fetch_add(1, Ordering::Relaxed);
    let effect = match shape {
        0 => format!(
            r#"{{"type": "points_per_amount", "rate": {}, "per": {}}}"#,
            n[5], n[6]
        ),
        1 => format!(r#"{{"type": "fixed_points", "points": {}}}"#, n[5]),
        2 => format!(r#"{{"type": "multiplier", "factor": {}}}"#, n[5]),
        3 => format!(
            r#"{{"type": "referral_bonus", "referrer_points": {}, "member_points": {}}}"#,
            n[5], n[6]
        ),
        4 => format!(r#"{{"type": "pending", "days": {}}}"#, n[5]),
        5 => format!(r#"{{"type": "points_per_amount", "rate": {}}}"#, n[5]),
        _ => format!(
            r#"{{"type": "points_per_amount", "rate": "1000", "per": "0.01"}}, {{"type": "multiplier", "factor": {}}}"#,
            n[5]
        ),
    };
    let mut rule = format!(
        r#"{{"slug": "r{id}", "name": "r", "event_type": "purchase", "effects": [{effect}]"#
    );
    if parts[0] {
        rule.push_str(&format!(r#", "priority": {}"#, n[7]));
    }
    if parts[1] {
        rule.push_str(&format!(
            r#", "conditions": [{{"field": "amount", "op": "gte", "value": {}}}]"#,
            n[8]
        ));
    }
    if parts[2] {
        rule.push_str(&format!(
            r#", "limits": [{{"per": "day", "count": {}, "points": {}}}]"#,
            n[9], n[10]
        ));
    }
    rule + "}"
}

/// Posts a raw JSON body; the status.
async fn post_raw(app: &TestApp, path: &str, auth: (&str, &str), raw: String) -> StatusCode {
    app.request(Method::POST, path)
        .header(auth.0, auth.1)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .unwrap()
        .status()
}

#[test]
fn exotic_numbers_in_event_and_rule_bodies_never_get_a_5xx() {
    let cases = std::env::var("FIDELIO_PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let p = runtime.block_on(async {
        let p = Program::new().await;
        // Rules that fire on every purchase, so that saved exotic rules stack with them.
        for rule in [
            json!({"slug": "base", "name": "base", "event_type": "purchase",
                "effects": [{"type": "points_per_amount", "rate": "1000", "per": "0.01"}]}),
            json!({"slug": "double", "name": "double", "event_type": "purchase",
                "effects": [{"type": "multiplier", "factor": "100"}, {"type": "tier_multiplier"}]}),
        ] {
            assert_eq!(
                p.admin(Method::POST, "/rules", rule).await.0,
                StatusCode::CREATED
            );
        }
        p
    });
    let key = p.shop.key.clone();
    let bearer = format!("Bearer {}", p.admin);
    let rules = format!("/v1/admin/programs/{}/rules", p.shop.slug);
    let preview = format!("{rules}/preview");
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        fork: false,
        timeout: 0,
        ..Config::default()
    });
    let result = runner.run(&probes(), |(n, event_shape, rule_shape, parts)| {
        runtime.block_on(async {
            let event = event_body(&n, event_shape);
            let status = post_raw(&p.app, "/v1/events", ("x-api-key", &key), event.clone()).await;
            prop_assert!(status.as_u16() < 500, "{status} for event {event}");
            let rule = rule_body(&n, rule_shape, parts);
            let status = post_raw(&p.app, &rules, ("authorization", &bearer), rule.clone()).await;
            prop_assert!(status.as_u16() < 500, "{status} for rule {rule}");
            let draft = format!(
                r#"{{"event": {}, "rules": [{}], "hypothetical_member": {{"tier": "x", "tier_multiplier": {}, "lifetime_earned": {}}}}}"#,
                event_body(&n, event_shape),
                rule_body(&n, rule_shape, parts),
                n[11],
                n[10]
            );
            let status = post_raw(&p.app, &preview, ("authorization", &bearer), draft.clone()).await;
            prop_assert!(status.as_u16() < 500, "{status} for preview {draft}");
            // Whatever was saved, purchases of the program still earn.
            let after = purchase(&format!("after-{}", SEQUENCE.fetch_add(1, Ordering::Relaxed)), "12.34");
            let status = post_raw(&p.app, "/v1/events", ("x-api-key", &key), after.to_string()).await;
            prop_assert_eq!(status, StatusCode::CREATED);
            Ok::<_, TestCaseError>(())
        })
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    runtime.block_on(async {
        for path in [
            "/analytics/summary",
            "/analytics/liability",
            "/analytics/engagement",
        ] {
            p.get(path).await;
        }
        p.app.assert_ledger_verifies().await;
    });
}
