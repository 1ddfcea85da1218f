//! Doing many requests `workers` at a time, with a progress bar: for the setup and the checks,
//! which are not timed.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::task::JoinSet;

/// Runs `work(i)` for every `i` in `0..count`, `workers` at a time, and returns the results in
/// no particular order. Stops at the first error and returns it.
pub async fn for_each<T, F, Fut>(
    count: usize,
    workers: usize,
    label: &str,
    work: F,
) -> anyhow::Result<Vec<T>>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<T>> + Send,
{
    let bar = progress_bar(count, label);
    let work = Arc::new(work);
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    for _ in 0..workers.clamp(1, count.max(1)) {
        let (work, next, bar) = (work.clone(), next.clone(), bar.clone());
        tasks.spawn(async move {
            let mut done = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return anyhow::Ok(done);
                }
                done.push(work(i).await?);
                bar.inc(1);
            }
        });
    }
    let results = collect(tasks, count).await;
    bar.finish_and_clear();
    results
}

/// Waits for every task; the first error aborts the others (dropping the set aborts them).
async fn collect<T: 'static>(
    mut tasks: JoinSet<anyhow::Result<Vec<T>>>,
    count: usize,
) -> anyhow::Result<Vec<T>> {
    let mut results = Vec::with_capacity(count);
    while let Some(joined) = tasks.join_next().await {
        results.extend(joined??);
    }
    Ok(results)
}

/// A bar on stderr (hidden when stderr is not a terminal).
fn progress_bar(count: usize, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(u64::try_from(count).unwrap_or(u64::MAX));
    if let Ok(style) =
        ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} ({per_sec}, {eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    bar
}
