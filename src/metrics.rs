//! Metrics beyond the per-route request counters: the connection pool, read when scraped.

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{IntGauge, Opts};

use crate::db::Db;

/// Reports the pool's open, idle and maximum connections at each scrape.
pub struct PoolCollector {
    db: Db,
    open: IntGauge,
    idle: IntGauge,
    max: IntGauge,
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
        })
    }
}

impl Collector for PoolCollector {
    fn desc(&self) -> Vec<&Desc> {
        [&self.open, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.desc())
            .collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let (open, idle, max) = self.db.pool_state();
        self.open.set(i64::from(open));
        self.idle.set(i64::from(idle));
        self.max.set(i64::from(max));
        [&self.open, &self.idle, &self.max]
            .into_iter()
            .flat_map(|g| g.collect())
            .collect()
    }
}
