//! `fidelio bench`: an HTTP load generator that drives a running Fidelio service.
//!
//! It sets up a fresh program over the public API, runs each scenario with concurrent
//! workers, prints a markdown table of throughput and latency, then checks the money: the
//! members' balances over HTTP against the bench's own count, and `verify` on the database.

mod book;
mod ceilings;
mod client;
mod load;
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
pub use ceilings::{Ceiling, Ceilings};
pub use load::Load;
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
    /// Concurrent workers, for the setup and for each scenario (unless `rate` is set).
    pub clients: usize,
    /// Requests per second, sent open loop, instead of `clients` closed-loop workers.
    pub rate: Option<f64>,
    /// The machine's ceilings, to print each scenario's share of its own.
    pub limits: Option<Ceilings>,
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
    /// The service's peak resident memory after each scenario, if it reports it.
    pub peak_memory: Vec<Option<u64>>,
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
        load: settings
            .rate
            .map_or(Load::Clients(settings.clients), Load::Rate),
        warmup: settings.warmup,
        duration: settings.duration,
    };
    println!("{}", Figures::header());
    let (mut figures, mut peak_memory) = (Vec::new(), Vec::new());
    for workload in &ready.workloads {
        let row = runner::run(workload, ready.fixture.clone(), plan).await?;
        println!("{}", row.row());
        figures.push(row);
        peak_memory.push(ready.fixture.store.peak_memory().await);
    }
    println!();
    print_shares(settings, &figures, &peak_memory);
    print_failures(&figures);

    let money = money::check(ready.fixture.clone(), settings.clients).await?;
    print_money(&money);
    let verify = ready.database.verify().await?;
    print_verify(&verify);
    Ok(Summary {
        program: ready.fixture.program.clone(),
        figures,
        peak_memory,
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
    if let Some(rate) = settings.rate {
        anyhow::ensure!(
            rate.is_finite() && (0.1..=1_000_000.0).contains(&rate),
            "--rate must be between 0.1 and 1000000 requests per second"
        );
    }
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

/// Each scenario's rate as a share of its ceiling (with `--limits`), and the service's peak
/// memory after it.
fn print_shares(settings: &Settings, figures: &[Figures], peak_memory: &[Option<u64>]) {
    let backend = settings.database.backend();
    println!("| scenario | requests/s | ceiling (limits/run.sh) | share | service peak RSS |");
    println!("|---|---:|---|---:|---:|");
    let runs = figures.iter().zip(peak_memory).zip(&settings.scenarios);
    for ((f, peak), scenario) in runs {
        let ceiling = settings
            .limits
            .as_ref()
            .and_then(|limits| limits.of(*scenario, backend, settings.clients));
        let (label, share) = match ceiling {
            Some(c) => (
                format!("{:.0}/s: {}", c.per_second, c.label),
                format!("{:.1}%", 100.0 * f.per_second / c.per_second),
            ),
            None => ("-".to_owned(), "-".to_owned()),
        };
        let peak = peak.map_or("-".to_owned(), |bytes| {
            format!("{:.0} MiB", bytes as f64 / 1_048_576.0)
        });
        println!(
            "| {} | {:.1} | {label} | {share} | {peak} |",
            f.scenario, f.per_second
        );
    }
    println!();
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
