//! Metrics beyond the per-route request counters: the connection pool and the statements it
//! sent, read when scraped.

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
}

impl PoolCollector {
    pub fn new(db: Db) -> prometheus::Result<Self> {
        let gauge = |name: &str, help: &str| {
            IntGauge::with_opts(Opts::new(name, help).namespace("fidelio"))
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
            statements: IntCounter::with_opts(
                Opts::new(
                    "db_statements_total",
                    "Statements sent to the database (queries, BEGIN, COMMIT, pings)",
                )
                .namespace("fidelio"),
            )?,
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        [&self.open, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.desc())
            .chain(self.statements.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let (open, idle, max) = self.db.pool_state();
        self.open.set(i64::from(open));
        self.idle.set(i64::from(idle));
        self.max.set(i64::from(max));
        let sent = self.db.statements();
        self.statements
            .inc_by(sent.saturating_sub(self.statements.get()));
        [&self.open, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.collect())
            .chain(self.statements.collect())
            .collect()
    }
}
