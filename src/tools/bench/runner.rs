//! Running one workload for the warm-up, then for the measured duration, either closed loop
//! (`clients` workers, each sending its next request when the last is answered) or open loop
//! (requests sent at a fixed rate whatever the answers, each timed from when it was due, so a
//! slow answer delays no later request and hides no latency).

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::client::Outcome;
use super::load::Load;
use super::scenario::Workload;
use super::setup::Fixture;
use super::stats::{Figures, Samples};

/// How hard and how long to run each workload.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub load: Load,
    /// Run before measuring, not counted in the figures.
    pub warmup: Duration,
    /// How long the measured part runs.
    pub duration: Duration,
}

/// What the requests of a run (or of one worker) saw.
struct Seen {
    warmup: Samples,
    measured: Samples,
    finished: Instant,
}

/// Runs the workload to the plan and returns its figures.
pub async fn run(
    workload: &Workload,
    fixture: Arc<Fixture>,
    plan: Plan,
) -> anyhow::Result<Figures> {
    let spinner = ProgressBar::new_spinner();
    spinner.set_message(format!("{}: warming up, then measuring", workload.name()));
    spinner.enable_steady_tick(Duration::from_millis(200));

    let start = Instant::now();
    let measure_from = start + plan.warmup;
    let stop_at = measure_from + plan.duration;
    let seen = match plan.load {
        Load::Clients(clients) => {
            let mut workers = JoinSet::new();
            for _ in 0..clients.max(1) {
                let (workload, fixture) = (workload.clone(), fixture.clone());
                workers
                    .spawn(async move { work(&workload, &fixture, measure_from, stop_at).await });
            }
            let mut all = Seen::new(measure_from);
            while let Some(seen) = workers.join_next().await {
                all.merge(seen?);
            }
            all
        }
        Load::Rate(rate) => {
            open_loop(workload, fixture, rate, start, measure_from, stop_at).await?
        }
    };
    spinner.finish_and_clear();
    Ok(Figures::new(
        workload.name(),
        plan.load,
        seen.finished.duration_since(measure_from),
        seen.measured,
        seen.warmup,
    ))
}

impl Seen {
    fn new(measure_from: Instant) -> Seen {
        Seen {
            warmup: Samples::default(),
            measured: Samples::default(),
            finished: measure_from,
        }
    }

    fn merge(&mut self, other: Seen) {
        self.warmup.merge(other.warmup);
        self.measured.merge(other.measured);
        self.finished = self.finished.max(other.finished);
    }

    /// Adds one request, due at `due`, answered after `latency`.
    fn record(
        &mut self,
        due: Instant,
        measure_from: Instant,
        latency: Duration,
        outcome: &Outcome,
    ) {
        let samples = if due < measure_from {
            &mut self.warmup
        } else {
            &mut self.measured
        };
        samples.record(latency, outcome);
        self.finished = self.finished.max(due + latency);
    }
}

/// Requests at `rate` per second from `start` until `stop_at`, each on its own task; a
/// request's latency runs from when it was due, not from when it could be sent.
async fn open_loop(
    workload: &Workload,
    fixture: Arc<Fixture>,
    rate: f64,
    start: Instant,
    measure_from: Instant,
    stop_at: Instant,
) -> anyhow::Result<Seen> {
    let mut ticks = tokio::time::interval_at(start.into(), Duration::from_secs_f64(1.0 / rate));
    // Behind schedule (a busy load generator), send the missed requests at once.
    ticks.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut requests = JoinSet::new();
    let mut seen = Seen::new(measure_from);
    let mut sent: u64 = 0;
    loop {
        let due = ticks.tick().await.into_std();
        if due >= stop_at {
            break;
        }
        let (workload, fixture) = (workload.clone(), fixture.clone());
        sent += 1;
        requests.spawn(async move {
            let mut rng = SmallRng::seed_from_u64(sent);
            let outcome = workload.fire(&fixture, &mut rng).await;
            (due, due.elapsed(), outcome)
        });
        while let Some(done) = requests.try_join_next() {
            let (due, latency, outcome) = done?;
            seen.record(due, measure_from, latency, &outcome);
        }
    }
    while let Some(done) = requests.join_next().await {
        let (due, latency, outcome) = done?;
        seen.record(due, measure_from, latency, &outcome);
    }
    Ok(seen)
}

/// One worker: requests back to back until `stop_at`; those started from `measure_from` on
/// are measured.
async fn work(
    workload: &Workload,
    fixture: &Fixture,
    measure_from: Instant,
    stop_at: Instant,
) -> Seen {
    let mut rng = SmallRng::from_rng(&mut rand::rng());
    let mut seen = Seen::new(measure_from);
    loop {
        let sent = Instant::now();
        if sent >= stop_at {
            break;
        }
        let outcome = workload.fire(fixture, &mut rng).await;
        seen.record(sent, measure_from, sent.elapsed(), &outcome);
    }
    seen
}
