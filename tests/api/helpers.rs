//! The test harness: a real server on a real, fresh database per test. SQLite by default;
//! PostgreSQL when `FIDELIO_TEST_POSTGRES_URL` names a server (a throwaway database per test).

use std::io::Write;
use std::sync::{Arc, Once};

use diesel::{Connection, PgConnection, RunQueryDsl};
use fidelio::config::{DatabaseArgs, ServeArgs};
use fidelio::db::{Backend, DatabaseUrl, Db};
use fidelio::ledger::verify;
use fidelio::startup::Application;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "correct horse battery";
pub const JWT_SECRET: &str = "a test secret that is long enough for HS256";
pub const ALL_SCOPES: [&str; 5] = [
    "members:read",
    "members:write",
    "events:write",
    "points:redeem",
    "points:adjust",
];

static BACKEND_NOTE: Once = Once::new();

fn postgres_url() -> Option<String> {
    let url = std::env::var("FIDELIO_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.trim().is_empty());
    BACKEND_NOTE.call_once(|| {
        // Written past the test harness's capture, so the note shows in every run.
        let note = match &url {
            Some(_) => "note: FIDELIO_TEST_POSTGRES_URL is set: these tests run on PostgreSQL\n",
            None => {
                "note: FIDELIO_TEST_POSTGRES_URL is not set: these tests run on SQLite only; \
                     the PostgreSQL suite is skipped (`.ci/run` runs it)\n"
            }
        };
        let _ = std::io::stderr().write_all(note.as_bytes());
    });
    url.map(without_tls)
}

/// The server URL with `sslmode=disable` unless it names a mode. The pools of tests that have
/// ended go on trying to reconnect to their dropped databases until the process exits, and
/// OpenSSL's clean-up at exit raced their TLS handshakes: the suite once ended in a SIGSEGV in
/// libcrypto after every test had passed. The tests are about Fidelio, not libpq's TLS.
fn without_tls(url: String) -> String {
    if url.contains("sslmode=") {
        return url;
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}sslmode=disable")
}

/// A fresh database for one test, removed when the test ends.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    pub fn create() -> TestDatabase {
        match postgres_url() {
            Some(server) => {
                let name = format!("fidelio_test_{}", uuid::Uuid::new_v4().simple());
                let mut admin = PgConnection::establish(&server)
                    .expect("cannot reach FIDELIO_TEST_POSTGRES_URL");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("create database");
                let url = with_database(&server, &name);
                TestDatabase {
                    url,
                    _dir: None,
                    postgres: Some((server, name)),
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = dir.path().join("fidelio.db").display().to_string();
                TestDatabase {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                }
            }
        }
    }

    pub fn backend(&self) -> Backend {
        if self.postgres.is_some() {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// A pool on this database (migrated).
    pub fn open(&self) -> Db {
        Db::open(
            &DatabaseUrl::parse(&self.url).unwrap(),
            4,
            std::time::Duration::from_secs(10),
        )
        .unwrap()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres
            && let Ok(mut admin) = PgConnection::establish(server)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

/// The server URL with its database path replaced by `name`.
fn with_database(server: &str, name: &str) -> String {
    let (base, query) = server
        .split_once('?')
        .map_or((server, None), |(b, q)| (b, Some(q)));
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_end..]
        .find('/')
        .map(|i| authority_end + i)
        .unwrap_or(base.len());
    let mut url = format!("{}/{name}", &base[..path_start]);
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

pub fn database_args(url: &str) -> DatabaseArgs {
    DatabaseArgs {
        database_url: url.to_owned(),
        pool_size: 10,
        db_timeout: 10,
    }
}

pub fn serve_args() -> ServeArgs {
    ServeArgs {
        bind: "127.0.0.1:0".parse().unwrap(),
        jwt_secret: Some(JWT_SECRET.to_owned()),
        workers: Some(2),
        admin_token_ttl: 3600,
        member_token_ttl: 3600,
        tick_interval: 0,
        shutdown_timeout: 1,
    }
}

/// A running server on a fresh database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub db: Db,
    /// Shared by every instance spawned on it; removed when the last one ends.
    pub database: Arc<TestDatabase>,
}

/// A program with an all-scopes storefront key.
pub struct Shop {
    pub slug: String,
    pub key: String,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(serve_args()).await
    }

    pub async fn spawn_with(serve: ServeArgs) -> TestApp {
        Self::spawn_on(Arc::new(TestDatabase::create()), serve).await
    }

    /// Another instance of the service on this app's database, as a second process sharing
    /// it would be: its own pool, caches and login limiter.
    pub async fn another_instance(&self, serve: ServeArgs) -> TestApp {
        Self::spawn_on(Arc::clone(&self.database), serve).await
    }

    async fn spawn_on(database: Arc<TestDatabase>, serve: ServeArgs) -> TestApp {
        let app = Application::build(&database_args(&database.url), &serve)
            .await
            .expect("the app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped());
        let db = database.open();
        TestApp {
            address,
            client: reqwest::Client::new(),
            db,
            database,
        }
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, format!("{}{path}", self.address))
    }

    /// Creates the test admin (once) and signs in.
    pub async fn admin_token(&self) -> String {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            let _ = fidelio::admins::create(&mut conn, ADMIN_EMAIL, ADMIN_PASSWORD);
        })
        .await
        .unwrap();
        let response = self
            .request(Method::POST, "/v1/auth/login")
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        body(response).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Has the owner `owner` create an admin with `role` for `programs`, and signs it in.
    pub async fn admin_with_role(
        &self,
        owner: &str,
        email: &str,
        role: &str,
        programs: &[&str],
    ) -> String {
        let response = self
            .request(Method::POST, "/v1/admin/admins")
            .bearer_auth(owner)
            .json(
                &json!({"email": email, "password": ADMIN_PASSWORD, "role": role,
                          "programs": programs}),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "creating {email}");
        let response = self
            .request(Method::POST, "/v1/auth/login")
            .json(&json!({"email": email, "password": ADMIN_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "signing in {email}");
        body(response).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a program through the admin API.
    pub async fn create_program(&self, admin: &str, program: Value) -> Value {
        let response = self
            .request(Method::POST, "/v1/admin/programs")
            .bearer_auth(admin)
            .json(&program)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "creating a program");
        body(response).await
    }

    /// Issues a storefront key with `scopes` for the program.
    pub async fn api_key(&self, admin: &str, slug: &str, scopes: &[&str]) -> Value {
        let response = self
            .request(Method::POST, &format!("/v1/admin/programs/{slug}/api-keys"))
            .bearer_auth(admin)
            .json(&json!({"name": "test storefront", "scopes": scopes}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "issuing a key");
        body(response).await
    }

    /// A program `slug` with an all-scopes key.
    pub async fn shop(&self, slug: &str) -> Shop {
        let admin = self.admin_token().await;
        self.create_program(
            &admin,
            json!({"slug": slug, "name": format!("Shop {slug}")}),
        )
        .await;
        let key = self.api_key(&admin, slug, &ALL_SCOPES).await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        Shop {
            slug: slug.to_owned(),
            key,
        }
    }

    /// A storefront request with the shop's key.
    pub fn store(&self, shop: &Shop, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path).header("x-api-key", &shop.key)
    }

    /// Enrols a member and returns its view.
    pub async fn enrol(&self, shop: &Shop, external_id: &str) -> Value {
        let response = self
            .store(shop, Method::POST, "/v1/members")
            .json(&json!({"external_id": external_id}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "enrolling {external_id}"
        );
        body(response).await
    }

    /// Adds points to a member (as the storefront, with a fresh idempotency key).
    pub async fn give(&self, shop: &Shop, external_id: &str, points: i64) -> Value {
        let response = self
            .store(
                shop,
                Method::POST,
                &format!("/v1/members/{external_id}/points/adjust"),
            )
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&json!({"points": points, "reason": "test"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "adjusting {external_id}"
        );
        body(response).await
    }

    pub async fn member(&self, shop: &Shop, external_id: &str) -> Value {
        let response = self
            .store(shop, Method::GET, &format!("/v1/members/{external_id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        body(response).await
    }

    /// A member token for the member.
    pub async fn member_token(&self, shop: &Shop, external_id: &str) -> String {
        let response = self
            .store(
                shop,
                Method::POST,
                &format!("/v1/members/{external_id}/token"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        body(response).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// The value of a counter or gauge without labels in `/metrics`.
    pub async fn metric(&self, name: &str) -> u64 {
        let text = self
            .request(Method::GET, "/metrics")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /metrics:\n{text}"))
    }

    /// Asserts that every stored balance equals what the ledger sums to.
    pub async fn assert_ledger_verifies(&self) {
        let db = self.db.clone();
        let report =
            tokio::task::spawn_blocking(move || verify::run(&mut db.get().unwrap()).unwrap())
                .await
                .unwrap();
        assert!(
            report.is_clean(),
            "verify found differences: {:#?}",
            report.differences
        );
    }
}

/// The JSON body of a response.
pub async fn body(response: reqwest::Response) -> Value {
    let text = response.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}

/// Asserts a problem+json response with this status and code; returns the problem.
pub async fn assert_problem(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let problem = body(response).await;
    assert_eq!(problem["code"], code, "{problem}");
    assert_eq!(problem["status"], status.as_u16());
    assert!(problem["type"].as_str().unwrap().ends_with(code));
    assert!(problem["title"].is_string() && problem["detail"].is_string());
    problem
}

/// Asserts a 422 `validation-failed` whose first error names `field`.
pub async fn assert_invalid(response: reqwest::Response, field: &str) -> Value {
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    problem
}

impl TestApp {
    /// A demo program (configured through the admin API, as an admin would) with an
    /// all-scopes key.
    pub async fn configured_shop(&self, config: fidelio::tools::demo::ProgramConfig) -> Shop {
        let admin = self.admin_token().await;
        let slug = config.program["slug"].as_str().unwrap().to_owned();
        self.create_program(&admin, config.program.clone()).await;
        for rule in &config.rules {
            self.create_rule(&admin, &slug, rule).await;
        }
        let tiers = self
            .request(Method::PUT, &format!("/v1/admin/programs/{slug}/tiers"))
            .bearer_auth(&admin)
            .json(&config.tiers)
            .send()
            .await
            .unwrap();
        assert_eq!(
            tiers.status(),
            StatusCode::OK,
            "setting tiers: {}",
            body(tiers).await
        );
        for reward in &config.rewards {
            let created = self
                .request(Method::POST, &format!("/v1/admin/programs/{slug}/rewards"))
                .bearer_auth(&admin)
                .json(reward)
                .send()
                .await
                .unwrap();
            let status = created.status();
            assert_eq!(
                status,
                StatusCode::CREATED,
                "creating a reward: {}",
                body(created).await
            );
        }
        for (kind, element) in config.game_elements() {
            self.create_element(&admin, &slug, kind, element).await;
        }
        let key = self.api_key(&admin, &slug, &ALL_SCOPES).await["key"]
            .as_str()
            .unwrap()
            .to_owned();
        Shop { slug, key }
    }

    /// Creates a badge, challenge, streak or leaderboard (`kind` is the path segment).
    pub async fn create_element(
        &self,
        admin: &str,
        slug: &str,
        kind: &str,
        element: &Value,
    ) -> Value {
        let response = self
            .request(Method::POST, &format!("/v1/admin/programs/{slug}/{kind}"))
            .bearer_auth(admin)
            .json(element)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let created = body(response).await;
        assert_eq!(status, StatusCode::CREATED, "creating {kind}: {created}");
        created
    }

    pub async fn create_rule(&self, admin: &str, slug: &str, rule: &Value) -> Value {
        let response = self
            .request(Method::POST, &format!("/v1/admin/programs/{slug}/rules"))
            .bearer_auth(admin)
            .json(rule)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let created = body(response).await;
        assert_eq!(status, StatusCode::CREATED, "creating rule: {created}");
        created
    }

    /// Posts an event; returns the status and the outcome.
    pub async fn post_event(&self, shop: &Shop, event: Value) -> (StatusCode, Value) {
        let response = self
            .store(shop, Method::POST, "/v1/events")
            .json(&event)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, body(response).await)
    }

    /// Posts an event that must be recorded; returns the outcome.
    pub async fn event(&self, shop: &Shop, event: Value) -> Value {
        let (status, outcome) = self.post_event(shop, event).await;
        assert_eq!(status, StatusCode::CREATED, "{outcome}");
        outcome
    }

    /// Runs the time-based work as of `now` (RFC 3339).
    pub async fn tick(&self, now: &str) -> fidelio::jobs::TickReport {
        let db = self.db.clone();
        let at = chrono::DateTime::parse_from_rfc3339(now)
            .unwrap()
            .naive_utc();
        tokio::task::spawn_blocking(move || {
            fidelio::jobs::tick(&mut db.get().unwrap(), at).unwrap()
        })
        .await
        .unwrap()
    }
}

/// A response read whole: status, whether it was a replay, and the exact body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: StatusCode,
    pub replayed: bool,
    pub text: String,
}

impl Reply {
    pub async fn read(response: reqwest::Response) -> Reply {
        let status = response.status();
        let replayed = match response.headers().get("idempotent-replayed") {
            None => false,
            Some(value) => {
                assert_eq!(value, "true", "Idempotent-Replayed is `true` when present");
                true
            }
        };
        let text = response.text().await.unwrap();
        Reply {
            status,
            replayed,
            text,
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {}", self.text))
    }
}

impl TestApp {
    /// A storefront `points/redeem` or `points/adjust` request (`action`), with `key` as its
    /// `Idempotency-Key` when given.
    pub fn points(
        &self,
        shop: &Shop,
        external_id: &str,
        action: &str,
        key: Option<&str>,
        request: &Value,
    ) -> RequestBuilder {
        let builder = self
            .store(
                shop,
                Method::POST,
                &format!("/v1/members/{external_id}/points/{action}"),
            )
            .json(request);
        match key {
            Some(key) => builder.header("idempotency-key", key),
            None => builder,
        }
    }

    /// Sends a `points/{action}` request and reads the whole response.
    pub async fn move_points(
        &self,
        shop: &Shop,
        external_id: &str,
        action: &str,
        key: &str,
        request: Value,
    ) -> Reply {
        let response = self
            .points(shop, external_id, action, Some(key), &request)
            .send()
            .await
            .unwrap();
        Reply::read(response).await
    }

    /// Every ledger entry of a member, newest first, following the cursor to the end.
    pub async fn ledger(&self, shop: &Shop, external_id: &str) -> Vec<Value> {
        let mut entries = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = cursor.map_or(String::new(), |c| format!("&cursor={c}"));
            let response = self
                .store(
                    shop,
                    Method::GET,
                    &format!("/v1/members/{external_id}/ledger?limit=200{query}"),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let page = body(response).await;
            entries.extend(page["data"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return entries,
            }
        }
    }

    /// Runs `work` with a connection to the app's database, off the async threads.
    pub async fn with_db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut fidelio::db::DbConn) -> T + Send + 'static,
    ) -> T {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || work(&mut db.get().unwrap()))
            .await
            .unwrap()
    }

    /// The stored row of a member, read straight from the database.
    pub async fn member_row(
        &self,
        shop: &Shop,
        external_id: &str,
    ) -> fidelio::db::models::members::MemberRow {
        let (slug, external_id) = (shop.slug.clone(), external_id.to_owned());
        self.with_db(move |conn| {
            let program = fidelio::programs::require(conn, &slug).unwrap();
            fidelio::members::require(conn, program.id, &external_id).unwrap()
        })
        .await
    }
}

impl TestApp {
    /// `GET path` as the member (a member token); asserts 200.
    pub async fn as_member(&self, shop: &Shop, external_id: &str, path: &str) -> Value {
        let token = self.member_token(shop, external_id).await;
        let response = self
            .request(Method::GET, path)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let answer = body(response).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {answer}");
        answer
    }

    /// The member joins an opt-in challenge; returns the response.
    pub async fn join(&self, shop: &Shop, external_id: &str, challenge: &str) -> reqwest::Response {
        let token = self.member_token(shop, external_id).await;
        self.request(Method::POST, &format!("/v1/me/challenges/{challenge}/join"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
    }

    /// An admin `method path` with `body` (if any); the status and JSON answer.
    pub async fn admin_call(
        &self,
        method: Method,
        path: &str,
        json_body: Option<Value>,
    ) -> (StatusCode, Value) {
        let admin = self.admin_token().await;
        let mut request = self.request(method, path).bearer_auth(&admin);
        if let Some(json_body) = json_body {
            request = request.json(&json_body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Enrols a member with a name (and a referral code, if given).
    pub async fn enrol_named(
        &self,
        shop: &Shop,
        external_id: &str,
        name: &str,
        referral_code: Option<&str>,
    ) -> Value {
        let mut enrolment = json!({"external_id": external_id, "name": name});
        if let Some(code) = referral_code {
            enrolment["referral_code"] = json!(code);
        }
        let response = self
            .store(shop, Method::POST, "/v1/members")
            .json(&enrolment)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "enrolling {external_id}"
        );
        body(response).await
    }
}
