//! The real `fidelio` binary: commands run to completion, and `serve` as a child process that
//! can be killed, stopped and started again on the same database.

use std::fs::File;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::database::Database;
use crate::load::Answer;

pub const BINARY: &str = env!("CARGO_BIN_EXE_fidelio");

/// How long a start may take on a busy machine (migrations of a fresh database included).
const START_WITHIN: Duration = Duration::from_secs(60);

/// Runs `fidelio args...` on the database; asserts that it succeeds and returns its output.
pub fn fidelio(database_url: &str, args: &[&str]) -> Output {
    let output = Command::new(BINARY)
        .args(args)
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fidelio {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// `fidelio serve` running as a child process, listening on a port of its choosing.
pub struct Service {
    child: Child,
    address: String,
    database_url: String,
    dir: PathBuf,
    args: Vec<String>,
    starts: usize,
}

impl Service {
    /// Starts the service on the database with `args` added to `serve`; returns once it answers.
    pub async fn start(database: &Database, args: &[&str]) -> Service {
        Service::start_on(&database.url, database, args).await
    }

    /// Starts the service on `url`, keeping its logs in the database's directory.
    pub async fn start_on(url: &str, database: &Database, args: &[&str]) -> Service {
        let dir = database.dir().to_owned();
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        let (child, address) = spawn(url, &dir, &args, 1).await;
        Service {
            child,
            address,
            database_url: url.to_owned(),
            dir,
            args,
            starts: 1,
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// `GET path`, read whole.
    pub async fn get(&self, path: &str) -> Answer {
        Answer::read(reqwest::Client::new().get(format!("{}{path}", self.address))).await
    }

    /// Kills the process with SIGKILL and reaps it.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Sends `signal` (e.g. `TERM`) to the process.
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success(), "kill -s {signal} failed");
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts the process again on the same database (after `kill`); returns once it answers.
    pub async fn restart(&mut self) {
        self.starts += 1;
        let (child, address) = spawn(&self.database_url, &self.dir, &self.args, self.starts).await;
        self.child = child;
        self.address = address;
    }

    /// Waits for the process to exit by itself.
    pub async fn exit_status(&mut self, within: Duration) -> ExitStatus {
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the service did not exit within {within:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The log of the current run, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(log_path(&self.dir, self.starts)).unwrap_or_default()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn log_path(dir: &std::path::Path, start: usize) -> PathBuf {
    dir.join(format!("serve-{start}.log"))
}

/// Spawns `fidelio serve` and waits until it logs its port and answers `/healthz`.
async fn spawn(url: &str, dir: &std::path::Path, args: &[String], start: usize) -> (Child, String) {
    let path = log_path(dir, start);
    let log = File::create(&path).unwrap();
    // Through `sh`, which ignores SIGXFSZ before it becomes the binary: a file size limit put on
    // the process (the readiness test) then makes its writes fail instead of killing it.
    let mut child = Command::new("sh")
        .args(["-c", "trap '' XFSZ; exec \"$0\" \"$@\"", BINARY])
        .args(["--log-format", "json", "serve", "--bind", "127.0.0.1:0"])
        .args(args)
        .env("DATABASE_URL", url)
        .env("FIDELIO_LOG", "info")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + START_WITHIN;
    let port = loop {
        if let Some(port) = listening_port(&std::fs::read_to_string(&path).unwrap_or_default()) {
            break port;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!(
                "fidelio serve exited with {status}:\n{}",
                std::fs::read_to_string(&path).unwrap_or_default()
            );
        }
        assert!(Instant::now() < deadline, "fidelio serve did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    while !client
        .get(format!("{address}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(Instant::now() < deadline, "fidelio serve does not answer");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (child, address)
}

/// The port of the JSON log line `listening`, once written.
fn listening_port(log: &str) -> Option<u64> {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["fields"]["message"] == "listening")
        .and_then(|line| line["fields"]["port"].as_u64())
}
