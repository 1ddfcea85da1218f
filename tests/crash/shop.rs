//! A program set up as an operator would: an admin created with `fidelio admin create`, then
//! over HTTP a program earning 1 point per 1.00, a 10-point reward with no stock limit, a
//! storefront key with every scope, and members with a balance no load can exhaust.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::database::Database;
use crate::service::{Service, fidelio};

const ADMIN_EMAIL: &str = "crash@example.com";
const ADMIN_PASSWORD: &str = "correct horse battery";
const SCOPES: [&str; 5] = [
    "members:read",
    "members:write",
    "events:write",
    "points:redeem",
    "points:adjust",
];
/// Each member's starting balance: far more than any load here takes.
pub const STARTING_POINTS: i64 = 1_000_000;
/// The reward every redemption takes, and what it costs.
pub const REWARD: &str = "token";
pub const REWARD_COST: i64 = 10;

/// The storefront's view of the program: its API key and its members.
#[derive(Clone)]
pub struct Shop {
    pub key: String,
    pub members: Vec<String>,
}

/// Creates the admin through the command line (before the service starts).
pub fn create_admin(database: &Database) {
    fidelio(
        &database.url,
        &[
            "admin",
            "create",
            "--email",
            ADMIN_EMAIL,
            "--password",
            ADMIN_PASSWORD,
        ],
    );
}

/// Sets up the program and `members` members on the running service.
pub async fn open(service: &Service, members: usize) -> Shop {
    let client = reqwest::Client::new();
    let address = service.address();
    let post = |path: &str, body: Value| client.post(format!("{address}{path}")).json(&body);
    let login = post(
        "/v1/auth/login",
        json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let token = login.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let as_admin = |path: &str, body: Value| post(path, body).bearer_auth(&token);
    for (path, body) in [
        (
            "/v1/admin/programs",
            json!({"slug": "crash", "name": "Crash test"}),
        ),
        (
            "/v1/admin/programs/crash/rules",
            json!({"slug": "per-unit", "name": "1 point per 1.00", "event_type": "purchase",
                   "effects": [{"type": "points_per_amount", "rate": "1"}]}),
        ),
        (
            "/v1/admin/programs/crash/rewards",
            json!({"slug": REWARD, "name": "Token", "cost": REWARD_COST, "kind": "gift"}),
        ),
    ] {
        let response = as_admin(path, body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "POST {path}");
    }
    let issued = as_admin(
        "/v1/admin/programs/crash/api-keys",
        json!({"name": "crash storefront", "scopes": SCOPES}),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(issued.status(), StatusCode::CREATED);
    let key = issued.json::<Value>().await.unwrap()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let members: Vec<String> = (0..members).map(|i| format!("m{i}")).collect();
    for member in &members {
        let enrolled = post("/v1/members", json!({"external_id": member}))
            .header("x-api-key", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(enrolled.status(), StatusCode::CREATED);
        let funded = post(
            &format!("/v1/members/{member}/points/adjust"),
            json!({"points": STARTING_POINTS, "reason": "starting balance"}),
        )
        .header("x-api-key", &key)
        .header("idempotency-key", format!("start-{member}"))
        .send()
        .await
        .unwrap();
        assert_eq!(funded.status(), StatusCode::CREATED);
    }
    Shop { key, members }
}
