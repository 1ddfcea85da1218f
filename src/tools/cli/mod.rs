//! The `fidelio` command line.

mod admin;
mod bench;
mod demo;
mod report;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{DatabaseArgs, LogArgs, ServeArgs};
use crate::db::{Db, migrations};
use crate::startup::Application;
use crate::telemetry;
use crate::{jobs, ledger};

/// Fidelio: a gamified loyalty-program engine.
///
/// Every setting is read from its flag, else its environment variable, else its default.
/// With no configuration at all, `fidelio serve` keeps its data in ./fidelio.db (SQLite)
/// and listens on 127.0.0.1:8080.
#[derive(Debug, Parser)]
#[command(name = "fidelio", version)]
pub struct Cli {
    #[command(flatten)]
    database: DatabaseArgs,
    #[command(flatten)]
    log: LogArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP service (applies pending migrations first).
    Serve(ServeArgs),
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Manage admin accounts.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Recompute every balance, lot and debt from the ledger; exit 1 on any difference.
    Verify,
    /// Load the two demo programs (coffee, beauty) with synthetic members and months of
    /// activity. Run again, it changes nothing (or --reset).
    Demo(demo::DemoArgs),
    /// Print each program's engagement summary.
    Report(report::ReportArgs),
    /// Run all time-based work due by now (or by --now): pending points become available.
    /// Safe to run twice, or on several instances at once.
    Tick {
        /// Run as of this RFC 3339 time instead of now (for tests and catching up).
        #[arg(long)]
        now: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Drive a running service with HTTP load and print throughput and latency per scenario.
    ///
    /// Sets up over the public API, as any client would: signs in as the admin, creates a fresh
    /// program `bench-<unix seconds>`, issues it an API key with every scope, enrols --members
    /// members and gives each a large starting balance. Then runs each scenario with --clients
    /// concurrent workers for --warmup seconds (not measured) and --duration seconds (measured),
    /// and prints one markdown table row per scenario: requests, requests/s, p50/p90/p99/max
    /// latency, and errors (non-2xx answers by status code; transport errors apart).
    ///
    /// Afterwards it reads every bench member's balance over HTTP and compares it with its own
    /// count (start + points adjusted in - points redeemed, from the 201 answers), then runs
    /// `fidelio verify` on the database named by --database-url / DATABASE_URL, which must be
    /// the database the service at --url uses. Exit 1 if any request failed, a balance differs
    /// or verify finds a difference.
    Bench(bench::BenchArgs),
}

/// Runs the command line and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(&cli.log);
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(serve) => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let app = Application::build(&cli.database, &serve).await?;
                tracing::info!(address = %serve.bind, port = app.port(), "listening");
                app.run_until_stopped().await?;
                tracing::info!("stopped");
                anyhow::Ok(())
            })?;
        }
        Command::Migrate => {
            let url = cli.database.url()?;
            let db = Db::connect(&url, 1, cli.database.timeout())?;
            let applied = migrations::run_pending(&mut **db.get()?)?;
            if applied.is_empty() {
                println!("{url}: the schema is up to date");
            } else {
                println!("{url}: applied {}", applied.join(", "));
            }
        }
        Command::Admin(command) => command.run(&open(&cli.database)?)?,
        Command::Verify => return verify(&open(&cli.database)?),
        Command::Demo(demo) => demo.run(&open(&cli.database)?)?,
        Command::Report(report) => report.run(&open(&cli.database)?)?,
        Command::Tick { now } => {
            let at = now.map_or_else(crate::db::now_utc, |t| t.naive_utc());
            let report = jobs::tick_exclusive(&mut *open(&cli.database)?.get()?, at)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "tick as of {}: {}",
                at.and_utc().to_rfc3339(),
                serde_json::to_string(&report)?
            );
        }
        Command::Bench(bench) => return bench.run(&cli.database),
    }
    Ok(ExitCode::SUCCESS)
}

fn verify(db: &Db) -> anyhow::Result<ExitCode> {
    let report = ledger::verify::run(&mut **db.get()?).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{report}");
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Opens the database for a command, applying pending migrations.
fn open(database: &DatabaseArgs) -> anyhow::Result<Db> {
    Db::open(&database.url()?, database.pool_size, database.timeout())
}
