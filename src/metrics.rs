//! Metrics beyond the request counts of `api::observe`: the connection pool, the statements it
//! sent and the process's memory, read when scraped.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntCounter, IntGauge, Opts};

use crate::db::Db;

/// Reports the pool's open, idle and maximum connections at each scrape.
pub struct PoolCollector {
    db: Db,
    open: IntGauge,
    idle: IntGauge,
    max: IntGauge,
    statements: IntCounter,
    commits: IntCounter,
    grouped: IntCounter,
}

impl PoolCollector {
    pub fn new(db: Db) -> prometheus::Result<Self> {
        let gauge = |name: &str, help: &str| {
            IntGauge::with_opts(Opts::new(name, help).namespace("fidelio"))
        };
        let counter = |name: &str, help: &str| {
            IntCounter::with_opts(Opts::new(name, help).namespace("fidelio"))
        };
        Ok(PoolCollector {
            db,
            open: gauge("db_pool_connections", "Database connections open")?,
            idle: gauge(
                "db_pool_idle_connections",
                "Database connections open and idle",
            )?,
            max: gauge(
                "db_pool_max_connections",
                "Most database connections the pool opens",
            )?,
            statements: counter(
                "db_statements_total",
                "Statements sent to the database (queries, BEGIN, COMMIT, pings)",
            )?,
            commits: counter(
                "db_group_commits_total",
                "SQLite write transactions committed, each holding one or more requests' writes",
            )?,
            grouped: counter(
                "db_grouped_writes_total",
                "Requests' writes committed by those transactions",
            )?,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        [&self.open, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.desc())
            .chain(self.counters().flat_map(|c| c.desc()))
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let (open, idle, max) = self.db.pool_state();
        self.open.set(i64::from(open));
        self.idle.set(i64::from(idle));
        self.max.set(i64::from(max));
        let (commits, grouped) = self.db.group_commits();
        for (counter, total) in self
            .counters()
            .zip([self.db.statements(), commits, grouped])
        {
            counter.inc_by(total.saturating_sub(counter.get()));
        }
        [&self.open, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.collect())
            .chain(self.counters().flat_map(|c| c.collect()))
            .collect()
    }
}

impl PoolCollector {
    /// The counters, which follow totals the pool keeps.
    fn counters(&self) -> impl Iterator<Item = &IntCounter> {
        [&self.statements, &self.commits, &self.grouped].into_iter()
    }
}

/// Reports the process's resident memory now and at its peak (Linux's `VmRSS` and `VmHWM`),
/// so a load test can read what the service needed at its busiest. Absent where `/proc` is.
pub struct MemoryCollector {
    resident: IntGauge,
    peak: IntGauge,
}

impl MemoryCollector {
    pub fn new() -> prometheus::Result<Self> {
        let gauge = |name: &str, help: &str| {
            IntGauge::with_opts(Opts::new(name, help).namespace("fidelio"))
        };
        Ok(MemoryCollector {
            resident: gauge("process_resident_bytes", "Resident memory of the process")?,
            peak: gauge(
                "process_peak_resident_bytes",
                "Most resident memory the process has had since it started",
            )?,
        })
    }
}

impl Collector for MemoryCollector {
    fn desc(&self) -> Vec<&Desc> {
        [&self.resident, &self.peak]
            .into_iter()
            .flat_map(|g| g.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
            return Vec::new();
        };
        for (gauge, field) in [(&self.resident, "VmRSS:"), (&self.peak, "VmHWM:")] {
            if let Some(kib) = kibibytes(&status, field) {
                gauge.set(kib.saturating_mul(1024));
            }
        }
        [&self.resident, &self.peak]
            .into_iter()
            .flat_map(|g| g.collect())
            .collect()
    }
}

/// A `Field:   1234 kB` line of `/proc/self/status`, in KiB.
fn kibibytes(status: &str, field: &str) -> Option<i64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::kibibytes;

    #[test]
    fn reads_a_field_of_proc_status_in_kibibytes() {
        let status = "Name:\tfidelio\nVmHWM:\t   51234 kB\nVmRSS:\t   40960 kB\n";
        assert_eq!(kibibytes(status, "VmHWM:"), Some(51_234));
        assert_eq!(kibibytes(status, "VmRSS:"), Some(40_960));
        assert_eq!(kibibytes(status, "VmSwap:"), None);
    }
}
