//! The threads that database work runs on, never the async runtime's.
//!
//! A fixed set of threads takes jobs from one queue. A thread that finishes a job takes the
//! next one without sleeping, so under load a request costs no thread wake-up on this side; a
//! pool that starts a thread per waiting job (tokio's blocking pool grows to one per request in
//! flight) puts a hundred threads on two cores and spends more time switching between them than
//! in the database.

use std::panic::{self, AssertUnwindSafe};
use std::thread;

use crossbeam_channel::{Receiver, Sender};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

pub struct Workers {
    jobs: Sender<Job>,
}

/// A job that could not run to its end: it panicked, or the workers are gone.
#[derive(Debug, thiserror::Error)]
#[error("the database work did not finish")]
pub struct Unfinished;

impl Workers {
    /// Starts `threads` threads (at least one).
    pub fn start(threads: usize) -> std::io::Result<Workers> {
        let (jobs, queue) = crossbeam_channel::unbounded::<Job>();
        for i in 0..threads.max(1) {
            let queue: Receiver<Job> = queue.clone();
            thread::Builder::new()
                .name(format!("fidelio-db-{i}"))
                .spawn(move || {
                    for job in queue {
                        job();
                    }
                })?;
        }
        Ok(Workers { jobs })
    }

    /// Runs `work` on one of the threads and waits for its result without blocking the caller's.
    pub async fn run<T, F>(&self, work: F) -> Result<T, Unfinished>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let job: Job = Box::new(move || {
            // A panic is this job's failure alone: the thread goes on to the next.
            if let Ok(result) = panic::catch_unwind(AssertUnwindSafe(work)) {
                let _ = answer.send(result);
            }
        });
        self.jobs.send(job).map_err(|_| Unfinished)?;
        answered.await.map_err(|_| Unfinished)
    }
}
