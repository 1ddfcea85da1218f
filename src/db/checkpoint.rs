//! SQLite's WAL checkpoints, off the writers' path.
//!
//! By default the connection whose COMMIT takes the WAL past 1,000 pages copies them into the
//! database file, with two fsyncs, before that COMMIT returns. With group commit that
//! connection is the shared writer, so every request queued behind it waited for the copy:
//! about a tenth of the writer's time under `events`. The writer turns that off
//! (`wal_autocheckpoint = 0`, in `connection::SQLITE_WRITER_PRAGMAS`) and this thread
//! checkpoints on its own connection instead, a few times a second while writes come in.
//!
//! The checkpoint is PASSIVE: it copies what no reader still needs and waits for nobody, and
//! SQLite fsyncs the WAL before copying, so what a committed batch was told stays durable.
//! Other processes on the file (the command line) keep SQLite's own checkpoints.

use std::sync::Weak;
use std::thread;
use std::time::Duration;

use diesel::SqliteConnection;
use diesel::connection::SimpleConnection;
use diesel::r2d2::Error as PoolError;

use super::group_commit::GroupWriter;

/// How often the thread looks for new commits to checkpoint. At the writer's peak this is a
/// few hundred WAL pages per checkpoint, the scale of SQLite's own 1,000.
const EVERY: Duration = Duration::from_millis(100);

/// Checkpoints the file `open` connects to while `writer` commits to it; ends once the writer
/// is gone.
pub fn spawn(
    writer: Weak<GroupWriter>,
    open: impl Fn() -> Result<SqliteConnection, PoolError> + Send + 'static,
) -> std::io::Result<()> {
    thread::Builder::new()
        .name("fidelio-checkpoint".into())
        .spawn(move || {
            let mut conn = None;
            let mut checkpointed = 0;
            loop {
                thread::sleep(EVERY);
                let Some(commits) = writer.upgrade().map(|w| w.committed().0) else {
                    return;
                };
                if commits == checkpointed {
                    continue;
                }
                if conn.is_none() {
                    conn = open()
                        .inspect_err(|error| tracing::debug!(%error, "no checkpoint connection"))
                        .ok();
                }
                let Some(open_conn) = conn.as_mut() else {
                    continue;
                };
                match open_conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                    Ok(()) => checkpointed = commits,
                    Err(error) => {
                        tracing::debug!(%error, "a WAL checkpoint failed; trying again");
                        conn = None;
                    }
                }
            }
        })
        .map(drop)
}
