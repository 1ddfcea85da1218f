//! A private PostgreSQL cluster on a free port, which a test may stop and start (the suite's
//! shared server is never stopped). Made with the server binaries of the highest version under
//! /usr/lib/postgresql, run as the `postgres` user when the tests run as root (initdb refuses
//! root).

use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::Command;

pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
    /// Server settings beyond the defaults, as `name=value`.
    settings: Vec<String>,
}

impl Cluster {
    /// Creates the cluster and starts it.
    pub fn start() -> Cluster {
        Cluster::start_with(&[])
    }

    /// Creates the cluster and starts it with these `name=value` settings.
    pub fn start_with(settings: &[&str]) -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        if running_as_root() {
            run(Command::new("chown").arg("postgres").arg(dir.path()));
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let cluster = Cluster {
            bin: server_binaries(),
            dir,
            port,
            settings: settings.iter().map(|s| format!(" -c {s}")).collect(),
        };
        run(cluster.command("initdb").args([
            "-D",
            &cluster.data(),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "--no-instructions",
        ]));
        cluster.start_again();
        cluster
    }

    /// The URL of its `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server at once, as a crash would: connections are cut, nothing is flushed.
    pub fn stop_immediately(&self) {
        run(&mut self.pg_ctl(&["stop", "-m", "immediate"]));
    }

    /// Starts the server; returns once it accepts connections.
    pub fn start_again(&self) {
        let log = self.dir.path().join("postgres.log").display().to_string();
        // fsync off: an immediate stop loses nothing the OS already holds, and this machine
        // is shared.
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off{}",
            self.port,
            self.dir.path().display(),
            self.settings.concat()
        );
        run(&mut self.pg_ctl(&["start", "-w", "-t", "60", "-l", &log, "-o", &options]));
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn pg_ctl(&self, args: &[&str]) -> Command {
        let mut command = self.command("pg_ctl");
        command.args(["-D", &self.data()]).args(args);
        command
    }

    /// `program` of the server binaries, as the `postgres` user when we are root.
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg_ctl(&["stop", "-m", "immediate"]).output();
    }
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The directory of `initdb` and `pg_ctl`, of the highest installed version.
fn server_binaries() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("the PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are needed")
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("no initdb under /usr/lib/postgresql/*/bin")
        .1
}

fn run(command: &mut Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
