//! Members, points and vouchers moved by keys and admins in the audit log: each once, with the
//! balance before and after, nothing for a replay, a refusal or a member's own action, and no
//! personal data.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{actions, as_admin, audit, one, sent};
use crate::helpers::TestApp;

#[tokio::test]
async fn members_points_and_vouchers_moved_by_keys_are_audited_once() {
    let app = TestApp::spawn().await;
    let shop = app.shop("coffee").await;
    let admin = app.admin_token().await;
    let mug = json!({"slug": "mug", "name": "Mug", "cost": 30, "kind": "gift"});
    as_admin(
        &app,
        &admin,
        Method::POST,
        "/v1/admin/programs/coffee/rewards",
        Some(mug),
    )
    .send()
    .await
    .unwrap();
    let setup = audit(&app, &admin, "").await.len();
    let store = |method, path: &str, key: &str| {
        app.store(&shop, method, path)
            .header("idempotency-key", key)
    };
    let ana = json!({"external_id": "ana", "email": "ana@example.com", "name": "Ana Lima",
                     "birthday": "1990-05-17"});
    let (enrolled, _) = sent(
        store(Method::POST, "/v1/members", "e-1").json(&ana),
        StatusCode::CREATED,
    )
    .await;
    sent(
        store(Method::POST, "/v1/members", "e-1").json(&ana),
        StatusCode::CREATED,
    )
    .await;
    sent(
        store(Method::POST, "/v1/members", "e-2").json(&ana),
        StatusCode::CONFLICT,
    )
    .await;
    app.give(&shop, "ana", 100).await;
    let burn = json!({"points": 10, "order_id": "o-1"});
    let redeem = "/v1/members/ana/points/redeem";
    let (burnt, _) = sent(
        store(Method::POST, redeem, "r-1").json(&burn),
        StatusCode::CREATED,
    )
    .await;
    let too_many = json!({"points": 1000});
    sent(
        store(Method::POST, redeem, "r-2").json(&too_many),
        StatusCode::CONFLICT,
    )
    .await;

    let redemptions = "/v1/members/ana/redemptions";
    let reward = json!({"reward": "mug"});
    let (redeemed, voucher) = sent(
        store(Method::POST, redemptions, "v-1").json(&reward),
        StatusCode::CREATED,
    )
    .await;
    sent(
        store(Method::POST, redemptions, "v-1").json(&reward),
        StatusCode::CREATED,
    )
    .await;
    let used_path = format!("/v1/redemptions/{}/use", voucher["id"].as_str().unwrap());
    let order = json!({"order_id": "o-2"});
    let (used, _) = sent(
        store(Method::POST, &used_path, "u-1").json(&order),
        StatusCode::OK,
    )
    .await;
    sent(
        store(Method::POST, &used_path, "u-2").json(&order),
        StatusCode::CONFLICT,
    )
    .await;
    let (_, second) = sent(
        store(Method::POST, redemptions, "v-2").json(&reward),
        StatusCode::CREATED,
    )
    .await;
    let cancel_path = format!("/v1/redemptions/{}/cancel", second["id"].as_str().unwrap());
    let (cancelled, _) = sent(store(Method::POST, &cancel_path, "c-1"), StatusCode::OK).await;
    // What a member does in the app is the member's, not an admin's or a key's: not audited.
    let token = app.member_token(&shop, "ana").await;
    let own = app
        .request(Method::POST, "/v1/me/redemptions")
        .bearer_auth(&token)
        .json(&reward);
    sent(own, StatusCode::CREATED).await;

    let rows = audit(&app, &admin, "").await;
    assert_eq!(
        actions(&rows[..rows.len() - setup]),
        [
            "voucher.cancel",
            "reward.redeem",
            "voucher.use",
            "reward.redeem",
            "points.redeem",
            "points.adjust",
            "member.enrol",
        ],
        "once each: nothing for replays, refusals or the member's own redemption"
    );
    assert!(
        rows[..rows.len() - setup]
            .iter()
            .all(|r| r["actor_label"] == "test storefront")
    );
    let row = one(&rows, "member.enrol", &enrolled);
    assert_eq!(
        (row["subject"].clone(), row["before"].clone()),
        (json!("ana"), Value::Null)
    );
    assert_eq!(row["after"]["status"], "active");
    let row = one(&rows, "points.redeem", &burnt);
    assert_eq!(row["before"]["balance"]["available"], 100);
    assert_eq!(row["after"]["balance"]["available"], 90);
    assert_eq!(row["after"]["entry"]["points"], -10);
    let redeemed_rows: Vec<&Value> = rows
        .iter()
        .filter(|r| r["action"] == "reward.redeem")
        .collect();
    let row = redeemed_rows[1];
    assert_eq!(
        (row["request_id"].as_str(), row["subject"].as_str()),
        (Some(redeemed.as_str()), Some("ana"))
    );
    assert_eq!(row["before"]["balance"]["available"], 90);
    assert_eq!(row["after"]["balance"]["available"], 60);
    assert_eq!(row["after"]["voucher"]["id"], voucher["id"]);
    assert_eq!(row["after"]["voucher"]["reward"], "mug");
    let row = one(&rows, "voucher.use", &used);
    assert_eq!(row["subject"], voucher["id"]);
    assert_eq!(
        (
            row["before"]["status"].clone(),
            row["after"]["status"].clone()
        ),
        (json!("issued"), json!("used"))
    );
    assert_eq!(row["after"]["order_id"], "o-2");
    let row = one(&rows, "voucher.cancel", &cancelled);
    assert_eq!(row["subject"], "ana");
    assert_eq!(row["before"]["balance"]["available"], 30);
    assert_eq!(row["after"]["balance"]["available"], 60);
    assert_eq!(row["after"]["voucher"]["status"], "cancelled");

    let log = serde_json::to_string(&rows).unwrap();
    for secret in [
        "ana@example.com",
        "Ana Lima",
        "1990-05-17",
        voucher["code"].as_str().unwrap(),
        &shop.key,
    ] {
        assert!(!log.contains(secret), "{secret} in the audit log");
    }
    app.assert_ledger_verifies().await;
}

#[tokio::test]
async fn a_tier_set_by_hand_and_badges_granted_to_members_are_audited() {
    let app = TestApp::spawn().await;
    let shop = app.shop("coffee").await;
    app.enrol(&shop, "ana").await;
    app.enrol(&shop, "bea").await;
    let admin = app.admin_token().await;
    let call = |method, path: &str, json| as_admin(&app, &admin, method, path, json);
    let p = "/v1/admin/programs/coffee";
    let ladder = json!({"metric": {"type": "qualifying_spend"}, "window": {"type": "calendar_year"},
        "levels": [{"name": "Member", "threshold": "0"}, {"name": "Gold", "threshold": "100"}]});
    sent(
        call(Method::PUT, &format!("{p}/tiers"), Some(ladder)),
        StatusCode::OK,
    )
    .await;
    let gold = json!({"tier": "Gold", "reason": "VIP"});
    let tier = format!("{p}/members/ana/tier");
    let (assigned, _) = sent(call(Method::POST, &tier, Some(gold)), StatusCode::OK).await;
    let platinum = json!({"tier": "Platinum", "reason": "VIP"});
    sent(
        call(Method::POST, &tier, Some(platinum)),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let badge = json!({"slug": "golden", "name": "Golden", "criterion": {"type": "tier", "tier": "Gold"},
                       "points": 5});
    sent(
        call(Method::POST, &format!("{p}/badges"), Some(badge)),
        StatusCode::CREATED,
    )
    .await;
    let grant = format!("{p}/badges/golden/grant");
    sent(
        call(Method::POST, &format!("{grant}?dry_run=true"), None),
        StatusCode::OK,
    )
    .await;
    let (granted, result) = sent(call(Method::POST, &grant, None), StatusCode::OK).await;
    assert_eq!(result["members"], 1);
    // Granting again grants nothing, and records nothing.
    sent(call(Method::POST, &grant, None), StatusCode::OK).await;

    let rows = audit(&app, &admin, "").await;
    assert_eq!(
        &actions(&rows)[..3],
        ["badge.grant", "badge.create", "tier.assign"]
    );
    let row = one(&rows, "tier.assign", &assigned);
    assert_eq!(row["subject"], "ana");
    assert_eq!(row["before"]["tier"], Value::Null);
    assert_eq!(row["after"]["tier"], "Gold");
    let row = one(&rows, "badge.grant", &granted);
    assert_eq!(row["subject"], "ana");
    assert_eq!(row["before"]["levels"], json!([]));
    assert_eq!(
        row["after"],
        json!({"badge": "golden", "levels": [1], "progress": row["after"]["progress"], "points": 5})
    );
    app.assert_ledger_verifies().await;
}
