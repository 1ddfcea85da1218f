//! Mixed storefront load: point adjustments and redemptions (each with its `Idempotency-Key`),
//! purchase events (each with its id) and reward redemptions (with a key), sent by concurrent
//! workers; every request is kept with what came back, or that nothing did.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};

use crate::shop::{REWARD, Shop};

/// What a storefront asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Adjust,
    Redeem,
    Event,
    Redemption,
}

/// One request, repeatable: the same key (or event id) and body every time it is sent.
#[derive(Debug, Clone)]
pub struct Operation {
    pub kind: Kind,
    pub member: String,
    /// The `Idempotency-Key`, or the event's id.
    pub key: String,
    /// Points added (adjust), taken (redeem) or earned (a purchase of that many units).
    pub points: i64,
}

impl Operation {
    pub fn random(members: &[String]) -> Operation {
        let kind =
            [Kind::Adjust, Kind::Redeem, Kind::Event, Kind::Redemption][rand::random_range(0..4)];
        Operation {
            kind,
            member: members[rand::random_range(0..members.len())].clone(),
            key: uuid::Uuid::new_v4().to_string(),
            points: rand::random_range(1..=9),
        }
    }

    /// The reason an adjustment's or a redemption's ledger entry carries.
    pub fn reason(&self) -> String {
        format!("crash {}", self.key)
    }

    fn request(&self, client: &reqwest::Client, address: &str, shop: &Shop) -> RequestBuilder {
        let member = &self.member;
        let (path, body) = match self.kind {
            Kind::Adjust => (
                format!("/v1/members/{member}/points/adjust"),
                json!({"points": self.points, "reason": self.reason()}),
            ),
            Kind::Redeem => (
                format!("/v1/members/{member}/points/redeem"),
                json!({"points": self.points, "reason": self.reason()}),
            ),
            Kind::Event => (
                "/v1/events".to_owned(),
                json!({"type": "purchase", "id": self.key, "member": member,
                       "amount": format!("{}.00", self.points)}),
            ),
            Kind::Redemption => (
                format!("/v1/members/{member}/redemptions"),
                json!({"reward": REWARD}),
            ),
        };
        let request = client
            .post(format!("{address}{path}"))
            .header("x-api-key", &shop.key)
            .json(&body);
        match self.kind {
            Kind::Event => request,
            _ => request.header("idempotency-key", &self.key),
        }
    }

    /// Sends the request and reads the whole answer, or notes why there is none.
    pub async fn send(&self, client: &reqwest::Client, address: &str, shop: &Shop) -> Answer {
        Answer::read(self.request(client, address, shop)).await
    }
}

/// What came back for one sending of a request.
#[derive(Debug, Clone)]
pub struct Answer {
    /// `None` when no whole answer came back (connection refused, reset, closed, timed out).
    pub status: Option<StatusCode>,
    /// The body, or why there is none.
    pub body: String,
    pub replayed: bool,
    pub retry_after: Option<String>,
    pub content_type: Option<String>,
    pub took: Duration,
}

impl Answer {
    /// Sends `request` and reads the whole answer, or notes why there is none.
    pub async fn read(request: RequestBuilder) -> Answer {
        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Answer::none(error, started),
        };
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (replayed, retry_after, content_type) = (
            header("idempotent-replayed").is_some(),
            header("retry-after"),
            header("content-type"),
        );
        match response.text().await {
            Ok(body) => Answer {
                status: Some(status),
                body,
                replayed,
                retry_after,
                content_type,
                took: started.elapsed(),
            },
            Err(error) => Answer::none(error, started),
        }
    }

    fn none(error: reqwest::Error, started: Instant) -> Answer {
        Answer {
            status: None,
            body: format!("{error:?}"),
            replayed: false,
            retry_after: None,
            content_type: None,
            took: started.elapsed(),
        }
    }

    /// A 2xx: the service says it is done.
    pub fn acknowledged(&self) -> bool {
        self.status.is_some_and(|s| s.is_success())
    }

    /// No answer, or a 5xx: the outcome is not known and the request may be retried.
    pub fn unanswered(&self) -> bool {
        self.status.is_none_or(|s| s.is_server_error())
    }

    /// The `code` of a problem document.
    pub fn code(&self) -> Option<String> {
        let problem: Value = serde_json::from_str(&self.body).ok()?;
        problem["code"].as_str().map(str::to_owned)
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// One sending of an operation and its answer.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub operation: Operation,
    pub answer: Answer,
    /// When it was sent, from the start of the load.
    pub sent_at: Duration,
}

/// What a worker does when a request gets no answer at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnNoAnswer {
    /// The service is gone (killed): stop until the next round.
    Stop,
    /// Keep sending (the database is down, the service is not).
    Continue,
}

/// Workers sending random operations until stopped.
pub struct Load {
    started: Instant,
    stop: Arc<AtomicBool>,
    attempts: Arc<Mutex<Vec<Attempt>>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    pub fn start(address: &str, shop: &Shop, workers: usize, on_no_answer: OnNoAnswer) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let workers = (0..workers)
            .map(|worker| {
                let (stop, attempts) = (stop.clone(), attempts.clone());
                let (address, shop) = (address.to_owned(), shop.clone());
                tokio::spawn(async move {
                    // Half the workers keep their connection alive, half open one per request.
                    let client = if worker % 2 == 0 {
                        client()
                    } else {
                        one_connection_per_request()
                    };
                    while !stop.load(Ordering::SeqCst) {
                        let operation = Operation::random(&shop.members);
                        let sent_at = started.elapsed();
                        let answer = operation.send(&client, &address, &shop).await;
                        let gone = answer.status.is_none();
                        let busy = answer.unanswered();
                        attempts.lock().unwrap().push(Attempt {
                            operation,
                            answer,
                            sent_at,
                        });
                        if gone && on_no_answer == OnNoAnswer::Stop {
                            return;
                        }
                        if busy {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    }
                })
            })
            .collect();
        Load {
            started,
            stop,
            attempts,
            workers,
        }
    }

    /// The time since the load started, the clock of `Attempt::sent_at`.
    pub fn clock(&self) -> Duration {
        self.started.elapsed()
    }

    /// Sends no new request from now on; the ones in flight go on.
    pub fn halt(&self) {
        self.stop.store(true, Ordering::SeqCst);
    }

    /// Stops sending new requests, waits for the ones in flight, and returns every attempt.
    pub async fn stop(self) -> Vec<Attempt> {
        self.halt();
        for worker in self.workers {
            worker.await.unwrap();
        }
        std::mem::take(&mut *self.attempts.lock().unwrap())
    }
}

/// A client that waits long enough to see a hang for what it is.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

fn one_connection_per_request() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}
