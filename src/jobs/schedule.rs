//! `fidelio serve` runs the tick on a schedule.

use std::time::Duration;

use crate::db::{Db, now_utc};

/// Runs `tick_exclusive` every `interval` on a blocking thread until the process ends.
pub fn spawn(db: Db, interval: Duration) {
    tokio::spawn(async move {
        let mut timer = tokio::time::interval(interval);
        timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            timer.tick().await;
            let db = db.clone();
            let run = tokio::task::spawn_blocking(move || {
                let mut conn = db.get().map_err(|e| anyhow::anyhow!(e))?;
                super::tick_exclusive(&mut conn, now_utc()).map_err(|e| anyhow::anyhow!("{e}"))
            })
            .await;
            match run {
                Ok(Ok(report)) => tracing::debug!(?report, "scheduled tick"),
                Ok(Err(error)) => {
                    tracing::error!(error = format!("{error:#}"), "scheduled tick failed")
                }
                Err(error) => tracing::error!(%error, "scheduled tick panicked"),
            }
        }
    });
}
