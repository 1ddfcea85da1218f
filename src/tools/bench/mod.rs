//! `fidelio bench`: an HTTP load generator that drives a running Fidelio service.
//!
//! It sets up a fresh program over the public API, runs each scenario with concurrent
//! workers, prints a markdown table of throughput and latency, then checks the money: the
//! members' balances over HTTP against the bench's own count, and `verify` on the database.

mod book;
mod client;
mod money;
mod pool;
mod purchase;
mod runner;
mod scenario;
mod setup;
mod stats;
mod verify;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

pub use book::START_BALANCE;
pub use money::MoneyCheck;
pub use runner::Plan;
pub use scenario::Scenario;
pub use stats::Figures;

use crate::db::DatabaseUrl;
use crate::ledger::verify::Report;
use scenario::Workload;
use setup::{Fixture, Seeder};
use verify::ServiceDb;

/// Everything a bench run needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Base URL of the service, e.g. `http://127.0.0.1:8080`.
    pub url: String,
    pub admin_email: String,
    pub admin_password: String,
    /// Run in this order.
    pub scenarios: Vec<Scenario>,
    /// Concurrent workers, for the setup and for each scenario.
    pub clients: usize,
    pub warmup: Duration,
    /// Measured time of each scenario.
    pub duration: Duration,
    /// Members to enrol and fund.
    pub members: usize,
    /// The service's database, for the final `verify`.
    pub database: DatabaseUrl,
    /// The `events` scenario runs with the coffee program's badges, challenges, streaks and
    /// leaderboards (half the members join `star-dash`); off, it runs with its rules and tiers
    /// only, to measure what the game layer costs.
    pub game: bool,
}

/// What a bench run found.
#[derive(Debug)]
pub struct Summary {
    /// The program the bench created.
    pub program: String,
    /// One per scenario run.
    pub figures: Vec<Figures>,
    pub money: MoneyCheck,
    pub verify: Report,
}

impl Summary {
    /// No request failed, every balance is what the bench counted, and `verify` is clean.
    pub fn passed(&self) -> bool {
        self.figures.iter().all(|f| f.failures() == 0)
            && self.money.is_clean()
            && self.verify.is_clean()
    }
}

/// Runs the bench: setup, each scenario (a table row printed as each ends), then the checks.
pub async fn run(settings: &Settings) -> anyhow::Result<Summary> {
    let ready = set_up(settings).await?;
    let plan = Plan {
        clients: settings.clients,
        warmup: settings.warmup,
        duration: settings.duration,
    };
    println!("{}", Figures::header());
    let mut figures = Vec::new();
    for workload in &ready.workloads {
        let row = runner::run(workload, ready.fixture.clone(), plan).await?;
        println!("{}", row.row());
        figures.push(row);
    }
    println!();
    print_failures(&figures);

    let money = money::check(ready.fixture.clone(), settings.clients).await?;
    print_money(&money);
    let verify = ready.database.verify().await?;
    print_verify(&verify);
    Ok(Summary {
        program: ready.fixture.program.clone(),
        figures,
        money,
        verify,
    })
}

/// What the runs need, set up.
struct Ready {
    fixture: Arc<Fixture>,
    workloads: Vec<Workload>,
    database: ServiceDb,
}

/// Signs in, creates the program, confirms the database is the service's (before any load),
/// enrols the members and lets each scenario seed what it needs.
async fn set_up(settings: &Settings) -> anyhow::Result<Ready> {
    anyhow::ensure!(settings.clients > 0, "--clients must be at least 1");
    anyhow::ensure!(settings.members > 0, "--members must be at least 1");
    let base = base_url(&settings.url)?;
    let http = client::http_client(settings.clients)?;
    let (email, password) = (&settings.admin_email, &settings.admin_password);
    let mut seeder = Seeder::begin(http, &base, email, password, settings.clients).await?;
    let database = ServiceDb::open(&settings.database, &seeder.program).await?;
    seeder.enrol_crowd(settings.members).await?;
    let mut workloads = Vec::new();
    for scenario in &settings.scenarios {
        workloads.push(scenario.prepare(&mut seeder, settings.game).await?);
    }
    let fixture = Arc::new(seeder.finish());
    println!(
        "program {} at {base}: {} members with {START_BALANCE} points each\n",
        fixture.program,
        fixture.len()
    );
    Ok(Ready {
        fixture,
        workloads,
        database,
    })
}

/// The URL without a trailing slash, after checking it is one.
fn base_url(url: &str) -> anyhow::Result<String> {
    let parsed = reqwest::Url::parse(url).with_context(|| format!("--url {url} is not a URL"))?;
    anyhow::ensure!(
        matches!(parsed.scheme(), "http" | "https"),
        "--url {url}: give an http:// URL"
    );
    Ok(url.trim_end_matches('/').to_owned())
}

fn print_failures(figures: &[Figures]) {
    for f in figures.iter().filter(|f| f.failures() > 0) {
        println!(
            "FAILED {}: {} requests failed ({} while warming up), e.g.:",
            f.scenario,
            f.failures(),
            f.warmup_failures
        );
        for example in &f.examples {
            println!("  {example}");
        }
    }
}

fn print_money(money: &MoneyCheck) {
    println!(
        "balances: {} members checked over HTTP ({} points adjusted in, {} redeemed, {} awarded by events)",
        money.checked, money.credited, money.debited, money.awarded
    );
    if money.uncertain > 0 {
        println!(
            "  {} members skipped: a request of theirs got no answer",
            money.uncertain
        );
    }
    for mismatch in &money.mismatches {
        println!("MISMATCH {mismatch}");
    }
    if money.checked == 0 {
        println!("no balance could be checked");
    } else if money.is_clean() {
        println!(
            "ok: every balance is its start + points adjusted in - points redeemed + points awarded"
        );
    } else {
        println!(
            "{} balances differ from the bench's count",
            money.mismatch_count
        );
    }
}

fn print_verify(report: &Report) {
    println!("verify: {report}");
}
