//! Recording a scenario's calls and comparing them with its committed snapshot file.
//!
//! Each call is kept as one step: what was asked, the status and the whole answer. When the
//! scenario ends, what legitimately differs between runs and databases is replaced with stable
//! placeholders (see `normalise`), and the document is compared with
//! `tests/api/snapshots/<scenario>.json`. `FIDELIO_UPDATE_SNAPSHOTS=1` writes the file instead.

use std::collections::HashMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use reqwest::{Method, RequestBuilder};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::clock::Window;
use super::compare::differences;
use super::normalise::{Live, Normaliser};
use crate::helpers::{Shop, TestApp};

/// The member views taken after a scenario, as paths under `/v1/me` (besides the storefront's
/// member view and ledger).
const OWN_VIEWS: [&str; 3] = ["/v1/me", "/v1/me/badges", "/v1/me/challenges"];

/// A snapshot file: the scenario's steps in order.
#[derive(Serialize, Deserialize)]
struct Document {
    scenario: String,
    steps: Vec<Step>,
}

/// One call and its answer.
#[derive(Serialize, Deserialize)]
struct Step {
    call: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    request: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<u16>,
    response: Value,
}

/// A scenario being recorded on one app.
pub struct Recorder<'a> {
    pub app: &'a TestApp,
    scenario: &'static str,
    started: DateTime<Utc>,
    steps: Vec<Step>,
    live: Live,
    admin_token: Option<String>,
    member_tokens: HashMap<String, String>,
    views_hold_until: Option<DateTime<Utc>>,
}

impl<'a> Recorder<'a> {
    pub fn new(app: &'a TestApp, scenario: &'static str) -> Recorder<'a> {
        Recorder {
            app,
            scenario,
            started: Utc::now(),
            steps: Vec::new(),
            live: Live::default(),
            admin_token: None,
            member_tokens: HashMap::new(),
            views_hold_until: None,
        }
    }

    /// Names a window that contains the wall clock (this week, this month): wherever its key,
    /// first day or bounds appear they are written as `<name>`, `<name: first day>`,
    /// `<name starts>` and `<name ends>`.
    pub fn live_window(&mut self, window: &Window, name: &str) {
        let live = &mut self.live;
        live.texts.push((window.key.clone(), format!("<{name}>")));
        let first_day = window.first_day.to_string();
        live.texts.push((first_day, format!("<{name}: first day>")));
        live.bounds
            .push((window.starts_at, format!("<{name} starts>")));
        live.bounds.push((window.ends_at, format!("<{name} ends>")));
    }

    /// Says until when the views, read as of the wall clock, stay as recorded: a tier's rolling
    /// or calendar window moves past the scenario's fixed dates then. A mismatch after that
    /// instant says so.
    pub fn views_hold_until(&mut self, at: &str) {
        let at = DateTime::parse_from_rfc3339(at)
            .unwrap()
            .with_timezone(&Utc);
        self.views_hold_until = Some(at);
    }

    /// Sends `builder` (with `request` as its JSON body) and records it as `call`.
    async fn send(
        &mut self,
        call: String,
        builder: RequestBuilder,
        request: Option<Value>,
    ) -> Value {
        let builder = match &request {
            Some(request) => builder.json(request),
            None => builder,
        };
        let response = builder.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        let answer = serde_json::from_str(&text).unwrap_or(Value::String(text));
        self.steps.push(Step {
            call,
            request,
            status: Some(status),
            response: answer.clone(),
        });
        answer
    }

    /// Notes a step taken without one HTTP call (a tick, a concurrent pair of calls).
    pub fn note(&mut self, call: &str, response: Value) {
        self.steps.push(Step {
            call: call.to_owned(),
            request: None,
            status: None,
            response,
        });
    }

    /// The admin's token, signed in once (signing in hashes a password: slow on purpose).
    pub async fn admin_token(&mut self) -> String {
        if self.admin_token.is_none() {
            self.admin_token = Some(self.app.admin_token().await);
        }
        self.admin_token.clone().unwrap()
    }

    async fn member_token(&mut self, shop: &Shop, external_id: &str) -> String {
        let key = format!("{}/{external_id}", shop.slug);
        if !self.member_tokens.contains_key(&key) {
            let token = self.app.member_token(shop, external_id).await;
            self.member_tokens.insert(key.clone(), token);
        }
        self.member_tokens[&key].clone()
    }

    /// Posts an event as the shop; records and returns the outcome.
    pub async fn event(&mut self, shop: &Shop, event: Value) -> Value {
        let builder = self.app.store(shop, Method::POST, "/v1/events");
        self.send("POST /v1/events".into(), builder, Some(event))
            .await
    }

    /// Posts each event in turn.
    pub async fn events(&mut self, shop: &Shop, events: Vec<Value>) {
        for event in events {
            self.event(shop, event).await;
        }
    }

    /// A storefront call with the shop's key (and an `Idempotency-Key`, when given).
    pub async fn store(
        &mut self,
        shop: &Shop,
        method: Method,
        path: &str,
        request: Option<Value>,
        idempotency_key: Option<&str>,
    ) -> Value {
        let mut builder = self.app.store(shop, method.clone(), path);
        if let Some(key) = idempotency_key {
            builder = builder.header("idempotency-key", key);
        }
        let call = format!("{method} {path} (storefront)");
        self.send(call, builder, request).await
    }

    /// A call as the member, with a member token.
    pub async fn member(
        &mut self,
        shop: &Shop,
        external_id: &str,
        method: Method,
        path: &str,
        request: Option<Value>,
    ) -> Value {
        let token = self.member_token(shop, external_id).await;
        let builder = self.app.request(method.clone(), path).bearer_auth(token);
        let call = format!("{method} {path} (member {external_id})");
        self.send(call, builder, request).await
    }

    /// An admin call.
    pub async fn admin(&mut self, method: Method, path: &str, request: Option<Value>) -> Value {
        let token = self.admin_token().await;
        let builder = self.app.request(method.clone(), path).bearer_auth(token);
        self.send(format!("{method} {path} (admin)"), builder, request)
            .await
    }

    /// Redeems `reward` for the member at the storefront.
    pub async fn redeem(&mut self, shop: &Shop, external_id: &str, reward: &str) -> Value {
        let path = format!("/v1/members/{external_id}/redemptions");
        let request = json!({"reward": reward});
        self.store(shop, Method::POST, &path, Some(request), None)
            .await
    }

    /// Spends `points` at checkout (`points/redeem`), with an `Idempotency-Key`.
    pub async fn burn(&mut self, shop: &Shop, external_id: &str, points: i64, key: &str) -> Value {
        let path = format!("/v1/members/{external_id}/points/redeem");
        let request = json!({"points": points});
        self.store(shop, Method::POST, &path, Some(request), Some(key))
            .await
    }

    /// Enrols a member (with a name and a referral code, when given); returns its view.
    pub async fn enrol(&mut self, shop: &Shop, enrolment: Value) -> Value {
        self.store(shop, Method::POST, "/v1/members", Some(enrolment), None)
            .await
    }

    /// Runs the time-based work as of `now` and records its report.
    pub async fn tick(&mut self, now: &str) -> Value {
        let report = serde_json::to_value(self.app.tick(now).await).unwrap();
        self.steps.push(Step {
            call: "tick".into(),
            request: Some(json!({"now": now})),
            status: None,
            response: report.clone(),
        });
        report
    }

    /// The member's views: the storefront's member view and whole ledger, the member's own
    /// view, badges and challenges, and each leaderboard path under `/v1/me/leaderboards/`.
    pub async fn views(&mut self, shop: &Shop, external_id: &str, leaderboards: &[&str]) {
        let view = format!("/v1/members/{external_id}");
        self.store(shop, Method::GET, &view, None, None).await;
        self.ledger(shop, external_id).await;
        for path in OWN_VIEWS {
            self.member(shop, external_id, Method::GET, path, None)
                .await;
        }
        for board in leaderboards {
            let path = format!("/v1/me/leaderboards/{board}");
            self.member(shop, external_id, Method::GET, &path, None)
                .await;
        }
    }

    /// The member's whole ledger, as the storefront reads it.
    pub async fn ledger(&mut self, shop: &Shop, external_id: &str) {
        let ledger = format!("/v1/members/{external_id}/ledger?limit=200");
        let page = self.store(shop, Method::GET, &ledger, None, None).await;
        assert!(page["next_cursor"].is_null(), "one page holds the ledger");
    }

    /// Normalises what was recorded and compares it with the committed snapshot (or writes it
    /// when `FIDELIO_UPDATE_SNAPSHOTS=1`).
    pub fn finish(self) {
        let normaliser = Normaliser::new(self.started, Utc::now(), self.live);
        let document = Document {
            scenario: self.scenario.to_owned(),
            steps: self.steps,
        };
        let actual = normaliser.apply(serde_json::to_value(document).unwrap());
        let path = snapshot_path(self.scenario);
        // Written from the struct, so each step reads call, request, status, response.
        let ordered: Document = serde_json::from_value(actual.clone()).unwrap();
        let text = format!("{}\n", serde_json::to_string_pretty(&ordered).unwrap());
        if std::env::var("FIDELIO_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
            std::fs::write(&path, text).unwrap();
            eprintln!("note: wrote the snapshot {}", path.display());
            return;
        }
        let Ok(committed) = std::fs::read_to_string(&path) else {
            panic!(
                "no snapshot {}: run this test with FIDELIO_UPDATE_SNAPSHOTS=1 to write it, \
                 then read it through and commit it",
                path.display()
            );
        };
        let expected: Value = serde_json::from_str(&committed).unwrap();
        let found = differences(&expected, &actual);
        let aged = match self.views_hold_until {
            Some(until) if Utc::now() >= until => format!(
                "\nNote: the views are read as of today, and this scenario's fixed dates keep \
                 them as recorded only until {until}: move the dates forward and regenerate."
            ),
            _ => String::new(),
        };
        assert!(
            found.is_empty(),
            "the scenario `{}` no longer matches {} ({} differences; the first ones below).\n\
             If the change is intended, rerun with FIDELIO_UPDATE_SNAPSHOTS=1 and review the \
             file's diff.{aged}\n{}",
            self.scenario,
            path.display(),
            found.len(),
            found
                .iter()
                .take(20)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

fn snapshot_path(scenario: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/api/snapshots")
        .join(format!("{scenario}.json"))
}
