//! Latencies and errors of a run, and the table row they become.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use super::client::Outcome;
use super::load::Load;

/// Distinct error details kept per run, to show what went wrong.
const EXAMPLES: usize = 5;

/// What one worker (or, merged, all of them) saw.
#[derive(Debug, Default)]
pub struct Samples {
    /// Latency of every request, in microseconds.
    latencies_us: Vec<u64>,
    /// Non-2xx answers by status code.
    errors: BTreeMap<u16, u64>,
    /// Requests without an answer.
    transport: u64,
    /// A few error details, for the report.
    examples: Vec<String>,
}

impl Samples {
    /// Adds one request: its latency, and its error if it failed.
    pub fn record(&mut self, latency: Duration, outcome: &Outcome) {
        self.latencies_us
            .push(u64::try_from(latency.as_micros()).unwrap_or(u64::MAX));
        let example = match outcome {
            Outcome::Answered { .. } if outcome.is_success() => return,
            Outcome::Answered { status, detail } => {
                *self.errors.entry(*status).or_default() += 1;
                format!("{status} {}", detail.as_deref().unwrap_or_default())
            }
            Outcome::Transport(error) => {
                self.transport += 1;
                format!("transport: {error}")
            }
        };
        if self.examples.len() < EXAMPLES && !self.examples.contains(&example) {
            self.examples.push(example);
        }
    }

    /// Adds another worker's samples to these.
    pub fn merge(&mut self, other: Samples) {
        self.latencies_us.extend(other.latencies_us);
        for (status, count) in other.errors {
            *self.errors.entry(status).or_default() += count;
        }
        self.transport += other.transport;
        for example in other.examples {
            if self.examples.len() < EXAMPLES && !self.examples.contains(&example) {
                self.examples.push(example);
            }
        }
    }

    /// Requests recorded.
    pub fn requests(&self) -> u64 {
        self.latencies_us.len() as u64
    }

    /// Requests that did not get a 2xx answer.
    pub fn failures(&self) -> u64 {
        self.errors.values().sum::<u64>() + self.transport
    }
}

/// One scenario's figures: a row of the report.
#[derive(Debug, Clone)]
pub struct Figures {
    pub scenario: &'static str,
    pub load: Load,
    /// How long the measured part ran.
    pub seconds: f64,
    /// Measured requests (the warm-up is not counted).
    pub requests: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Measured non-2xx answers by status code.
    pub errors: BTreeMap<u16, u64>,
    /// Measured requests without an answer.
    pub transport_errors: u64,
    /// Requests of the warm-up, and how many of them failed.
    pub warmup_requests: u64,
    pub warmup_failures: u64,
    /// A few error details, warm-up included.
    pub examples: Vec<String>,
}

impl Figures {
    /// Figures from the measured samples (sorted here) and the warm-up's.
    pub fn new(
        scenario: &'static str,
        load: Load,
        measured_for: Duration,
        mut samples: Samples,
        warmup: Samples,
    ) -> Figures {
        samples.latencies_us.sort_unstable();
        let ms = |q: f64| percentile(&samples.latencies_us, q) as f64 / 1000.0;
        let seconds = measured_for.as_secs_f64();
        let requests = samples.requests();
        let (warmup_requests, warmup_failures) = (warmup.requests(), warmup.failures());
        let mut examples = samples.examples;
        for example in warmup.examples {
            if !examples.contains(&example) {
                examples.push(example);
            }
        }
        Figures {
            scenario,
            load,
            seconds,
            requests,
            per_second: if seconds > 0.0 {
                requests as f64 / seconds
            } else {
                0.0
            },
            p50_ms: ms(0.50),
            p90_ms: ms(0.90),
            p99_ms: ms(0.99),
            p999_ms: ms(0.999),
            max_ms: ms(1.0),
            errors: samples.errors,
            transport_errors: samples.transport,
            warmup_requests,
            warmup_failures,
            examples,
        }
    }

    /// Every request that failed, measured or warming up.
    pub fn failures(&self) -> u64 {
        self.errors.values().sum::<u64>() + self.transport_errors + self.warmup_failures
    }

    /// The markdown table's header (two lines).
    pub fn header() -> &'static str {
        "| scenario | load | seconds | requests | requests/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors | transport errors |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
    }

    /// This scenario's row of the table.
    pub fn row(&self) -> String {
        format!(
            "| {} | {} | {:.1} | {} | {:.1} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |",
            self.scenario,
            self.load,
            self.seconds,
            self.requests,
            self.per_second,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.p999_ms,
            self.max_ms,
            by_status(&self.errors),
            self.transport_errors
        )
    }
}

/// `0`, or the count per status: `409: 3, 500: 1`.
fn by_status(errors: &BTreeMap<u16, u64>) -> String {
    if errors.is_empty() {
        return "0".to_owned();
    }
    let mut text = String::new();
    for (status, count) in errors {
        let separator = if text.is_empty() { "" } else { ", " };
        let _ = write!(text, "{separator}{status}: {count}");
    }
    text
}

/// The nearest-rank `q` quantile (0 < q <= 1) of sorted values; 0 when there are none.
fn percentile(sorted: &[u64], q: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16) -> Outcome {
        Outcome::Answered {
            status,
            detail: (status >= 300).then(|| "nope".to_owned()),
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&values, 0.50), 50);
        assert_eq!(percentile(&values, 0.99), 99);
        assert_eq!(percentile(&values, 1.0), 100);
        assert_eq!(percentile(&[7], 0.5), 7);
        assert_eq!(percentile(&[], 0.5), 0);
    }

    #[test]
    fn errors_are_counted_by_status_and_transport_errors_apart() {
        let mut first = Samples::default();
        first.record(Duration::from_millis(1), &answered(201));
        first.record(Duration::from_millis(2), &answered(409));
        let mut second = Samples::default();
        second.record(Duration::from_millis(3), &answered(409));
        second.record(Duration::from_millis(4), &answered(500));
        second.record(
            Duration::from_millis(5),
            &Outcome::Transport("reset".into()),
        );
        first.merge(second);

        let figures = Figures::new(
            "spread",
            Load::Clients(2),
            Duration::from_secs(1),
            first,
            Samples::default(),
        );

        assert_eq!(figures.requests, 5);
        assert_eq!(figures.failures(), 4);
        assert_eq!(figures.transport_errors, 1);
        assert_eq!(by_status(&figures.errors), "409: 2, 500: 1");
        assert_eq!(figures.max_ms, 5.0);
        assert!(
            figures
                .row()
                .starts_with("| spread | 2 clients | 1.0 | 5 | 5.0 | 3.00 |")
        );
    }
}
