//! The machine's ceilings for the bench's work, from the JSON that `../shared/limits/run.sh`
//! writes (`--limits FILE`), and which ceiling each scenario is a share of.
//!
//! Writes (`spread`, `hot`, `events`) are shares of the award transaction: on SQLite at
//! `synchronous=FULL` (one durable commit each, as the service commits); on PostgreSQL at the
//! pgbench client count nearest below the bench's clients. Reads are shares of bare actix-web on
//! SQLite (the database reads far faster than HTTP answers) and of the pgbench balance read on
//! PostgreSQL.

use std::path::Path;

use anyhow::Context;
use serde::Deserialize;

use super::Scenario;
use crate::db::Backend;

/// One figure of the limits file.
#[derive(Debug, Clone, Deserialize)]
struct Figure {
    measure: String,
    setting: String,
    value: f64,
    unit: String,
}

#[derive(Debug, Deserialize)]
struct LimitsFile {
    figures: Vec<Figure>,
}

/// The ceiling a scenario's rate is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct Ceiling {
    /// What was measured, e.g. `SQLite award tx (diesel), WAL, synchronous=FULL, 1 writer`.
    pub label: String,
    /// Its rate, per second.
    pub per_second: f64,
}

/// The figures of one limits run.
#[derive(Debug, Clone)]
pub struct Ceilings {
    figures: Vec<Figure>,
}

impl Ceilings {
    /// Reads the JSON `run.sh` wrote.
    pub fn read(path: &Path) -> anyhow::Result<Ceilings> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the limits file {}", path.display()))?;
        Ceilings::parse(&text).with_context(|| format!("{} is not run.sh's JSON", path.display()))
    }

    fn parse(text: &str) -> anyhow::Result<Ceilings> {
        let file: LimitsFile = serde_json::from_str(text)?;
        Ok(Ceilings {
            figures: file.figures,
        })
    }

    /// The ceiling of `scenario` on `backend` for a bench of `clients` clients, if the file
    /// has it.
    pub fn of(&self, scenario: Scenario, backend: Backend, clients: usize) -> Option<Ceiling> {
        let reads = scenario == Scenario::Read;
        let figure = match backend {
            Backend::Sqlite if reads => self.find("bare actix-web GET /hello", |_| true),
            Backend::Sqlite => self.find("SQLite award tx (diesel)", |setting| {
                setting.contains("synchronous=FULL")
            }),
            Backend::Postgres => {
                let measure = if reads {
                    "PostgreSQL balance read (pgbench)"
                } else {
                    "PostgreSQL award tx (pgbench)"
                };
                self.nearest_clients(measure, clients)
            }
        }?;
        Some(Ceiling {
            label: format!("{}, {}", figure.measure, figure.setting),
            per_second: figure.value,
        })
    }

    fn find(&self, measure: &str, setting: impl Fn(&str) -> bool) -> Option<&Figure> {
        self.figures
            .iter()
            .find(|f| f.measure == measure && setting(&f.setting) && f.unit.ends_with("/s"))
    }

    /// The figure at the most clients not above `clients`, else at the fewest.
    fn nearest_clients(&self, measure: &str, clients: usize) -> Option<&Figure> {
        let with_clients = |f: &&Figure| {
            let n = f
                .setting
                .split(|c: char| c == ',' || c.is_whitespace())
                .find_map(|part| part.strip_prefix("clients="))?
                .parse::<usize>()
                .ok()?;
            (f.measure == measure).then_some(n)
        };
        let candidates: Vec<(usize, &Figure)> = self
            .figures
            .iter()
            .filter_map(|f| with_clients(&f).map(|n| (n, f)))
            .collect();
        candidates
            .iter()
            .filter(|(n, _)| *n <= clients)
            .max_by_key(|(n, _)| *n)
            .or_else(|| candidates.iter().min_by_key(|(n, _)| *n))
            .map(|(_, f)| *f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUN: &str = r#"{"meta": {}, "figures": [
        {"measure": "SQLite award tx (diesel)", "setting": "WAL, synchronous=FULL, 1 writer", "value": 3195.0, "unit": "tx/s", "p99_ms": 0.9},
        {"measure": "SQLite award tx (diesel)", "setting": "WAL, synchronous=NORMAL, 1 writer", "value": 20000.0, "unit": "tx/s", "p99_ms": 0.1},
        {"measure": "PostgreSQL award tx (pgbench)", "setting": "clients=1, threads=1, synchronous_commit=on", "value": 852.0, "unit": "tx/s", "p99_ms": 2.0},
        {"measure": "PostgreSQL award tx (pgbench)", "setting": "clients=16, threads=2, synchronous_commit=on", "value": 3628.0, "unit": "tx/s", "p99_ms": 9.0},
        {"measure": "PostgreSQL balance read (pgbench)", "setting": "clients=4, threads=2, synchronous_commit=on", "value": 23076.0, "unit": "reads/s", "p99_ms": null},
        {"measure": "bare actix-web GET /hello", "setting": "64 connections", "value": 84166.0, "unit": "req/s", "p99_ms": 3.0}
    ]}"#;

    fn rate(scenario: Scenario, backend: Backend, clients: usize) -> Option<f64> {
        let ceilings = Ceilings::parse(RUN).unwrap();
        ceilings
            .of(scenario, backend, clients)
            .map(|c| c.per_second)
    }

    #[test]
    fn writes_on_sqlite_are_shares_of_the_fully_synchronous_award() {
        assert_eq!(rate(Scenario::Events, Backend::Sqlite, 32), Some(3195.0));
        assert_eq!(rate(Scenario::Spread, Backend::Sqlite, 1), Some(3195.0));
    }

    #[test]
    fn reads_on_sqlite_are_shares_of_bare_actix_web() {
        assert_eq!(rate(Scenario::Read, Backend::Sqlite, 32), Some(84166.0));
    }

    #[test]
    fn postgres_takes_the_most_clients_not_above_the_benchs_else_the_fewest() {
        assert_eq!(rate(Scenario::Events, Backend::Postgres, 32), Some(3628.0));
        assert_eq!(rate(Scenario::Events, Backend::Postgres, 8), Some(852.0));
        assert_eq!(rate(Scenario::Read, Backend::Postgres, 1), Some(23076.0));
    }

    #[test]
    fn a_file_without_the_figure_has_no_ceiling_and_another_shape_is_an_error() {
        let empty = Ceilings::parse(r#"{"figures": []}"#).unwrap();
        assert_eq!(empty.of(Scenario::Hot, Backend::Sqlite, 32), None);
        assert!(Ceilings::parse("[1, 2]").is_err());
    }
}
