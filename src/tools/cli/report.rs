//! `fidelio report`: the engagement summary in the terminal.

use chrono::NaiveDate;
use clap::Args;

use crate::analytics::{self, Span};
use crate::db::{Db, now_utc};
use crate::programs;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// One program's slug (default: every program).
    #[arg(long)]
    program: Option<String>,
    /// First day, program time (default: 29 days before --to).
    #[arg(long)]
    from: Option<NaiveDate>,
    /// Last day, program time (default: today).
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Report as of this RFC 3339 time instead of now (after `fidelio demo --now`, or for
    /// tests).
    #[arg(long)]
    now: Option<chrono::DateTime<chrono::Utc>>,
}

impl ReportArgs {
    pub fn run(self, db: &Db) -> anyhow::Result<()> {
        let mut conn = db.get()?;
        let err = |e: crate::error::AppError| anyhow::anyhow!("{e}");
        let chosen = match &self.program {
            Some(slug) => vec![programs::require(&mut conn, slug).map_err(err)?],
            None => programs::list(&mut conn, None, None, 1000).map_err(err)?,
        };
        let now = self.now.map_or_else(now_utc, |t| t.naive_utc());
        for program in chosen {
            let span = Span::new(&program, self.from, self.to, now).map_err(err)?;
            let summary = analytics::summary(&mut conn, &program, &span, now).map_err(err)?;
            println!(
                "\n{} ({}): {} to {}, {}",
                program.name, program.slug, span.from, span.to, span.time_zone
            );
            let width = summary.figures.keys().map(|k| k.len()).max().unwrap_or(0);
            for (name, figure) in &summary.figures {
                let value = shown(&figure.value);
                println!(
                    "  {name:<width$}  {value:>14}  {:<13} {}",
                    figure.period, figure.definition
                );
            }
            if !summary.tiers.items.is_empty() {
                let tiers: Vec<String> = summary
                    .tiers
                    .items
                    .iter()
                    .map(|(t, n)| format!("{t} {n}"))
                    .collect();
                println!("  {:<width$}  {}", "tiers now", tiers.join(", "));
            }
            for badge in &summary.badges.items {
                println!(
                    "  badge {:<24} {:>8} members ({})",
                    badge.slug,
                    badge.members,
                    shown(&badge.completion_rate)
                );
            }
            for challenge in &summary.challenges.items {
                println!(
                    "  challenge {:<20} {:>8} of {} windows completed ({}), {} in the period",
                    challenge.slug,
                    challenge.completions,
                    challenge.participations,
                    shown(&challenge.completion_rate),
                    challenge.completed_in_period
                );
            }
        }
        Ok(())
    }
}

/// A figure's value as the report prints it: strings bare, `-` for undefined.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".to_owned(),
        other => other.to_string(),
    }
}
