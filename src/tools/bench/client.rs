//! The HTTP calls the bench makes: an admin session for setting up, and the storefront calls
//! the scenarios time. Nothing here is special-cased in the server: it is the public API.

use std::time::Duration;

use anyhow::{Context, bail};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};

/// Every storefront scope, so one key can do whatever a scenario needs.
pub const ALL_SCOPES: [&str; 5] = [
    "members:read",
    "members:write",
    "events:write",
    "points:redeem",
    "points:adjust",
];

/// How long one request may take before it counts as a transport error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What came back from one request.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The server answered. `detail` is the problem's detail (or the body) of a non-2xx answer.
    Answered { status: u16, detail: Option<String> },
    /// No complete answer: refused or reset connection, or a timeout. The server may or may
    /// not have done the work.
    Transport(String),
}

impl Outcome {
    /// The status code, if the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Outcome::Answered { status, .. } => Some(*status),
            Outcome::Transport(_) => None,
        }
    }

    /// Whether the server answered 2xx.
    pub fn is_success(&self) -> bool {
        self.status().is_some_and(|s| (200..300).contains(&s))
    }
}

/// The one HTTP client every worker shares (it pools keep-alive connections).
pub fn http_client(clients: usize) -> anyhow::Result<Client> {
    Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("cannot build the HTTP client")
}

/// Calls with a program's storefront key (`X-Api-Key`).
#[derive(Clone)]
pub struct Storefront {
    http: Client,
    base: String,
    key: String,
}

impl Storefront {
    /// Calls `base` (no trailing slash) with the storefront key `key`.
    pub fn new(http: Client, base: &str, key: String) -> Storefront {
        Storefront {
            http,
            base: base.to_owned(),
            key,
        }
    }

    /// `POST /v1/members`.
    pub async fn enrol(&self, external_id: &str) -> Outcome {
        let request = self.request(reqwest::Method::POST, "/v1/members");
        outcome(
            request
                .json(&json!({ "external_id": external_id }))
                .send()
                .await,
        )
        .await
    }

    /// `POST /v1/members/{id}/points/adjust` with a fresh `Idempotency-Key`.
    pub async fn adjust(&self, external_id: &str, points: i64) -> Outcome {
        let body = json!({ "points": points, "reason": "fidelio bench" });
        self.keyed(&format!("/v1/members/{external_id}/points/adjust"), &body)
            .await
    }

    /// `POST /v1/members/{id}/points/redeem` with a fresh `Idempotency-Key`.
    pub async fn redeem(&self, external_id: &str, points: i64) -> Outcome {
        let body = json!({ "points": points, "reason": "fidelio bench" });
        self.keyed(&format!("/v1/members/{external_id}/points/redeem"), &body)
            .await
    }

    /// Mints a member token (`POST /v1/members/{id}/token`) and joins the challenge with it
    /// (`POST /v1/me/challenges/{slug}/join`).
    pub async fn join_challenge(&self, external_id: &str, slug: &str) -> anyhow::Result<()> {
        let path = format!("/v1/members/{external_id}/token");
        let sent = self.request(reqwest::Method::POST, &path).send().await;
        let token = expect_json(sent, StatusCode::OK, &format!("POST {path}")).await?;
        let token = token["access_token"]
            .as_str()
            .with_context(|| format!("POST {path}: no access_token"))?;
        let path = format!("/v1/me/challenges/{slug}/join");
        let sent = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await;
        expect_json(
            sent,
            StatusCode::OK,
            &format!("POST {path} as {external_id}"),
        )
        .await?;
        Ok(())
    }

    /// `GET /v1/members/{id}`, body read and dropped.
    pub async fn read(&self, external_id: &str) -> Outcome {
        let request = self.request(reqwest::Method::GET, &format!("/v1/members/{external_id}"));
        outcome(request.send().await).await
    }

    /// The service's peak resident memory in bytes, from `GET /metrics`; `None` if it does
    /// not report one.
    pub async fn peak_memory(&self) -> Option<u64> {
        let response = self
            .http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .ok()?;
        let text = response.text().await.ok()?;
        text.lines()
            .find_map(|line| line.strip_prefix("fidelio_process_peak_resident_bytes "))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .map(|bytes| bytes as u64)
    }

    /// The member's available points, from `GET /v1/members/{id}`.
    pub async fn available(&self, external_id: &str) -> anyhow::Result<i64> {
        let path = format!("/v1/members/{external_id}");
        let response = self.request(reqwest::Method::GET, &path).send().await;
        let member = expect_json(response, StatusCode::OK, &format!("GET {path}")).await?;
        member["balance"]["available"]
            .as_i64()
            .with_context(|| format!("GET {path}: no balance.available in {member}"))
    }

    /// `POST /v1/events`, and the points the event awarded: its outcome's `points_awarded` on
    /// a 201, else 0. A 201 without them counts as no answer: the points are unknown.
    pub async fn post_event(&self, event: &Value) -> (Outcome, i64) {
        let request = self
            .request(reqwest::Method::POST, "/v1/events")
            .json(event);
        let (outcome, body) = answered(request.send().await).await;
        if outcome.status() != Some(201) {
            return (outcome, 0);
        }
        let points = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|outcome| outcome["points_awarded"].as_i64());
        match points {
            Some(points) => (outcome, points),
            None => (
                Outcome::Transport("the 201 answer has no points_awarded".to_owned()),
                0,
            ),
        }
    }

    /// A mutating `POST` with a fresh `Idempotency-Key`.
    async fn keyed(&self, path: &str, body: &Value) -> Outcome {
        let request = self
            .request(reqwest::Method::POST, path)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(body);
        outcome(request.send().await).await
    }

    fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .header("x-api-key", &self.key)
    }
}

/// Reads the whole body (so the connection is reused) and classifies the answer.
async fn outcome(sent: reqwest::Result<Response>) -> Outcome {
    answered(sent).await.0
}

/// The answer, classified, with the body of a 2xx (empty otherwise).
async fn answered(sent: reqwest::Result<Response>) -> (Outcome, Vec<u8>) {
    let response = match sent {
        Ok(response) => response,
        Err(error) => return (Outcome::Transport(transport_error(error)), Vec::new()),
    };
    let status = response.status();
    match response.bytes().await {
        Ok(body) if status.is_success() => (
            Outcome::Answered {
                status: status.as_u16(),
                detail: None,
            },
            body.into(),
        ),
        Ok(body) => (
            Outcome::Answered {
                status: status.as_u16(),
                detail: Some(problem_detail(&body)),
            },
            Vec::new(),
        ),
        Err(error) => (Outcome::Transport(transport_error(error)), Vec::new()),
    }
}

/// The error with its causes (`error sending request: client error (Connect): ... refused`),
/// without the URL so that the same failure reads the same for every member.
fn transport_error(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The `code: detail` of a problem+json body, else the body as text.
fn problem_detail(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(problem) if problem["detail"].is_string() => format!(
            "{}: {}",
            problem["code"].as_str().unwrap_or("?"),
            problem["detail"].as_str().unwrap_or_default()
        ),
        _ => String::from_utf8_lossy(body).chars().take(200).collect(),
    }
}

/// The JSON body of a response that must have `expected` status; a clear error otherwise.
pub async fn expect_json(
    sent: reqwest::Result<Response>,
    expected: StatusCode,
    what: &str,
) -> anyhow::Result<Value> {
    let response = sent.with_context(|| format!("{what}: no answer"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .with_context(|| format!("{what}: the body was cut off"))?;
    if status != expected {
        bail!("{what}: {status}: {}", problem_detail(&body));
    }
    serde_json::from_slice(&body).with_context(|| format!("{what}: the answer is not JSON"))
}

/// A signed-in admin, for setting programs up.
pub struct Admin {
    http: Client,
    base: String,
    token: String,
}

impl Admin {
    /// Signs in with `POST /v1/auth/login`.
    pub async fn login(
        http: Client,
        base: &str,
        email: &str,
        password: &str,
    ) -> anyhow::Result<Admin> {
        let sent = http
            .post(format!("{base}/v1/auth/login"))
            .json(&json!({ "email": email, "password": password }))
            .send()
            .await;
        let body = expect_json(sent, StatusCode::OK, "signing in as the admin").await?;
        let token = body["access_token"]
            .as_str()
            .context("signing in: no access_token in the answer")?;
        Ok(Admin {
            http,
            base: base.to_owned(),
            token: token.to_owned(),
        })
    }

    /// `POST {path}` as the admin; the answer's status and JSON body (`null` if none).
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<(StatusCode, Value)> {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .with_context(|| format!("POST {path}: no answer"))?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// `PUT {path}` as the admin; the answer's status and JSON body (`null` if none).
    pub async fn put(&self, path: &str, body: &Value) -> anyhow::Result<(StatusCode, Value)> {
        let response = self
            .http
            .put(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .with_context(|| format!("PUT {path}: no answer"))?;
        let status = response.status();
        let bytes = response.bytes().await?;
        Ok((
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        ))
    }

    /// Issues a storefront key with every scope for the program and returns its secret.
    pub async fn issue_key(&self, slug: &str) -> anyhow::Result<String> {
        let path = format!("/v1/admin/programs/{slug}/api-keys");
        let body = json!({ "name": "fidelio bench", "scopes": ALL_SCOPES });
        let (status, answer) = self.post(&path, &body).await?;
        if status != StatusCode::CREATED {
            bail!("POST {path}: {status}: {answer}");
        }
        let key = answer["key"]
            .as_str()
            .with_context(|| format!("POST {path}: no key in the answer"))?;
        Ok(key.to_owned())
    }
}
