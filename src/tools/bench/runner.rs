//! Running one workload: `clients` workers send requests back to back for the warm-up, then
//! for the measured duration; each request is timed on its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use rand::SeedableRng;
use rand::rngs::SmallRng;
use tokio::task::JoinSet;

use super::scenario::Workload;
use super::setup::Fixture;
use super::stats::{Figures, Samples};

/// How hard and how long to run each workload.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Concurrent workers, each with one request in flight.
    pub clients: usize,
    /// Run before measuring, not counted in the figures.
    pub warmup: Duration,
    /// How long the measured part runs.
    pub duration: Duration,
}

/// What one worker saw.
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
    let mut workers = JoinSet::new();
    for _ in 0..plan.clients.max(1) {
        let (workload, fixture) = (workload.clone(), fixture.clone());
        workers.spawn(async move { work(&workload, &fixture, measure_from, stop_at).await });
    }
    let (mut warmup, mut measured) = (Samples::default(), Samples::default());
    let mut finished = measure_from;
    while let Some(seen) = workers.join_next().await {
        let seen = seen?;
        warmup.merge(seen.warmup);
        measured.merge(seen.measured);
        finished = finished.max(seen.finished);
    }
    spinner.finish_and_clear();
    Ok(Figures::new(
        workload.name(),
        plan.clients,
        finished.duration_since(measure_from),
        measured,
        warmup,
    ))
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
    let (mut warmup, mut measured) = (Samples::default(), Samples::default());
    loop {
        let sent = Instant::now();
        if sent >= stop_at {
            break;
        }
        let outcome = workload.fire(fixture, &mut rng).await;
        let latency = sent.elapsed();
        let samples = if sent < measure_from {
            &mut warmup
        } else {
            &mut measured
        };
        samples.record(latency, &outcome);
    }
    Seen {
        warmup,
        measured,
        finished: Instant::now(),
    }
}
