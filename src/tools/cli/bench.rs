//! `fidelio bench`: the load generator's command line.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::config::DatabaseArgs;
use crate::tools::bench::{self, Ceilings, Scenario, Settings};

/// Which scenarios to run.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScenarioChoice {
    /// Random members; half `points/adjust` (+10), half `points/redeem` (5), each with a fresh
    /// Idempotency-Key: writes spread over many balances.
    Spread,
    /// The same mix, all on one member: every write contends for one balance.
    Hot,
    /// `GET /v1/members/{id}` of random members.
    Read,
    /// `POST /v1/events` of random members' purchases (3.00 to 30.00, 1 to 3 items, some paid
    /// with stored value or in a reusable cup), earning under the coffee program's rules and
    /// tiers, with its badges, challenges, streaks and leaderboards (see `--without-game`).
    Events,
    /// spread, hot, read and events, in that order.
    All,
}

impl ScenarioChoice {
    fn scenarios(self) -> Vec<Scenario> {
        match self {
            ScenarioChoice::Spread => vec![Scenario::Spread],
            ScenarioChoice::Hot => vec![Scenario::Hot],
            ScenarioChoice::Read => vec![Scenario::Read],
            ScenarioChoice::Events => vec![Scenario::Events],
            ScenarioChoice::All => Scenario::ALL.to_vec(),
        }
    }
}

/// Settings of `fidelio bench`.
#[derive(Debug, Args)]
#[command(next_help_heading = "Bench options")]
pub struct BenchArgs {
    /// Base URL of the running service to drive.
    #[arg(
        long,
        env = "FIDELIO_BENCH_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    url: String,

    /// Email of an admin of that service (create one with `fidelio admin create`).
    #[arg(long, env = "FIDELIO_BENCH_ADMIN_EMAIL")]
    admin_email: String,

    /// That admin's password.
    #[arg(long, env = "FIDELIO_BENCH_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: String,

    /// The workload to run.
    #[arg(long, value_enum, default_value_t = ScenarioChoice::All)]
    scenario: ScenarioChoice,

    /// Concurrent workers (each keeps one request in flight); also used for the setup.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    clients: u32,

    /// Send this many requests per second, open loop (on schedule, each timed from when it
    /// was due), instead of `--clients` workers that wait for each answer; p99 and p99.9 are
    /// then latencies a client at that rate would see.
    #[arg(long)]
    rate: Option<f64>,

    /// The JSON that `../shared/limits/run.sh` wrote in the same session (its `LIMITS_OUT`,
    /// default /tmp/limits.json): each scenario's rate is also printed as a share of its
    /// ceiling on this machine.
    #[arg(long, value_name = "FILE")]
    limits: Option<std::path::PathBuf>,

    /// Seconds each scenario is measured.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    duration: u64,

    /// Seconds each scenario runs before measuring; these requests are not in the figures.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,

    /// Members to enrol (each funded with a large starting balance) in the bench's program.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    members: u32,

    /// Run the events scenario without the coffee program's badges, challenges, streaks and
    /// leaderboards (rules and tiers only), to compare what the game layer costs per event.
    #[arg(long)]
    without_game: bool,
}

impl BenchArgs {
    fn settings(self, database: &DatabaseArgs) -> anyhow::Result<Settings> {
        anyhow::ensure!(
            self.warmup.is_finite() && (0.0..=3600.0).contains(&self.warmup),
            "--warmup must be between 0 and 3600 seconds"
        );
        Ok(Settings {
            url: self.url,
            admin_email: self.admin_email,
            admin_password: self.admin_password,
            scenarios: self.scenario.scenarios(),
            clients: usize::try_from(self.clients)?,
            rate: self.rate,
            limits: self.limits.as_deref().map(Ceilings::read).transpose()?,
            warmup: Duration::from_secs_f64(self.warmup),
            duration: Duration::from_secs(self.duration),
            members: usize::try_from(self.members)?,
            database: database.url()?,
            game: !self.without_game,
        })
    }

    /// Runs the bench; exit 1 if a request failed, a balance differs or `verify` is not clean.
    pub fn run(self, database: &DatabaseArgs) -> anyhow::Result<ExitCode> {
        let settings = self.settings(database)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        let summary = runtime.block_on(bench::run(&settings))?;
        if summary.passed() {
            println!("\nbench passed");
            Ok(ExitCode::SUCCESS)
        } else {
            println!("\nbench FAILED: see above");
            Ok(ExitCode::FAILURE)
        }
    }
}
