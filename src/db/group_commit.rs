//! Group commit for SQLite: this process's write transactions share one connection and, when
//! they arrive together, one transaction and one fsync.
//!
//! A writer takes the shared connection in turn. The first of a batch opens the transaction
//! (`BEGIN IMMEDIATE`) and works in it directly; each later one works in its own savepoint,
//! so a request that fails rolls back alone and gets its own error. A writer that finishes
//! while others wait for the connection leaves the transaction open for them; the one that
//! finishes with nobody waiting (or fills the batch) commits.
//!
//! The COMMIT writes the batch's pages to the WAL without syncing it (the connection runs at
//! `synchronous=NORMAL`); the committer then lets go of the connection and fsyncs the WAL
//! file itself, so the next batch already runs while this one's fsync waits on the disk, and
//! only then is any writer of the batch answered. What a client is told has been fsynced, as
//! at `synchronous=FULL`, where SQLite would fsync inside the COMMIT with every other writer
//! queued behind it (1.8 ms of the writer's 3.4 ms per batch under `events`). An fsync covers
//! everything written to the file before it, so a later batch's fsync also settles an earlier
//! one still waiting for its own. With one writer at a time this is a plain transaction per
//! request, statement for statement.

use std::collections::VecDeque;
use std::fs::File;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use diesel::connection::{AnsiTransactionManager, Connection, TransactionManager};
use diesel::r2d2::Error as PoolError;
use diesel::result::{DatabaseErrorKind, Error};

use super::connection::{DbConn, DbConnection};

/// Requests a batch holds at most before it commits even with others waiting, so that the
/// first of a long queue is not kept waiting for all of it.
const MAX_BATCH: usize = 64;

/// Outcomes of failed commits kept for the writers still to wake up and read them.
const FAILURES_KEPT: usize = 64;

type Manager = <DbConnection as Connection>::TransactionManager;

/// Opens the shared connection (the pool's own way of opening one).
pub type Open = Arc<dyn Fn() -> Result<DbConn, PoolError> + Send + Sync>;

pub struct GroupWriter {
    open: Open,
    /// The database's WAL file, fsynced after each commit.
    wal: PathBuf,
    state: Mutex<Writer>,
    /// Signalled when a batch is durable or given up.
    settled: Condvar,
    /// Writers waiting for the connection: while there are, the open batch stays open.
    waiting: AtomicUsize,
    /// Transactions committed, and the requests' writes they held.
    commits: AtomicU64,
    writes: AtomicU64,
}

#[derive(Default)]
struct Writer {
    conn: Option<DbConn>,
    /// The open transaction's batch: its number and how many requests it holds.
    open: Option<(u64, usize)>,
    next: u64,
    /// Every batch up to this number that did not fail is committed and fsynced.
    synced: u64,
    /// Batches whose commit failed, with the error, newest last.
    failures: VecDeque<(u64, String)>,
}

impl Writer {
    /// Why `batch` failed, if it did.
    fn failure(&self, batch: u64) -> Option<&str> {
        self.failures
            .iter()
            .find(|(b, _)| *b == batch)
            .map(|(_, message)| message.as_str())
    }
}

impl GroupWriter {
    /// A writer whose connections `open` opens on the database whose WAL file is `wal`.
    pub fn new(open: Open, wal: PathBuf) -> Self {
        GroupWriter {
            open,
            wal,
            state: Mutex::default(),
            settled: Condvar::new(),
            waiting: AtomicUsize::new(0),
            commits: AtomicU64::new(0),
            writes: AtomicU64::new(0),
        }
    }

    /// Transactions committed so far, and the requests' writes they held.
    pub fn committed(&self) -> (u64, u64) {
        (
            self.commits.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
    }

    /// Runs `f` in the current batch and returns once its batch is committed and fsynced
    /// (`Ok`), or at once when `f` failed and its work was rolled back (`Err`).
    pub fn run<T, E>(&self, f: impl FnOnce(&mut DbConnection) -> Result<T, E>) -> Result<T, E>
    where
        E: From<Error>,
    {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut writer = self.lock();
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let first = writer.open.is_none();
        if let Err(error) = self.begin(&mut writer, first) {
            drop(self.settle(writer));
            return Err(error.into());
        }
        let Some(conn) = writer.conn.as_mut() else {
            return Err(Error::BrokenTransactionManager.into());
        };
        let ran = panic::catch_unwind(AssertUnwindSafe(|| {
            f(conn).and_then(|value| {
                // A later writer releases its savepoint; the first keeps the transaction open.
                if !first {
                    Manager::commit_transaction(&mut **conn)?;
                }
                Ok(value)
            })
        }));
        let value = match ran {
            Ok(Ok(value)) => value,
            Ok(Err(error)) => {
                let rolled_back = Manager::rollback_transaction(&mut **conn).is_ok();
                if !rolled_back {
                    // Unsure what the connection holds: drop it and the batch with it.
                    self.give_up(&mut writer, "a write could not be rolled back");
                } else if first {
                    writer.open = None;
                } else {
                    drop(self.settle(writer));
                }
                return Err(error);
            }
            Err(panicked) => {
                self.give_up(&mut writer, "a write panicked");
                drop(writer);
                panic::resume_unwind(panicked);
            }
        };
        let Some((batch, held)) = writer.open.as_mut() else {
            return Err(Error::BrokenTransactionManager.into());
        };
        *held += 1;
        let batch = *batch;
        let writer = self.settle(writer);
        let writer = self
            .settled
            .wait_while(writer, |w| w.synced < batch && w.failure(batch).is_none())
            .unwrap_or_else(|p| p.into_inner());
        match writer.failure(batch) {
            Some(message) => Err(Error::DatabaseError(
                DatabaseErrorKind::Unknown,
                Box::new(message.to_owned()),
            )
            .into()),
            None => Ok(value),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Writer> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Commits the open batch if nobody waits to join it or it is full, then fsyncs it with
    /// the connection free for the next batch; a writer leaving with others waiting leaves it
    /// to them, and the last of them commits.
    fn settle<'a>(&'a self, mut writer: MutexGuard<'a, Writer>) -> MutexGuard<'a, Writer> {
        let Some((_, held)) = writer.open else {
            return writer;
        };
        if self.waiting.load(Ordering::SeqCst) > 0 && held < MAX_BATCH {
            return writer;
        }
        let Some(batch) = self.commit(&mut writer) else {
            return writer;
        };
        drop(writer);
        let synced = File::open(&self.wal).and_then(|wal| wal.sync_data());
        let mut writer = self.lock();
        match synced {
            Ok(()) => writer.synced = writer.synced.max(batch),
            Err(error) => {
                let message = format!("the WAL could not be fsynced: {error}");
                tracing::error!(error = %message, "a batch of SQLite writes may not be durable");
                Self::fail(&mut writer, batch, message);
            }
        }
        self.settled.notify_all();
        writer
    }

    /// Opens the connection if need be, then the batch's transaction (`first`) or a savepoint.
    fn begin(&self, writer: &mut MutexGuard<'_, Writer>, first: bool) -> Result<(), Error> {
        if writer.conn.is_none() {
            let conn = (self.open)().map_err(|e| match e {
                PoolError::QueryError(error) => error,
                other => Error::DatabaseError(
                    DatabaseErrorKind::UnableToSendCommand,
                    Box::new(other.to_string()),
                ),
            })?;
            writer.conn = Some(conn);
        }
        let Some(conn) = writer.conn.as_mut() else {
            return Err(Error::BrokenTransactionManager);
        };
        if !first {
            return Manager::begin_transaction(conn);
        }
        // Only SQLite connections have a writer (`Db::connect`).
        let DbConnection::Sqlite(inner) = &mut **conn else {
            return Err(Error::BrokenTransactionManager);
        };
        AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
        writer.next += 1;
        writer.open = Some((writer.next, 0));
        Ok(())
    }

    /// Commits the open batch (without fsync) and returns its number, or gives it up.
    fn commit(&self, writer: &mut MutexGuard<'_, Writer>) -> Option<u64> {
        let committed = match writer.conn.as_mut() {
            Some(conn) => Manager::commit_transaction(&mut **conn),
            None => Err(Error::BrokenTransactionManager),
        };
        match committed {
            Ok(()) => {
                let (batch, held) = writer.open.take()?;
                self.commits.fetch_add(1, Ordering::Relaxed);
                self.writes.fetch_add(held as u64, Ordering::Relaxed);
                Some(batch)
            }
            Err(error) => {
                self.give_up(writer, &error.to_string());
                None
            }
        }
    }

    /// Fails the open batch with `message`: drops the connection (SQLite rolls back what it
    /// held) so that the next writer opens a fresh one, and wakes the batch's writers.
    fn give_up(&self, writer: &mut MutexGuard<'_, Writer>, message: &str) {
        tracing::warn!(error = message, "a batch of SQLite writes failed to commit");
        writer.conn = None;
        if let Some((batch, _)) = writer.open.take() {
            Self::fail(writer, batch, message.to_owned());
        }
        self.settled.notify_all();
    }

    fn fail(writer: &mut Writer, batch: u64, message: String) {
        writer.failures.push_back((batch, message));
        if writer.failures.len() > FAILURES_KEPT {
            writer.failures.pop_front();
        }
    }
}
