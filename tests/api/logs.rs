//! `fidelio serve --log-format json`, run as an operator would: the binary on a fresh database,
//! stopped with SIGTERM. Every line it writes is a JSON object, one per request with its
//! method, route, status, time and the request id it returned as `X-Request-Id`, and no secret
//! a request carried.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{JWT_SECRET, TestDatabase};

/// Sends each line `from` writes into the channel, until it closes.
fn lines_of(from: impl Read + Send + 'static) -> Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { return };
            if sender.send(line).is_err() {
                return;
            }
        }
    });
    receiver
}

/// The server's process, killed if a failing test leaves it running.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `fidelio serve` with JSON logs on a free port; returns the process, its port, the
/// lines it wrote until it listened and the rest of its stderr and its stdout to come.
fn serve(
    database_url: &str,
) -> (
    Process,
    u16,
    Vec<String>,
    Receiver<String>,
    Receiver<String>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fidelio"))
        .env("DATABASE_URL", database_url)
        .env("FIDELIO_LOG", "info")
        .args(["--log-format", "json", "serve", "--bind", "127.0.0.1:0"])
        .args(["--tick-interval", "0", "--workers", "2"])
        .args(["--jwt-secret", JWT_SECRET])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the fidelio binary starts");
    let stderr = lines_of(child.stderr.take().unwrap());
    let stdout = lines_of(child.stdout.take().unwrap());
    let process = Process(child);
    let mut early = Vec::new();
    loop {
        let line = stderr
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no `listening` line ({e}); got {early:#?}"));
        let port = serde_json::from_str::<Value>(&line)
            .ok()
            .filter(|l| l["fields"]["message"] == "listening")
            .and_then(|l| l["fields"]["port"].as_u64());
        early.push(line);
        if let Some(port) = port {
            return (process, u16::try_from(port).unwrap(), early, stderr, stdout);
        }
    }
}

/// Every line still to come, until the writer closes it.
fn rest(lines: Receiver<String>) -> Vec<String> {
    lines.iter().collect()
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_with_each_request_and_its_returned_id() {
    let database = TestDatabase::create();
    let url = database.url.clone();
    let (mut process, port, early, stderr, stdout) =
        tokio::task::spawn_blocking(move || serve(&url))
            .await
            .unwrap();
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let api_key = "fid_0123456789abcdef_not-a-real-key";
    let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzb21lb25lIn0.bm90LWEtc2lnbmF0dXJl";
    let password = "a password that must stay secret";
    let requests = [
        (client.get(format!("{address}/healthz")), "/healthz"),
        (client.get(format!("{address}/v1/no-such-route")), "default"),
        (
            client
                .post(format!("{address}/v1/auth/login"))
                .json(&json!({"email": "admin@example.com"})),
            "/v1/auth/login",
        ),
        (
            client
                .post(format!("{address}/v1/auth/login"))
                .json(&json!({"email": "nobody@example.com", "password": password})),
            "/v1/auth/login",
        ),
        (
            client
                .get(format!("{address}/v1/members/ana"))
                .header("x-api-key", api_key),
            "/v1/members/{external_id}",
        ),
        (
            client.get(format!("{address}/v1/me")).bearer_auth(token),
            "/v1/me",
        ),
    ];
    let mut answered = Vec::new();
    for (request, route) in requests {
        let request = request.build().unwrap();
        let method = request.method().clone();
        let response = client.execute(request).await.unwrap();
        let id = response.headers()["x-request-id"]
            .to_str()
            .unwrap()
            .to_owned();
        answered.push((method, route, response.status(), id));
    }
    let statuses: Vec<StatusCode> = answered.iter().map(|(_, _, s, _)| *s).collect();
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::NOT_FOUND,
            StatusCode::UNPROCESSABLE_ENTITY,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED,
            StatusCode::UNAUTHORIZED
        ]
    );

    let (exit, mut lines, printed) = tokio::task::spawn_blocking(move || {
        let pid = process.0.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let exit = process.0.wait().unwrap();
        (exit, rest(stderr), rest(stdout))
    })
    .await
    .unwrap();
    assert!(exit.success(), "SIGTERM stops it cleanly: {exit}");
    lines.splice(0..0, early);

    assert!(printed.is_empty(), "logs go to stderr: {printed:#?}");
    let logged: Vec<Value> = lines
        .iter()
        .map(|line| {
            let object: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            assert!(object.is_object(), "{line}");
            let timestamp = object["timestamp"].as_str().unwrap_or_default();
            assert!(
                chrono::DateTime::parse_from_rfc3339(timestamp).is_ok(),
                "{line}"
            );
            assert!(
                ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]
                    .contains(&object["level"].as_str().unwrap_or_default()),
                "{line}"
            );
            assert!(object["fields"]["message"].is_string(), "{line}");
            assert!(object["target"].is_string(), "{line}");
            for secret in [api_key, token, password] {
                assert!(!line.contains(secret), "a secret in the logs: {line}");
            }
            object
        })
        .collect();
    let messages: Vec<&str> = logged
        .iter()
        .filter_map(|l| l["fields"]["message"].as_str())
        .collect();
    assert_eq!(messages.last(), Some(&"stopped"), "{messages:#?}");

    for (method, route, status, id) in answered {
        let closes: Vec<&Value> = logged
            .iter()
            .filter(|l| l["span"]["request_id"] == id.as_str())
            .filter(|l| l["fields"]["message"] == "close")
            .collect();
        let [line] = closes.as_slice() else {
            panic!("one line for request {id} ({method} {route}): {closes:#?}")
        };
        let span = &line["span"];
        assert_eq!(span["http.method"], method.as_str(), "{line}");
        assert_eq!(span["http.route"], route, "{line}");
        assert_eq!(span["http.status_code"], status.as_u16(), "{line}");
        assert!(line["fields"]["time.busy"].is_string(), "the time: {line}");
        assert_eq!(line["level"], "INFO");
    }
}
