//! Who may call what: admins, storefront keys, member tokens.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use diesel::RunQueryDsl;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    ADMIN_EMAIL, ADMIN_PASSWORD, ALL_SCOPES, JWT_SECRET, Shop, TestApp, assert_problem, body,
};
use fidelio::tools::demo::coffee;

#[tokio::test]
async fn an_admin_signs_in_and_a_wrong_password_is_401_problem() {
    let app = TestApp::spawn().await;
    let token = app.admin_token().await;
    let programs = app
        .request(Method::GET, "/v1/admin/programs")
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(programs.status(), StatusCode::OK);

    let wrong = app
        .request(Method::POST, "/v1/auth/login")
        .json(&json!({"email": ADMIN_EMAIL, "password": "not the password"}))
        .send()
        .await
        .unwrap();
    assert_problem(wrong, StatusCode::UNAUTHORIZED, "unauthorized").await;

    let unknown = app
        .request(Method::POST, "/v1/auth/login")
        .json(&json!({"email": "nobody@example.com", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(unknown, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(problem["detail"], "the email or password is wrong");
}

#[tokio::test]
async fn repeated_failed_logins_are_rate_limited() {
    let app = TestApp::spawn().await;
    app.admin_token().await;
    let attempt = || {
        app.request(Method::POST, "/v1/auth/login")
            .json(&json!({"email": ADMIN_EMAIL, "password": "guess"}))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(attempt().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let limited = attempt().await.unwrap();
    assert!(limited.headers().contains_key("retry-after"));
    assert_problem(limited, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;
    let right = app
        .request(Method::POST, "/v1/auth/login")
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        right.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits out the window"
    );
}

#[tokio::test]
async fn spaces_or_capitals_around_an_email_do_not_buy_more_guesses() {
    let app = TestApp::spawn().await;
    app.admin_token().await;
    let upper = ADMIN_EMAIL.to_uppercase();
    let spellings = [
        format!(" {ADMIN_EMAIL}"),
        format!("{ADMIN_EMAIL} "),
        format!("\t{upper}"),
        format!(" {upper} "),
        ADMIN_EMAIL.to_owned(),
    ];
    for email in &spellings {
        let wrong = app
            .request(Method::POST, "/v1/auth/login")
            .json(&json!({"email": email, "password": "guess"}))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{email:?}");
    }
    let right = app
        .request(Method::POST, "/v1/auth/login")
        .json(&json!({"email": format!("  {ADMIN_EMAIL}"), "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_problem(right, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;
}

/// The address is the TCP peer's (127.0.0.1 here): an `X-Forwarded-For` a client makes up
/// changes nothing. Ten emails share the failures, so none reaches its own limit of 5.
#[tokio::test]
async fn twenty_failures_from_one_address_block_every_email_from_it() {
    let app = TestApp::spawn().await;
    app.admin_token().await;
    let started = std::time::Instant::now();
    let mut failures = 0;
    let refused = loop {
        assert!(
            failures < 40,
            "40 failures from one address were all let through"
        );
        let attempt = app
            .request(Method::POST, "/v1/auth/login")
            .header("x-forwarded-for", format!("10.0.0.{failures}"))
            .json(&json!({"email": format!("guess{}@example.com", failures % 10), "password": "guess"}))
            .send()
            .await
            .unwrap();
        if attempt.status() == StatusCode::TOO_MANY_REQUESTS {
            break attempt;
        }
        assert_eq!(
            attempt.status(),
            StatusCode::UNAUTHORIZED,
            "failure {failures}"
        );
        failures += 1;
    };
    // Slow hashing on a busy machine may let one failure back (one every 45 s).
    let refilled = started.elapsed().as_secs() / 45;
    assert!(
        (20..=21 + refilled).contains(&failures),
        "{failures} failures let through"
    );
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=45).contains(&wait),
        "one failure back within 45 s, not {wait}"
    );
    assert_problem(refused, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;

    let right = app
        .request(Method::POST, "/v1/auth/login")
        .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(right, StatusCode::TOO_MANY_REQUESTS, "too-many-requests").await;
    assert_eq!(
        problem["detail"],
        "too many failed logins; wait before trying again"
    );
}

#[tokio::test]
async fn admins_create_and_list_programs() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    let created = app
        .create_program(
            &admin,
            json!({"slug": "coffee", "name": "Coffee Rewards", "time_zone": "America/New_York",
                   "currency": "usd", "point_name": "Stars", "point_value": "0.04"}),
        )
        .await;
    assert_eq!(created["slug"], "coffee");
    assert_eq!(created["currency"], "USD");
    assert_eq!(created["point_value"], "0.04");
    assert_eq!(created["time_zone"], "America/New_York");

    let listed = body(
        app.request(Method::GET, "/v1/admin/programs")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["point_name"], "Stars");
    assert_eq!(listed["next_cursor"], Value::Null);

    let again = app
        .request(Method::POST, "/v1/admin/programs")
        .bearer_auth(&admin)
        .json(&json!({"slug": "coffee", "name": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(again, StatusCode::CONFLICT, "program-exists").await;
}

#[tokio::test]
async fn a_key_is_shown_once_stored_as_a_digest_and_listed_without_its_secret() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    app.create_program(&admin, json!({"slug": "shop", "name": "Shop"}))
        .await;
    let created = app.api_key(&admin, "shop", &["members:read"]).await;
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));

    let listed = body(
        app.request(Method::GET, "/v1/admin/programs/shop/api-keys")
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(listed["data"][0]["scopes"], json!(["members:read"]));
    assert!(!listed.to_string().contains(&key));

    let db = app.db.clone();
    let key_in_db = key.clone();
    let stored: Vec<String> = tokio::task::spawn_blocking(move || {
        use diesel::prelude::*;
        use fidelio::db::schema::api_keys::dsl::*;
        api_keys
            .select(secret_digest)
            .load::<String>(&mut **db.get().unwrap())
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&key_in_db[20..]));
    assert_eq!(stored[0].len(), 64);
}

#[tokio::test]
async fn a_key_from_one_program_cannot_see_another_programs_members() {
    let app = TestApp::spawn().await;
    let a = app.shop("program-a").await;
    let b = app.shop("program-b").await;
    app.enrol(&b, "bob").await;

    let seen = app
        .store(&a, Method::GET, "/v1/members/bob")
        .send()
        .await
        .unwrap();
    assert_problem(seen, StatusCode::NOT_FOUND, "not-found").await;
    let moved = app
        .store(&a, Method::POST, "/v1/members/bob/points/adjust")
        .header("idempotency-key", "k")
        .json(&json!({"points": 10, "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_problem(moved, StatusCode::NOT_FOUND, "not-found").await;
    assert_eq!(app.member(&b, "bob").await["balance"]["available"], 0);
}

#[tokio::test]
async fn a_key_works_only_within_its_scopes() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    app.create_program(&admin, json!({"slug": "shop", "name": "Shop"}))
        .await;
    let reader = app.api_key(&admin, "shop", &["members:read"]).await["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let enrol = app
        .request(Method::POST, "/v1/members")
        .header("x-api-key", &reader)
        .json(&json!({"external_id": "x"}))
        .send()
        .await
        .unwrap();
    let problem = assert_problem(enrol, StatusCode::FORBIDDEN, "forbidden").await;
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("members:write")
    );
}

#[tokio::test]
async fn a_revoked_key_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin_token().await;
    app.create_program(&admin, json!({"slug": "shop", "name": "Shop"}))
        .await;
    let created = app
        .api_key(&admin, "shop", &["members:read", "members:write"])
        .await;
    let key = created["key"].as_str().unwrap();
    let enrol = || {
        app.request(Method::POST, "/v1/members")
            .header("x-api-key", key)
            .json(&json!({"external_id": uuid::Uuid::new_v4().to_string()}))
            .send()
    };
    assert_eq!(enrol().await.unwrap().status(), StatusCode::CREATED);

    let revoked = app
        .request(
            Method::DELETE,
            &format!("/v1/admin/programs/shop/api-keys/{}", created["id"]),
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    assert!(body(revoked).await["revoked_at"].is_string());
    assert_problem(
        enrol().await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn missing_or_malformed_keys_are_401() {
    let app = TestApp::spawn().await;
    let none = app
        .request(Method::GET, "/v1/members/x")
        .send()
        .await
        .unwrap();
    assert_problem(none, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let forged = app
        .request(Method::GET, "/v1/members/x")
        .header(
            "x-api-key",
            "fid_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        )
        .send()
        .await
        .unwrap();
    assert_problem(forged, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn member_and_admin_tokens_do_not_open_each_others_routes() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    let member = app.member_token(&shop, "ana").await;
    let admin = app.admin_token().await;

    let me = app
        .request(Method::GET, "/v1/me")
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(body(me).await["external_id"], "ana");

    let as_admin = app
        .request(Method::GET, "/v1/admin/programs")
        .bearer_auth(&member)
        .send()
        .await
        .unwrap();
    assert_problem(as_admin, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let as_member = app
        .request(Method::GET, "/v1/me")
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_problem(as_member, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

/// Claims as the service issues them, for `audience`, expiring in `expires_in` seconds.
pub fn claims(audience: &str, expires_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": "1", "aud": audience, "iss": "fidelio", "iat": now, "exp": now + expires_in})
}

/// `claims` signed with HS256 and `secret`.
pub fn signed(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// `claims` with `alg: none` and no signature.
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

#[tokio::test]
async fn a_valid_member_token_naming_no_member_is_refused() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    let program_id = app.member_row(&shop, "ana").await.program_id;
    let mut claims = claims("fidelio-member", 600);
    claims["sub"] = json!("999999");
    claims["prg"] = json!(program_id);
    let response = app
        .request(Method::GET, "/v1/me")
        .bearer_auth(signed(&claims, JWT_SECRET))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

#[tokio::test]
async fn forged_expired_and_misaddressed_tokens_are_refused() {
    let app = TestApp::spawn().await;
    app.admin_token().await;
    let unsigned = unsigned(&claims("fidelio-admin", 600));
    let hs512 = encode(
        &Header::new(Algorithm::HS512),
        &claims("fidelio-admin", 600),
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap();
    let mut no_issuer = claims("fidelio-admin", 600);
    no_issuer.as_object_mut().unwrap().remove("iss");
    let cases = [
        ("alg none", unsigned),
        ("another algorithm", hs512),
        (
            "wrong signature",
            signed(
                &claims("fidelio-admin", 600),
                "some other secret that is long enough",
            ),
        ),
        (
            "expired",
            signed(&claims("fidelio-admin", -3600), JWT_SECRET),
        ),
        (
            "wrong audience",
            signed(&claims("fidelio-member", 600), JWT_SECRET),
        ),
        ("no issuer", signed(&no_issuer, JWT_SECRET)),
    ];
    for (case, token) in cases {
        let response = app
            .request(Method::GET, "/v1/admin/programs")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{case}");
    }
    let good = signed(&claims("fidelio-admin", 600), JWT_SECRET);
    let response = app
        .request(Method::GET, "/v1/admin/programs")
        .bearer_auth(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a well-formed token is accepted"
    );
}

#[tokio::test]
async fn the_ledger_refuses_updates_and_deletes() {
    let app = TestApp::spawn().await;
    let shop = app.shop("shop").await;
    app.enrol(&shop, "ana").await;
    app.give(&shop, "ana", 10).await;
    let db = app.db.clone();
    let (update, delete) = tokio::task::spawn_blocking(move || {
        let mut conn = db.get().unwrap();
        let update =
            diesel::sql_query("UPDATE ledger_entries SET points = 1000").execute(&mut **conn);
        let delete = diesel::sql_query("DELETE FROM ledger_entries").execute(&mut **conn);
        (update, delete)
    })
    .await
    .unwrap();
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
    assert_eq!(app.member(&shop, "ana").await["balance"]["available"], 10);
}

/// Events, redemptions and adjustments made with a key this instance remembers confirm it in
/// their own transaction (the member's lock reads its state): a changed key or program is used
/// as it is now, and a revoked one writes nothing.
#[tokio::test]
async fn writes_with_a_remembered_key_confirm_it_in_their_own_transaction() {
    let app = TestApp::spawn().await;
    let shop = app.configured_shop(coffee::config()).await;
    let admin = app.admin_token().await;
    app.enrol(&shop, "ana").await;
    let purchase =
        |id: &str| json!({"type": "purchase", "id": id, "member": "ana", "amount": "10.00"});
    let points = |what: &str, key: &str, points: i64| {
        app.store(
            &shop,
            Method::POST,
            &format!("/v1/members/ana/points/{what}"),
        )
        .header("Idempotency-Key", key)
        .json(&json!({"points": points, "reason": "a test"}))
        .send()
    };
    let redeem = |key: &str| points("redeem", key, 5);
    let balance = |shop: &Shop| {
        let response = app.store(shop, Method::GET, "/v1/members/ana").send();
        async move { body(response.await.unwrap()).await["balance"].clone() }
    };
    let first = app.event(&shop, purchase("p1")).await;
    assert_eq!(points("adjust", "a1", 100).await.unwrap().status(), 201);
    assert_eq!(redeem("r1").await.unwrap().status(), 201);
    let keys = app
        .request(Method::GET, "/v1/admin/programs/coffee/api-keys")
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let key_id = body(keys).await["data"][0]["id"].clone();

    // A changed key (its limit) is verified afresh, and the write goes through.
    let patched = app
        .request(
            Method::PATCH,
            &format!("/v1/admin/programs/coffee/api-keys/{key_id}"),
        )
        .bearer_auth(&admin)
        .json(&json!({"rate_limit": 1000}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), StatusCode::OK);
    app.event(&shop, purchase("p2")).await;
    assert_eq!(points("adjust", "a2", 100).await.unwrap().status(), 201);
    assert_eq!(redeem("r2").await.unwrap().status(), 201);

    // A changed program: the next event is decided with the new rule.
    let rule = app
        .request(Method::POST, "/v1/admin/programs/coffee/rules")
        .bearer_auth(&admin)
        .json(
            &json!({"slug": "bonus", "name": "Bonus", "event_type": "purchase",
                      "effects": [{"type": "fixed_points", "points": 5}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(rule.status(), StatusCode::CREATED);
    let third = app.event(&shop, purchase("p3")).await;
    assert_eq!(
        third["points_awarded"].as_i64().unwrap(),
        first["points_awarded"].as_i64().unwrap() + 5,
        "{third}"
    );

    // A revoked key writes nothing.
    let before = balance(&shop).await;
    let revoked = app
        .request(
            Method::DELETE,
            &format!("/v1/admin/programs/coffee/api-keys/{key_id}"),
        )
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let (status, _) = app.post_event(&shop, purchase("p4")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_problem(
        points("adjust", "a3", 100).await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        redeem("r3").await.unwrap(),
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let fresh = Shop {
        slug: shop.slug.clone(),
        key: app.api_key(&admin, "coffee", &ALL_SCOPES).await["key"]
            .as_str()
            .unwrap()
            .to_owned(),
    };
    assert_eq!(balance(&fresh).await, before);
    let p4 = app
        .store(&fresh, Method::GET, "/v1/events/p4")
        .send()
        .await
        .unwrap();
    assert_eq!(p4.status(), StatusCode::NOT_FOUND);
    app.assert_ledger_verifies().await;
}
